// Package provenance replays the origin of every line of every file over a
// repository's whole commit graph, so that the work types of metrics.md §3
// (new work, legacy refactor, help others, rework) are exactly what
// `git blame` at each commit's parent implies, without running blame.
//
// The engine reads the diffs git already computes — one long-lived
// `git diff-tree --stdin -p -U0 -M` for the commits, and two more for merge
// commits — and keeps, for each commit whose children are still to come,
// its tree as a persistent map from path to the origins of the file's
// lines, stored as runs (consecutive lines from one commit). A commit that
// does not touch a file shares its parent's runs; a tree shares every
// untouched part of its parent's. Commits are replayed parents first
// (rev-list --topo-order --reverse) and a commit's tree is dropped once its
// last child has been replayed, so memory follows the width of the graph
// and the size of the live trees, not the length of history.
//
// Line origins follow blame's rules (blame.c):
//
//   - A file's parent version is the same path in the parent if it has one
//     of the same kind (file or symlink); otherwise, the source git's rename
//     detection pairs with it. A type change starts the file afresh.
//   - Lines a diff of parent and child versions leaves unchanged keep their
//     origin; the others originate in the commit.
//   - In a merge, a file identical to a parent's version takes that
//     version's origins whole (the first such parent). Otherwise each line
//     goes to the first parent, in order, whose version leaves it
//     unchanged; lines no parent has (conflict resolutions) originate in the
//     merge.
//
// The package knows nothing of SQL or HTTP: the caller decides what is
// excluded and where the figures go.
package provenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
)

// DefaultWindow is the rework window of metrics.md §3: 21 days.
const DefaultWindow = 21 * 24 * time.Hour

// Options configure the classification of deleted lines.
type Options struct {
	// Window is the age beyond which a deleted line is legacy refactor;
	// zero means DefaultWindow. An age exactly equal to it is recent.
	Window time.Duration
	// Person maps a mailmap-resolved, lowercased author email to a person
	// key; nil means the email is the person.
	Person func(email string) string
}

// Counts are the figures of one file of one commit (metrics.md §3).
// HALOC == NewWork + LegacyRefactor + HelpOthers + Rework.
type Counts struct {
	Hunks          int
	HALOC          int
	NewWork        int
	LegacyRefactor int
	HelpOthers     int
	Rework         int
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Hunks += o.Hunks
	c.HALOC += o.HALOC
	c.NewWork += o.NewWork
	c.LegacyRefactor += o.LegacyRefactor
	c.HelpOthers += o.HelpOthers
	c.Rework += o.Rework
}

// commitInfo is what classification needs to know of an origin commit.
type commitInfo struct {
	sha   string
	time  int64 // author time, Unix seconds
	email int32 // index into Engine.emails
}

// state is a replayed commit's tree, kept while children are to come.
type state struct {
	tree    tree
	pending int // children still to be replayed
}

// Engine replays line origins. It is not safe for concurrent use.
type Engine struct {
	git    *gitcmd.Runner
	window int64
	person func(string) string

	commits  []commitInfo
	index    map[string]uint32 // sha → index into commits
	emails   []string
	emailIDs map[string]int32
	persons  []int32 // person id of each email
	personID map[string]int32

	blobs  blobReader
	states map[string]*state // sha → tree, for commits with children to come
	keep   map[string]bool   // commits whose trees outlive the replay

	// Stats counts the work done, for logs and tests.
	Stats Stats
	// DiffProcs overrides the number of diff-tree processes (default: one
	// per core, at most four).
	DiffProcs int
	// chunk overrides diffChunk (tests).
	chunk int
	// Started, if set, is called with the number of commits a replay is
	// about to replay.
	Started func(commits int)
}

// Stats counts what a replay did.
type Stats struct {
	Commits int // commits replayed
	Merges  int // of which merges
	// BlobDiffs counts the extra git diff processes: renames in merges,
	// combined diffs that did not add up, binary versions turned text.
	BlobDiffs int
	// RenameQueries counts git processes asking which file a path was
	// renamed from (blame's view of renames), where the engine could not
	// tell by itself.
	RenameQueries int
}

// New returns an engine that runs git with git.
func New(git *gitcmd.Runner, opts Options) *Engine {
	w := opts.Window
	if w == 0 {
		w = DefaultWindow
	}
	return &Engine{
		git:      git,
		blobs:    blobReader{git: git},
		window:   int64(w / time.Second),
		person:   opts.Person,
		index:    map[string]uint32{},
		emailIDs: map[string]int32{},
		personID: map[string]int32{},
		states:   map[string]*state{},
	}
}

// ErrMissingState is returned (wrapped) by Replay when a commit's parent is
// neither among the commits to replay nor one whose tree the engine holds:
// the caller must replay from further back (from the roots).
var ErrMissingState = errors.New("provenance: a parent's line origins are not known")

// intern records a commit's author and time and returns its index.
func (e *Engine) intern(sha string, t int64, email string) uint32 {
	if i, ok := e.index[sha]; ok {
		return i
	}
	email = strings.ToLower(email)
	id, ok := e.emailIDs[email]
	if !ok {
		id = int32(len(e.emails))
		e.emails = append(e.emails, email)
		e.emailIDs[email] = id
		p := email
		if e.person != nil {
			p = e.person(email)
		}
		pid, ok := e.personID[p]
		if !ok {
			pid = int32(len(e.personID))
			e.personID[p] = pid
		}
		e.persons = append(e.persons, pid)
	}
	i := uint32(len(e.commits))
	e.commits = append(e.commits, commitInfo{sha: sha, time: t, email: id})
	e.index[sha] = i
	return i
}

// classifier counts deleted lines for one commit.
type classifier struct {
	e      *Engine
	time   int64
	person int32
	c      *Counts
}

func (k *classifier) deleted(origin uint32, n int) {
	o := &k.e.commits[origin]
	switch {
	case k.time-o.time > k.e.window:
		k.c.LegacyRefactor += n
	case k.e.persons[o.email] == k.person:
		k.c.Rework += n
	default:
		k.c.HelpOthers += n
	}
}

// Replay replays the commits `git rev-list --topo-order --reverse` lists
// for revs (its --stdin input: tips, and ^commits already replayed), in
// that order, and calls fn for each with the figures of each of its files
// (aligned with c.Files; nil for a merge). Afterwards the engine keeps the
// trees of the commits in keep (the tips, for the next sync) and of no
// others.
func (e *Engine) Replay(ctx context.Context, revs string, keep map[string]bool, fn func(c *gitlog.Commit, files []Counts) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.keep = keep
	defer e.blobs.close()
	order, err := e.order(ctx, revs)
	if err != nil {
		return err
	}
	if e.Started != nil {
		e.Started(len(order))
	}
	if len(order) > 0 {
		if err := e.replay(ctx, order, keep, fn); err != nil {
			return err
		}
	}
	for sha := range e.states {
		if !keep[sha] {
			delete(e.states, sha)
		}
	}
	return nil
}

// todo is one commit to replay.
type todo struct {
	sha     string
	parents []string
}

// order lists the commits to replay, parents first, and counts each one's
// children among them; it checks that every parent outside the list has a
// tree.
func (e *Engine) order(ctx context.Context, revs string) ([]todo, error) {
	out, err := e.git.OutputStdin(ctx, strings.NewReader(revs), "rev-list", "--stdin", "--topo-order", "--reverse", "--parents")
	if err != nil {
		return nil, err
	}
	var list []todo
	in := map[string]bool{}
	for line := range bytes.Lines(out) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		list = append(list, todo{sha: f[0], parents: f[1:]})
		in[f[0]] = true
	}
	for _, t := range list {
		for _, p := range t.parents {
			if in[p] {
				e.pendingFor(p).pending++
				continue
			}
			if e.states[p] == nil {
				return nil, fmt.Errorf("%w: %s (parent of %s)", ErrMissingState, p, t.sha)
			}
			e.states[p].pending++
		}
	}
	return list, nil
}

// pendingFor returns the state slot of a commit to be replayed, creating
// it: its tree is filled in when the commit is replayed.
func (e *Engine) pendingFor(sha string) *state {
	s := e.states[sha]
	if s == nil {
		s = &state{}
		e.states[sha] = s
	}
	return s
}

// replay runs the streams and applies every commit.
func (e *Engine) replay(ctx context.Context, order []todo, keep map[string]bool, fn func(*gitlog.Commit, []Counts) error) error {
	var merges []todo
	for _, t := range order {
		if len(t.parents) > 1 {
			merges = append(merges, t)
		}
	}
	var ms *mergeStreams
	if len(merges) > 0 {
		var err error
		if ms, err = e.startMergeStreams(ctx, merges); err != nil {
			return err
		}
		defer ms.close()
	}

	// The diffs come from several diff-tree processes, each given every
	// n-th chunk of the order, read ahead and parsed on goroutines; the
	// engine takes the chunks back in order. Diffing is most of the work
	// and each process uses one core.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make([]*diffStream, e.diffProcs(len(order)))
	for i := range streams {
		var shas []string
		chunk := e.chunkSize()
		for k := i * chunk; k < len(order); k += len(streams) * chunk {
			for _, t := range order[k:min(k+chunk, len(order))] {
				shas = append(shas, t.sha)
			}
		}
		ds, err := startDiffStream(ctx, e.git, shas)
		if err != nil {
			return err
		}
		defer ds.close()
		streams[i] = ds
	}
	for n, t := range order {
		ds := streams[(n/e.chunkSize())%len(streams)]
		p, ok := <-ds.commits
		if !ok {
			return ctx.Err()
		}
		c, err := p.c, p.err
		if err == io.EOF {
			return fmt.Errorf("provenance: git diff-tree ended before commit %s: %w", t.sha, ds.diff.Close())
		}
		if err != nil {
			if de := ds.diff.Close(); de != nil {
				return de
			}
			return err
		}
		if c.SHA != t.sha {
			return fmt.Errorf("provenance: git diff-tree printed commit %s, expected %s", c.SHA, t.sha)
		}
		var files []Counts
		e.Stats.Commits++
		if c.IsMerge() {
			e.Stats.Merges++
			m, err := ms.next(c.SHA)
			if err != nil {
				return err
			}
			if err := e.applyMerge(ctx, c, m); err != nil {
				return fmt.Errorf("provenance: merge %s: %w", c.SHA, err)
			}
		} else {
			if files, err = e.applyCommit(ctx, c); err != nil {
				return fmt.Errorf("provenance: commit %s: %w", c.SHA, err)
			}
		}
		for _, p := range c.Parents {
			s := e.states[p]
			s.pending--
			if s.pending == 0 && !keep[p] {
				delete(e.states, p)
			}
		}
		if s := e.states[c.SHA]; s != nil && s.pending == 0 && !keep[c.SHA] {
			delete(e.states, c.SHA)
		}
		if err := fn(c, files); err != nil {
			return err
		}
	}
	return nil
}

// diffChunk is how many consecutive commits one diff-tree process gets.
const diffChunk = 256

// diffProcs is how many diff-tree processes to run: one per core, at most
// four, and one for a short replay. The diff stream is the longest path of
// a replay; on two cores, once the rest of the work had been cut to about
// half of git's, two diff processes measured 10-20 % faster than one
// (docs/performance.md). SLUICE_DIFF_PROCS overrides it.
func (e *Engine) diffProcs(commits int) int {
	n := min(runtime.NumCPU(), 4, (commits+e.chunkSize()-1)/e.chunkSize())
	if e.DiffProcs > 0 {
		n = e.DiffProcs
	}
	if v, err := strconv.Atoi(os.Getenv("SLUICE_DIFF_PROCS")); err == nil && v > 0 {
		n = v
	}
	return max(n, 1)
}

func (e *Engine) chunkSize() int {
	if e.chunk > 0 {
		return e.chunk
	}
	return diffChunk
}

// diffStream is one diff-tree process and the commits parsed from it.
type diffStream struct {
	diff    *gitcmd.Stream
	pr      *io.PipeReader
	commits chan parsed
}

type parsed struct {
	c   *gitlog.Commit
	err error
}

func startDiffStream(ctx context.Context, git *gitcmd.Runner, shas []string) (*diffStream, error) {
	pr, pw := io.Pipe()
	go func() {
		var b strings.Builder
		for i, sha := range shas {
			b.WriteString(sha)
			b.WriteByte('\n')
			if b.Len() >= 32<<10 || i == len(shas)-1 {
				if _, err := io.WriteString(pw, b.String()); err != nil {
					pw.CloseWithError(err)
					return
				}
				b.Reset()
			}
		}
		pw.Close()
	}()
	diff, err := git.Stream(ctx, pr, gitlog.DiffTreeArgs()...)
	if err != nil {
		pr.CloseWithError(err)
		return nil, err
	}
	ds := &diffStream{diff: diff, pr: pr, commits: make(chan parsed, readAhead)}
	go func() {
		defer close(ds.commits)
		r := gitlog.NewReader(diff)
		for {
			c, err := r.Next()
			select {
			case ds.commits <- parsed{c, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ds, nil
}

func (ds *diffStream) close() {
	ds.diff.Close()
	ds.pr.CloseWithError(io.ErrClosedPipe)
}

// setTree records a replayed commit's tree if anything will need it.
func (e *Engine) setTree(sha string, t tree) {
	s := e.states[sha]
	if s == nil {
		if !e.keep[sha] {
			return
		}
		s = &state{}
		e.states[sha] = s
	}
	s.tree = t
}

// parentTree returns the tree of a commit already replayed (or loaded).
func (e *Engine) parentTree(sha string) (tree, error) {
	s := e.states[sha]
	if s == nil {
		return tree{}, fmt.Errorf("%w: %s", ErrMissingState, sha)
	}
	return s.tree, nil
}
