// Package ingest syncs a Git repository into the store: it mirrors a remote
// (or reads a local repository in place), finds the commits that are new
// since the last completed sync, replays them through the line provenance
// engine (which streams their diffs from git), and saves them with their
// figures in batches, each in one transaction with the sync checkpoint.
//
// A sync is restartable at any point: the checkpoint's tips (and the line
// provenance snapshot) move only when a sync completes, and every batch is
// an idempotent upsert, so a re-run after a crash replays what the last
// completed sync did not cover and stores the same rows as an
// uninterrupted run.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/exclude"
	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
	"github.com/sluicehq/sluice/internal/provenance"
	"github.com/sluicehq/sluice/internal/store"
)

// DefaultBatchSize is the number of commits saved per transaction.
const DefaultBatchSize = 500

// Syncer syncs repositories into a store.
type Syncer struct {
	// DB is where commits are stored.
	DB *store.DB
	// DataDir holds the bare mirrors of remote repositories (DataDir/mirrors).
	DataDir string
	// Logger receives progress and diagnostics; nil discards them.
	Logger *slog.Logger
	// Timeout bounds each git command; zero means gitcmd.DefaultTimeout.
	Timeout time.Duration
	// BatchSize is the number of commits per transaction; zero means
	// DefaultBatchSize.
	BatchSize int
	// Progress, if set, is called as the sync advances, from one goroutine
	// at a time (not always the caller's); it must be quick.
	Progress func(Event)
	// FetchProgress, if set, receives git's own clone/fetch progress output.
	FetchProgress io.Writer
	// Window is the rework window of metrics.md §3; zero means 21 days.
	Window time.Duration
	// OutlierHALOC is the HALOC above which a commit is an outlier; zero
	// means DefaultOutlierHALOC.
	OutlierHALOC int
	// People maps identity keys (store.PersonKey of an author e-mail) to
	// person keys where aliases join them (people.PersonMap); rework
	// versus help others compares persons (metrics.md §3). A key not in it
	// is its own person. Changing it re-imports the work types.
	People map[string]string
}

// DefaultOutlierHALOC is metrics.md §2's outlier threshold.
const DefaultOutlierHALOC = 1000

// Target names one repository to sync.
type Target struct {
	// Location is a local path or an HTTPS/SSH URL, as the user gave it.
	Location string
	// Name is the repository's name in Sluice; derived from Location if "".
	Name string
	// Branch restricts the sync to one branch; "" syncs all branches and tags.
	Branch string
	// Auth holds the transport settings of the remote.
	Auth gitcmd.Auth
	// Source is the configured source name the settings came from, if any.
	Source string
	// NoExcludes turns the default file excludes off (binary files stay out).
	NoExcludes bool
	// ExcludeGlobs are extra excluded path patterns.
	ExcludeGlobs []string
}

// Phase is a step of a sync.
type Phase string

// Sync phases, in order.
const (
	PhaseFetch  Phase = "fetch"  // cloning or fetching the mirror
	PhaseScan   Phase = "scan"   // finding new commits
	PhaseImport Phase = "import" // diffing and storing commits
)

// Event reports a sync's progress. Done and Total count commits in
// PhaseImport (Total may be an estimate when commits were already stored).
type Event struct {
	Repo  string
	Phase Phase
	Done  int64
	Total int64
}

// Result summarises a sync.
type Result struct {
	Repo store.Repository
	// Imported counts commits stored by this sync.
	Imported int64
	// Commits and Authors count everything stored for the repository.
	Commits int64
	Authors int
	// UpToDate is true when nothing changed since the last completed sync.
	UpToDate bool
	// Pruned counts stored commits deleted because no synced ref reaches
	// them any more.
	Pruned int64
	// Reimported is true when changed exclude settings or a changed
	// .mailmap made the sync start over.
	Reimported bool
	Duration   time.Duration
}

// Sync adds the repository if it is new and imports what changed since its
// last completed sync. On error, what was imported before it stays stored.
func (s *Syncer) Sync(ctx context.Context, t Target) (Result, error) {
	start := time.Now()
	res, err := s.sync(ctx, t)
	res.Duration = time.Since(start)
	return res, err
}

func (s *Syncer) sync(ctx context.Context, t Target) (Result, error) {
	var res Result
	clean, kind, err := gitcmd.ParseRemote(t.Location)
	if err != nil {
		return res, err
	}
	bare := kind != gitcmd.Local // mirrors are bare
	if kind == gitcmd.Local {
		// One repository, one row: a subdirectory, a symlink or the .git
		// directory of a repository all name its root.
		if clean, bare, err = resolveLocal(ctx, clean, s.Timeout); err != nil {
			return res, err
		}
	}
	name := t.Name
	if name == "" {
		name = DeriveName(clean, kind)
	}
	rules, err := exclude.New(t.NoExcludes, t.ExcludeGlobs)
	if err != nil {
		return res, err
	}
	repo := store.Repository{Name: name, Branch: t.Branch, Excludes: !t.NoExcludes, Source: t.Source}
	if kind == gitcmd.Local {
		repo.LocalPath = clean
	} else {
		repo.URL = clean
		repo.MirrorPath = filepath.Join(s.DataDir, "mirrors", mirrorDir(name, clean))
	}
	if old, err := s.DB.RepositoryByName(ctx, name); err == nil {
		if old.URL != repo.URL || old.LocalPath != repo.LocalPath {
			return res, fmt.Errorf("the name %q is already used by %s; pick another with --name", name, old.Location())
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return res, err
	}

	dir := repo.LocalPath
	if kind != gitcmd.Local {
		s.emit(Event{Repo: name, Phase: PhaseFetch})
		s.logger().Info("fetching", "repo", name, "url", clean)
		if err := gitcmd.Mirror(ctx, clean, t.Auth, repo.MirrorPath, s.Timeout, s.FetchProgress); err != nil {
			return res, err
		}
		dir = repo.MirrorPath
	}
	git := &gitcmd.Runner{Dir: dir, Auth: t.Auth, Timeout: s.Timeout}
	s.emit(Event{Repo: name, Phase: PhaseScan})
	tips, err := readTips(ctx, git, kind == gitcmd.Local, t.Branch)
	if err != nil {
		return res, err
	}
	// Only a repository that could be read is recorded.
	if repo, err = s.DB.UpsertRepository(ctx, repo); err != nil {
		return res, err
	}
	res.Repo = repo
	cp, err := s.DB.Checkpoint(ctx, repo.ID)
	if err != nil {
		return res, err
	}
	// Exclude rules and the mailmap decide stored figures too: when they
	// change, re-import (commits of a complete sync are never recomputed
	// piecemeal).
	settings := settingsFingerprint(ctx, git, dir, bare, t, s.Window, s.OutlierHALOC, s.peopleFingerprint())
	if (cp.Tips != nil || cp.Pending != nil || !repo.LastSyncedAt.IsZero()) && cp.Settings != settings {
		s.logger().Info("analysis settings, exclude rules or .mailmap changed since the last import; importing the repository anew", "repo", name)
		if err := s.DB.ResetRepository(ctx, repo.ID); err != nil {
			return res, err
		}
		cp, repo.LastSyncedAt = store.Checkpoint{RepositoryID: repo.ID}, time.Time{}
		res.Reimported = true
	}
	cp.Settings = settings
	if !repo.LastSyncedAt.IsZero() && cp.Pending == nil && maps.Equal(cp.Tips, tips) {
		res.UpToDate = true
		return s.finish(ctx, res)
	}

	imported, err := s.importCommits(ctx, git, repo, cp, tips, rules)
	res.Imported = imported
	if err != nil {
		return res, err
	}
	// Commits no ref reaches any more (a deleted branch, rewritten history,
	// a narrower --branch) leave the store before the sync completes.
	if res.Pruned, err = s.pruneUnreachable(ctx, git, repo.ID, cp, tips); err != nil {
		return res, err
	}
	cp.Tips, cp.Pending, cp.Stored = tips, nil, cp.Stored+imported-res.Pruned
	if err := s.DB.CompleteSync(ctx, repo.ID, cp); err != nil {
		return res, err
	}
	return s.finish(ctx, res)
}

func (s *Syncer) finish(ctx context.Context, res Result) (Result, error) {
	n, authors, err := s.DB.RepositoryStats(ctx, res.Repo.ID)
	res.Commits, res.Authors = n, authors
	return res, err
}

func (s *Syncer) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Syncer) emit(e Event) {
	if s.Progress != nil {
		s.Progress(e)
	}
}

// importCommits stores every commit reachable from tips and not from the
// last completed sync's tips, skipping commits already stored.
func (s *Syncer) importCommits(ctx context.Context, git *gitcmd.Runner, repo store.Repository, cp store.Checkpoint, tips map[string]string, rules *exclude.Rules) (int64, error) {
	// Everything reachable from the last completed sync's tips is stored
	// and its line origins are in the provenance snapshot, unless a tip's
	// objects are gone (gc after a force-push) or the snapshot does not
	// match that sync: then the replay starts from the roots, and commits
	// already stored are rewritten with the same figures.
	done := map[string]string{}
	present, err := presentObjects(ctx, git, slices.Collect(maps.Values(cp.Tips)))
	if err != nil {
		return 0, err
	}
	for ref, sha := range cp.Tips {
		if present[sha] {
			done[ref] = sha
		}
	}
	eng := s.loadProvenance(git, repo, cp)
	if eng == nil || len(done) != len(cp.Tips) {
		eng = provenance.New(git, s.provenanceOptions())
		done = nil
	}
	imported, err := s.replay(ctx, git, eng, repo, cp, tips, done, rules)
	if errors.Is(err, provenance.ErrMissingState) {
		// A new commit grows from a commit the snapshot holds no tree for
		// (a branch started at an old commit): replay everything.
		s.logger().Info("line provenance: a new commit's parent was not saved; replaying the whole history", "repo", repo.Name, "reason", err)
		eng = provenance.New(git, s.provenanceOptions())
		imported, err = s.replay(ctx, git, eng, repo, cp, tips, nil, rules)
	}
	if err != nil {
		return imported, err
	}
	s.logger().Debug("line provenance replayed", "repo", repo.Name, "commits", eng.Stats.Commits, "merges", eng.Stats.Merges,
		"blob_diffs", eng.Stats.BlobDiffs, "rename_queries", eng.Stats.RenameQueries)
	if err := eng.SaveFile(s.provenancePath(repo), snapshotMeta(repo, tips)); err != nil {
		return imported, fmt.Errorf("save line provenance of %s: %w", repo.Name, err)
	}
	return imported, nil
}

// provenanceOptions are the work-type settings.
func (s *Syncer) provenanceOptions() provenance.Options {
	people := s.People
	return provenance.Options{Window: s.Window, Person: func(email string) string {
		k := store.PersonKey("", email)
		if p, ok := people[k]; ok {
			return p
		}
		return k
	}}
}

// peopleFingerprint is what of People changes figures: the e-mails whose
// person is not their own key.
func (s *Syncer) peopleFingerprint() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s.People)) {
		if p := s.People[k]; p != k {
			fmt.Fprintf(&b, "%s=%s\n", k, p)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// provenancePath is the repository's provenance snapshot file.
func (s *Syncer) provenancePath(repo store.Repository) string {
	return filepath.Join(s.DataDir, "provenance", fmt.Sprintf("repo-%d.snap", repo.ID))
}

// snapshotMeta identifies what a snapshot was made from: the repository
// and the tips of the sync that wrote it.
func snapshotMeta(repo store.Repository, tips map[string]string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "repo %s\n", repo.Location())
	for _, ref := range slices.Sorted(maps.Keys(tips)) {
		fmt.Fprintf(&b, "%s %s\n", tips[ref], ref)
	}
	return []byte(b.String())
}

// loadProvenance returns the engine saved by the last completed sync, or
// nil when there is none or it belongs to another state of the store (a
// different database, a sync that did not complete).
func (s *Syncer) loadProvenance(git *gitcmd.Runner, repo store.Repository, cp store.Checkpoint) *provenance.Engine {
	if cp.Tips == nil {
		return nil
	}
	path := s.provenancePath(repo)
	eng, meta, err := provenance.LoadFile(path, git, s.provenanceOptions())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logger().Warn("line provenance snapshot unreadable; replaying the whole history", "repo", repo.Name, "file", path, "err", err)
		}
		return nil
	}
	if string(meta) != string(snapshotMeta(repo, cp.Tips)) {
		s.logger().Info("line provenance snapshot is from another sync; replaying the whole history", "repo", repo.Name)
		return nil
	}
	return eng
}

// keepTrees are the commits whose trees the snapshot keeps: the branch
// tips, where new commits grow. Tags are left out: a tree per release
// would hold every file version of every release.
func keepTrees(tips map[string]string) map[string]bool {
	keep := map[string]bool{}
	for ref, sha := range tips {
		if !strings.HasPrefix(ref, "refs/tags/") {
			keep[sha] = true
		}
	}
	return keep
}

// replay replays the commits the tips reach beyond done through the
// provenance engine and saves them with their figures.
func (s *Syncer) replay(ctx context.Context, git *gitcmd.Runner, eng *provenance.Engine, repo store.Repository, cp store.Checkpoint,
	tips, done map[string]string, rules *exclude.Rules) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	revs := revListInput(tips, done)
	var total int64
	eng.Started = func(n int) {
		total = int64(n)
		s.emit(Event{Repo: repo.Name, Phase: PhaseImport, Total: total})
	}
	batchSize := s.BatchSize
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	outlier := s.OutlierHALOC
	if outlier <= 0 {
		outlier = DefaultOutlierHALOC
	}

	// Batches are saved on their own goroutine, in order, while the
	// engine replays the next: git, the engine and the database overlap.
	// Each batch is one transaction with its checkpoint. Commits already
	// stored (a re-run after a crash, a replay from the roots) are
	// rewritten with the same figures but not counted as imported.
	var imported, saved int64
	batches := make(chan []store.Commit, 1)
	saveDone := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err != nil {
				continue // drain after a failure
			}
			shas := make([]string, len(b))
			for i := range b {
				shas[i] = b[i].SHA
			}
			var have map[string]bool
			if have, err = s.DB.HaveCommits(ctx, repo.ID, shas); err != nil {
				cancel()
				continue
			}
			cp.Pending = maps.Clone(tips)
			cp.Stored += int64(len(b) - len(have))
			if err = s.DB.SaveBatch(ctx, repo.ID, b, cp); err != nil {
				cancel() // stop git and the engine
				continue
			}
			imported += int64(len(b) - len(have))
			saved += int64(len(b))
			s.emit(Event{Repo: repo.Name, Phase: PhaseImport, Done: saved, Total: total})
		}
		saveDone <- err
	}()

	// Exclusions (which may read blobs) and batching run on a goroutine of
	// their own, so the engine never waits for cat-file.
	type replayed struct {
		c     *gitlog.Commit
		files []provenance.Counts
	}
	commits := make(chan replayed, 256)
	stageDone := make(chan error, 1)
	go func() {
		var gen *generatedBlobs
		if rules.ChecksGenerated() {
			gen = newGeneratedBlobs(ctx, git)
		}
		batch := make([]store.Commit, 0, batchSize)
		var err error
		for r := range commits {
			if err != nil {
				continue // drain after a failure
			}
			c := r.c
			if c.BadDate {
				s.logger().Warn("commit has a date git cannot print; stored as 1970-01-01T00:00:00Z", "repo", repo.Name, "commit", c.SHA)
			}
			excluded := make([]bool, len(c.Files))
			for i, f := range c.Files {
				excluded[i] = rules.Excluded(f.Path, f.Binary)
			}
			if gen != nil {
				if err = gen.mark(c, excluded); err != nil {
					cancel()
					continue
				}
			}
			sc := toStore(c, excluded)
			var w provenance.Counts
			for i, fc := range r.files {
				if !excluded[i] {
					w.Add(fc)
				}
			}
			sc.Hunks, sc.HALOC, sc.NewWork = w.Hunks, w.HALOC, w.NewWork
			sc.LegacyRefactor, sc.HelpOthers, sc.Rework = w.LegacyRefactor, w.HelpOthers, w.Rework
			sc.Outlier = sc.HALOC > outlier
			batch = append(batch, sc)
			if len(batch) == batchSize {
				batches <- batch
				batch = make([]store.Commit, 0, batchSize)
			}
		}
		if gen != nil {
			s.logger().Debug("generated-code check", "repo", repo.Name, "blobs_read", gen.reads)
			if cerr := gen.close(); cerr != nil && err == nil {
				err = cerr
			}
		}
		// Save what was replayed before any failure: those commits are
		// complete.
		if len(batch) > 0 && ctx.Err() == nil {
			batches <- batch
		}
		close(batches)
		stageDone <- err
	}()
	replayErr := eng.Replay(ctx, revs, keepTrees(tips), func(c *gitlog.Commit, files []provenance.Counts) error {
		select {
		case commits <- replayed{c, files}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(commits)
	if err := <-stageDone; err != nil && (replayErr == nil || errors.Is(replayErr, context.Canceled)) {
		replayErr = err // the cause, rather than the cancellation it caused
	}
	if err := <-saveDone; err != nil {
		return imported, fmt.Errorf("import %s: %w", repo.Name, err)
	}
	if replayErr != nil {
		if errors.Is(replayErr, provenance.ErrMissingState) {
			return imported, replayErr
		}
		return imported, fmt.Errorf("import %s: %w", repo.Name, replayErr)
	}
	return imported, nil
}

func revListInput(tips, done map[string]string) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, sha := range slices.Sorted(maps.Values(tips)) {
		if !seen[sha] {
			seen[sha] = true
			b.WriteString(sha + "\n")
		}
	}
	for _, sha := range slices.Sorted(maps.Values(done)) {
		if !seen["^"+sha] {
			seen["^"+sha] = true
			b.WriteString("^" + sha + "\n")
		}
	}
	return b.String()
}

// readTips returns ref → commit SHA for the refs a sync covers: all branches
// and tags (and, for a local repository, its remote-tracking branches and
// HEAD), or
// only the branch asked for (refs/heads/B and, locally, REMOTE/B). Tags are
// peeled to their commit through any chain of tags; tags of trees or blobs
// are skipped.
func readTips(ctx context.Context, git *gitcmd.Runner, local bool, branch string) (map[string]string, error) {
	patterns := []string{"refs/heads/", "refs/tags/"}
	if local {
		patterns = append(patterns, "refs/remotes/")
	}
	branch = strings.TrimPrefix(branch, "refs/heads/")
	if branch != "" {
		patterns = []string{"refs/heads/"}
		if local {
			patterns = append(patterns, "refs/remotes/")
		}
	}
	args := append([]string{"for-each-ref", "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)"}, patterns...)
	out, err := git.Output(ctx, args...)
	if err != nil {
		return nil, err
	}
	tips := map[string]string{}
	nested := map[string]string{} // ref → tag object whose target is a tag
	anyBranch := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, " ", 5)
		if len(f) != 5 {
			continue
		}
		raw := f[4]
		anyBranch = anyBranch || strings.HasPrefix(raw, "refs/heads/")
		if branch != "" && !isBranch(raw, branch) {
			continue
		}
		// Ref names are cleaned as the store cleans them, so that an
		// unchanged repository compares equal to its checkpoint even when
		// a ref name is not valid UTF-8.
		ref := store.CleanText(raw)
		switch {
		case f[1] == "commit":
			tips[ref] = f[0]
		case f[1] == "tag" && f[3] == "commit":
			tips[ref] = f[2]
		case f[1] == "tag" && f[3] == "tag":
			nested[ref] = f[0]
		}
	}
	if len(nested) > 0 {
		if err := peelNested(ctx, git, nested, tips); err != nil {
			return nil, err
		}
	}
	// A local repository's HEAD counts too (as in `git rev-list --all`):
	// work on a detached HEAD is history someone wrote. A mirror's HEAD is
	// one of its branches.
	if local && branch == "" {
		if out, err := git.Output(ctx, "rev-parse", "-q", "--verify", "HEAD^{commit}"); err == nil {
			if sha := strings.TrimSpace(string(out)); sha != "" {
				tips["HEAD"] = sha
			}
		}
	}
	if branch != "" && len(tips) == 0 && anyBranch {
		return nil, fmt.Errorf("branch %q not found in the repository; check --branch (branches are matched by their exact name)", branch)
	}
	return tips, nil
}

// isBranch reports whether ref is branch b: refs/heads/B or a
// remote-tracking refs/remotes/REMOTE/B.
func isBranch(ref, b string) bool {
	if ref == "refs/heads/"+b {
		return true
	}
	rest, ok := strings.CutPrefix(ref, "refs/remotes/")
	if !ok {
		return false
	}
	_, name, ok := strings.Cut(rest, "/")
	return ok && name == b
}

// peelNested resolves tags of tags (for-each-ref peels only one level) to
// their commit with one `git cat-file --batch-check`.
func peelNested(ctx context.Context, git *gitcmd.Runner, nested, tips map[string]string) error {
	refs := slices.Sorted(maps.Keys(nested))
	var in strings.Builder
	for _, ref := range refs {
		in.WriteString(nested[ref] + "^{commit}\n")
	}
	st, err := git.Stream(ctx, strings.NewReader(in.String()), "cat-file", "--batch-check")
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(st)
	for _, ref := range refs {
		if !sc.Scan() {
			break
		}
		// "<commit> commit <size>", or "<input> missing" for a chain that
		// ends at a tree or blob.
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[1] == "commit" {
			tips[ref] = f[0]
		}
	}
	return st.Close()
}

// resolveLocal checks that dir is (inside) a git repository, with a clear
// error if not, and returns the repository's root: the work tree's top
// level, or the git directory of a bare repository, symlinks resolved.
func resolveLocal(ctx context.Context, dir string, timeout time.Duration) (root string, bare bool, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", false, fmt.Errorf("%s does not exist; give the path of a git repository or a URL", dir)
	}
	if !fi.IsDir() {
		return "", false, fmt.Errorf("%s is not a directory; give the path of a git repository or a URL", dir)
	}
	git := &gitcmd.Runner{Dir: dir, Timeout: timeout}
	// gitcmd's error already says what is wrong (not a repository, owned
	// by another user, …) and what to do.
	out, err := git.Output(ctx, "rev-parse", "--is-bare-repository", "--absolute-git-dir")
	if err != nil {
		return "", false, err
	}
	isBare, gitDir, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	bare = isBare == "true"
	root = gitDir
	if !bare {
		if top, err := git.Output(ctx, "rev-parse", "--show-toplevel"); err == nil && len(bytes.TrimSpace(top)) > 0 {
			root = string(bytes.TrimSpace(top))
		} else if filepath.Base(gitDir) == ".git" {
			root = filepath.Dir(gitDir) // dir was the .git directory itself
		}
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	return filepath.Clean(root), bare, nil
}

// toStore converts a parsed commit; excluded[i] says whether its i-th file
// is left out of the line totals.
func toStore(c *gitlog.Commit, excluded []bool) store.Commit {
	sc := store.Commit{
		SHA:            c.SHA,
		Parents:        c.Parents,
		AuthorName:     c.AuthorName,
		AuthorEmail:    c.AuthorEmail,
		AuthorTime:     c.AuthorTime,
		CommitterName:  c.CommitterName,
		CommitterEmail: c.CommitterEmail,
		CommitterTime:  c.CommitterTime,
		Subject:        c.Subject,
		IsMerge:        c.IsMerge(),
		Files:          make([]store.FileChange, len(c.Files)),
	}
	for i, f := range c.Files {
		ex := excluded[i]
		sc.Files[i] = store.FileChange{
			Path: f.Path, OldPath: f.OldPath, Additions: f.Additions, Deletions: f.Deletions,
			Binary: f.Binary, Excluded: ex,
		}
		if !ex {
			sc.Additions += f.Additions
			sc.Deletions += f.Deletions
			sc.FilesChanged++
		}
	}
	return sc
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// mirrorDir is the mirror's directory name: readable, and unique per URL.
func mirrorDir(name, url string) string {
	sum := sha256.Sum256([]byte(url))
	return strings.Trim(unsafeName.ReplaceAllString(name, "_"), "_.") + "-" + hex.EncodeToString(sum[:4]) + ".git"
}

// DeriveName turns a location into a repository name: the path of a URL
// without ".git" ("team/service"), or a local directory's base name.
func DeriveName(clean string, kind gitcmd.RemoteKind) string {
	p := clean
	switch kind {
	case gitcmd.Local:
		p = filepath.Base(strings.TrimSuffix(filepath.Clean(clean), string(filepath.Separator)+".git"))
		return strings.TrimSuffix(p, ".git")
	default:
		if u, err := url.Parse(clean); err == nil && u.Host != "" {
			p = u.Path
		} else if i := strings.Index(clean, ":"); i >= 0 { // scp-like user@host:path
			p = clean[i+1:]
		}
	}
	p = strings.Trim(strings.TrimSuffix(strings.Trim(p, "/"), ".git"), "/")
	if p == "" {
		return clean
	}
	return p
}
