package provenance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
)

// A merge needs two things git's main stream does not print: how its tree
// differs from its first parent's (paths only: `diff-tree
// --diff-merges=first-parent --raw`, cheap), and, for the files that differ
// from every parent, each parent's line mapping (`diff-tree -c -p -U0`, the
// combined diff, which diffs only those files). Both run as long-lived
// processes fed the merges in replay order.

// mergeStreams are the two side processes. Their output is read ahead on
// goroutines, so that git works on later merges while the engine replays
// the commits in between.
type mergeStreams struct {
	first    *gitcmd.Stream
	combined *gitcmd.Stream
	firsts   chan firstRec
	combs    chan combRec
	feeds    []*io.PipeWriter
	cancel   context.CancelFunc
}

type firstRec struct {
	c   *gitlog.Commit
	err error
}

type combRec struct {
	sha   string
	files []*combinedFile
	err   error
}

// readAhead is how many merges each side stream may run ahead.
const readAhead = 1024

func (e *Engine) startMergeStreams(ctx context.Context, merges []todo) (*mergeStreams, error) {
	ctx, cancel := context.WithCancel(ctx)
	ms := &mergeStreams{cancel: cancel}
	feed := func() io.Reader {
		pr, pw := io.Pipe()
		ms.feeds = append(ms.feeds, pw)
		go func() {
			var b strings.Builder
			for _, m := range merges {
				b.WriteString(m.sha)
				b.WriteByte('\n')
			}
			_, err := io.WriteString(pw, b.String())
			pw.CloseWithError(err)
		}()
		return pr
	}
	var err error
	ms.first, err = e.git.Stream(ctx, feed(), "-c", "core.quotePath=false", "diff-tree", "--stdin", "--always",
		"--diff-merges=first-parent", "-r", "--raw", "-z", "--no-abbrev", "--no-renames",
		"--date=raw", "--format="+gitlog.Format)
	if err != nil {
		ms.close()
		return nil, err
	}
	ms.combined, err = e.git.Stream(ctx, feed(), "-c", "core.quotePath=false", "diff-tree", "--stdin", "--always",
		"-c", "-r", "--raw", "-z", "--no-abbrev", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
		"--diff-algorithm=myers", "--indent-heuristic", "--format=%x1e%H")
	if err != nil {
		ms.close()
		return nil, err
	}
	// The merge streams run ahead in the background: at a lower priority
	// they take the cores the diff streams and the engine leave idle,
	// instead of slowing the diff streams, which set the pace.
	ms.first.Renice(10)
	ms.combined.Renice(10)
	ms.firsts = make(chan firstRec, readAhead)
	ms.combs = make(chan combRec, readAhead)
	go func() {
		defer close(ms.firsts)
		fr := gitlog.NewReader(ms.first)
		for {
			c, err := fr.Next()
			select {
			case ms.firsts <- firstRec{c, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(ms.combs)
		cr := &combinedReader{br: bufio.NewReaderSize(ms.combined, 256<<10)}
		for {
			sha, files, err := cr.next()
			select {
			case ms.combs <- combRec{sha, files, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ms, nil
}

func (ms *mergeStreams) close() {
	ms.cancel()
	for _, s := range []*gitcmd.Stream{ms.first, ms.combined} {
		if s != nil {
			s.Close()
		}
	}
	for _, pw := range ms.feeds {
		pw.CloseWithError(io.ErrClosedPipe)
	}
}

// mergeDiff is what the side streams say about one merge.
type mergeDiff struct {
	first    []gitlog.File            // first parent → merge, by path
	combined map[string]*combinedFile // files that differ from every parent
}

func (ms *mergeStreams) next(sha string) (*mergeDiff, error) {
	fr, ok := <-ms.firsts
	if !ok {
		return nil, context.Canceled
	}
	if fr.err != nil {
		if cerr := ms.first.Close(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("provenance: first-parent diff of %s: %w", sha, fr.err)
	}
	if fr.c.SHA != sha {
		return nil, fmt.Errorf("provenance: first-parent diff printed %s, expected %s", fr.c.SHA, sha)
	}
	cr, ok := <-ms.combs
	if !ok {
		return nil, context.Canceled
	}
	if cr.err != nil {
		if cerr := ms.combined.Close(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("provenance: combined diff of %s: %w", sha, cr.err)
	}
	if cr.sha != sha {
		return nil, fmt.Errorf("provenance: combined diff printed %s, expected %s", cr.sha, sha)
	}
	m := &mergeDiff{first: fr.c.Files, combined: map[string]*combinedFile{}}
	for _, f := range cr.files {
		m.combined[f.path] = f
	}
	return m, nil
}

// combinedFile is one file of a combined diff: n parents.
type combinedFile struct {
	path   string
	modes  []string // the parents', then the merge's
	blobs  []string
	binary bool
	hunks  []combinedHunk
}

// combinedHunk is "@@@ -s,c -s,c +s,c @@@" and its lines' column markers.
type combinedHunk struct {
	parents []span // per parent
	result  span
	cols    []byte // n markers per line, line after line
}

type span struct{ start, count int }

// combinedReader parses `diff-tree -c --raw -z -p` output.
type combinedReader struct {
	br   *bufio.Reader
	long []byte // scratch for over-long lines
}

func (r *combinedReader) next() (string, []*combinedFile, error) {
	// The record separator, the SHA, a NUL.
	for {
		b, err := r.br.ReadByte()
		if err != nil {
			return "", nil, err
		}
		if b == '\x1e' {
			break
		}
		if b != '\n' && b != 0 {
			return "", nil, fmt.Errorf("%w: unexpected byte %q before a combined diff", gitlog.ErrFormat, b)
		}
	}
	sha, err := r.br.ReadString(0)
	if err != nil {
		return "", nil, truncatedErr(err)
	}
	sha = strings.TrimRight(sha, "\x00\n")
	var files []*combinedFile
	// Raw entries: "::modes… blobs… statuses\0path\0".
	for {
		b, err := r.br.Peek(1)
		if err == io.EOF {
			return sha, files, nil
		}
		if err != nil {
			return "", nil, err
		}
		switch b[0] {
		case 0, '\n':
			r.br.ReadByte()
			continue
		case ':':
			meta, err := r.br.ReadString(0)
			if err != nil {
				return "", nil, truncatedErr(err)
			}
			path, err := r.br.ReadString(0)
			if err != nil {
				return "", nil, truncatedErr(err)
			}
			f, err := parseCombinedRaw(meta[:len(meta)-1], path[:len(path)-1])
			if err != nil {
				return "", nil, err
			}
			files = append(files, f)
			continue
		}
		break
	}
	if err := r.readPatch(files); err != nil {
		return "", nil, err
	}
	return sha, files, nil
}

func truncatedErr(err error) error {
	if err == io.EOF {
		return fmt.Errorf("%w: combined diff cut off", gitlog.ErrFormat)
	}
	return err
}

func parseCombinedRaw(meta, path string) (*combinedFile, error) {
	n := 0
	for n < len(meta) && meta[n] == ':' {
		n++
	}
	f := strings.Fields(meta[n:])
	// n parents: n+1 modes, n+1 blobs, one status letter per parent.
	if n < 2 || len(f) != 2*(n+1)+1 {
		return nil, fmt.Errorf("%w: bad combined raw entry %q", gitlog.ErrFormat, meta)
	}
	return &combinedFile{path: path, modes: f[:n+1], blobs: f[n+1 : 2*(n+1)]}, nil
}

// readPatch reads the patch sections, one per raw entry, in order.
func (r *combinedReader) readPatch(files []*combinedFile) error {
	idx := -1
	for {
		b, err := r.br.Peek(1)
		if err == io.EOF || (err == nil && b[0] == '\x1e') {
			break
		}
		if err != nil {
			return err
		}
		line, _, err := gitlog.ReadLine(r.br, &r.long)
		if err != nil {
			return truncatedErr(err)
		}
		switch {
		case bytes.HasPrefix(line, []byte("diff --combined ")), bytes.HasPrefix(line, []byte("diff --cc ")):
			idx++
			if idx >= len(files) {
				return fmt.Errorf("%w: more combined patch sections than files", gitlog.ErrFormat)
			}
		case idx < 0:
			return fmt.Errorf("%w: combined patch line before a section: %q", gitlog.ErrFormat, line)
		case bytes.HasPrefix(line, []byte("Binary files")):
			files[idx].binary = true
		case kindOf(files[idx].modes[len(files[idx].modes)-1]) == 0:
			// Deleted by the merge, or a gitlink: nothing to map. (git
			// prints a nonsensical result count for a deletion.)
		case bytes.HasPrefix(line, []byte("@@@")):
			f := files[idx]
			h, err := parseCombinedHeader(line, len(f.modes)-1)
			if err != nil {
				return err
			}
			f.hunks = append(f.hunks, h)
		case len(files[idx].hunks) > 0 && len(line) > 0 && line[0] != '\\':
			f := files[idx]
			n := len(f.modes) - 1
			h := &f.hunks[len(f.hunks)-1]
			if len(line) < n {
				return fmt.Errorf("%w: short combined patch line %q", gitlog.ErrFormat, line)
			}
			h.cols = append(h.cols, line[:n]...)
		}
	}
	if idx != len(files)-1 {
		return fmt.Errorf("%w: combined patch has %d sections for %d files", gitlog.ErrFormat, idx+1, len(files))
	}
	return nil
}

// parseCombinedHeader parses "@@@ -s,c -s,c +s,c @@@" for n parents.
func parseCombinedHeader(line []byte, n int) (combinedHunk, error) {
	h := combinedHunk{}
	bad := fmt.Errorf("%w: bad combined hunk header %q", gitlog.ErrFormat, line)
	f := strings.Fields(string(line))
	if len(f) < n+3 {
		return h, bad
	}
	marker := strings.Repeat("@", n+1)
	if f[0] != marker || f[n+2] != marker {
		return h, bad
	}
	parse := func(s string, sign byte) (span, bool) {
		if len(s) < 2 || s[0] != sign {
			return span{}, false
		}
		a, b, found := strings.Cut(s[1:], ",")
		start, err := strconv.Atoi(a)
		if err != nil || start < 0 {
			return span{}, false
		}
		count := 1
		if found {
			// For a side without the file git prints -1 as an unsigned
			// number; such a column is never mapped.
			c, err := strconv.ParseUint(b, 10, 64)
			if err != nil {
				return span{}, false
			}
			count = -1
			if c < 1<<31 {
				count = int(c)
			}
		}
		return span{start, count}, true
	}
	for i := 0; i < n; i++ {
		s, ok := parse(f[1+i], '-')
		if !ok {
			return h, bad
		}
		h.parents = append(h.parents, s)
	}
	s, ok := parse(f[n+1], '+')
	if !ok {
		return h, bad
	}
	h.result = s
	return h, nil
}

// mapping returns, for each line of the merge's version, the line of
// parent i's version it is unchanged from, or -1; parentLines is the
// length of parent i's version. It trusts only the column markers and the
// hunks' result positions: git's combined hunk headers are known to get
// parent counts wrong (by one, or as -1 printed unsigned).
func (f *combinedFile) mapping(i, parentLines int) ([]int32, error) {
	n := len(f.modes) - 1
	var m []int32
	ppos := 0
	for _, h := range f.hunks {
		gap := max(h.result.start-1, 0) - len(m)
		if gap < 0 || ppos+gap > parentLines {
			return nil, fmt.Errorf("combined diff of %q: hunk at +%d is out of step for parent %d", f.path, h.result.start, i+1)
		}
		for ; gap > 0; gap-- {
			m = append(m, int32(ppos))
			ppos++
		}
		for k := 0; k+n <= len(h.cols); k += n {
			col := h.cols[k : k+n]
			if bytes.IndexByte(col, '-') >= 0 {
				if col[i] == '-' {
					ppos++
				}
				continue
			}
			if col[i] == ' ' {
				m = append(m, int32(ppos))
				ppos++
			} else {
				m = append(m, -1)
			}
		}
	}
	if ppos > parentLines {
		return nil, fmt.Errorf("combined diff of %q runs past parent %d's %d lines", f.path, i+1, parentLines)
	}
	for ; ppos < parentLines; ppos++ {
		m = append(m, int32(ppos))
	}
	return m, nil
}

// hunkMapping is mapping for an ordinary -U0 diff of a parent's version.
func hunkMapping(hunks []gitlog.Hunk, parentLines int) ([]int32, error) {
	lines := parentLines
	for _, h := range hunks {
		lines += h.NewLines - h.OldLines
	}
	if lines < 0 {
		return nil, fmt.Errorf("hunks do not fit %d lines", parentLines)
	}
	m := make([]int32, lines)
	rpos, ppos := 0, 0
	for _, h := range hunks {
		before := h.OldStart
		if h.OldLines > 0 {
			before--
		}
		if before < ppos || before > parentLines {
			return nil, fmt.Errorf("hunk -%d,%d does not fit %d lines", h.OldStart, h.OldLines, parentLines)
		}
		for ; ppos < before; ppos++ {
			if rpos >= lines {
				return nil, fmt.Errorf("hunks do not fit %d lines", parentLines)
			}
			m[rpos] = int32(ppos)
			rpos++
		}
		ppos += h.OldLines
		for k := 0; k < h.NewLines; k++ {
			if rpos >= lines {
				return nil, fmt.Errorf("hunks do not fit %d lines", parentLines)
			}
			m[rpos] = -1
			rpos++
		}
	}
	for ; ppos < parentLines; ppos++ {
		if rpos >= lines {
			return nil, fmt.Errorf("hunks do not fit %d lines", parentLines)
		}
		m[rpos] = int32(ppos)
		rpos++
	}
	return m, nil
}

// candidate is a parent's version of a merged file, as blame finds it.
type candidate struct {
	path string
	e    *entry
}

// applyMerge builds a merge's tree from its first parent's, taking each
// file that differs from it as blame would.
func (e *Engine) applyMerge(ctx context.Context, c *gitlog.Commit, m *mergeDiff) error {
	parents := make([]tree, len(c.Parents))
	for i, p := range c.Parents {
		var err error
		if parents[i], err = e.parentTree(p); err != nil {
			return err
		}
	}
	me := e.intern(c.SHA, c.AuthorTime.Unix(), c.AuthorEmail)
	t := parents[0]
	// The merge's files: the first parent's, changed as the first-parent
	// diff says. A parent's files the merge lacks are that parent's
	// rename sources.
	gone, added := map[string]bool{}, map[string]bool{}
	for _, f := range m.first {
		if f.Status == 'D' || kindOf(f.NewMode) == 0 {
			gone[f.Path] = true
		} else {
			added[f.Path] = true
		}
	}
	inMerge := func(p string) bool { return added[p] || (!gone[p] && parents[0].get(p) != nil) }
	sources := make([][]candidatePath, len(parents))
	deletedFrom := func(i int) []candidatePath {
		if sources[i] == nil {
			sources[i] = []candidatePath{}
			parents[i].each(func(p string, pe *entry) {
				if !inMerge(p) {
					sources[i] = append(sources[i], candidatePath{p, candidateBlob{pe.blob, pe.kind}})
				}
			})
		}
		return sources[i]
	}
	for _, f := range m.first {
		k := kindOf(f.NewMode)
		if f.Status == 'D' || k == 0 {
			t = t.set(f.Path, nil)
			continue
		}
		st, err := e.mergedFile(ctx, c, me, parents, deletedFrom, f.Path, f.NewBlob, k, m.combined[f.Path])
		if err != nil {
			return fmt.Errorf("%q: %w", f.Path, err)
		}
		t = t.set(f.Path, &entry{blob: f.NewBlob, kind: k, state: st})
	}
	e.setTree(c.SHA, t)
	return nil
}

// mergedFile returns the line origins of a merge's version of path.
func (e *Engine) mergedFile(ctx context.Context, c *gitlog.Commit, me uint32, parents []tree, deletedFrom func(int) []candidatePath,
	path, blob string, k kind, cf *combinedFile) (*fileState, error) {
	cands := make([]*candidate, len(parents))
	// Pass 0: the same path in each parent; an identical version wins whole.
	for i, pt := range parents {
		if pe := pt.get(path); pe != nil && pe.kind == k {
			if pe.blob == blob {
				return pe.state, nil
			}
			cands[i] = &candidate{path: path, e: pe}
		}
	}
	// Pass 1: where a parent has no such file, the file it was renamed from.
	for i, pt := range parents {
		if cands[i] != nil {
			continue
		}
		src, err := e.renameSource(ctx, c.Parents[i], c.SHA, path, blob, k, deletedFrom(i), "")
		if err != nil {
			return nil, err
		}
		if src == "" {
			continue
		}
		pe := pt.get(src)
		if pe == nil {
			continue // a gitlink or something provenance does not track
		}
		if pe.blob == blob {
			return pe.state, nil
		}
		cands[i] = &candidate{path: src, e: pe}
	}
	// Pass 2: each line to the first parent whose version has it unchanged.
	var lines []uint32
	var assigned []bool
	seen := map[string]bool{}
	for i, cd := range cands {
		if cd == nil || seen[cd.e.blob] {
			continue
		}
		seen[cd.e.blob] = true
		if err := e.resolve(ctx, cd.e.state); err != nil {
			return nil, err
		}
		var mp []int32
		var err error
		if cf != nil && cd.path == path && !cf.binary && kindOf(cf.modes[i]) != 0 {
			mp, err = cf.mapping(i, cd.e.state.lines)
			if err == nil && lines != nil && len(mp) != len(lines) {
				err = fmt.Errorf("combined diff of %q disagrees on its length", path)
			}
		}
		if mp == nil || err != nil {
			// A rename, or a combined diff that does not add up: diff the
			// two versions directly.
			var hunks []gitlog.Hunk
			if hunks, err = e.blobHunks(ctx, cd.e.blob, blob); err == nil {
				mp, err = hunkMapping(hunks, cd.e.state.lines)
			}
		}
		if err != nil {
			return nil, err
		}
		if lines == nil {
			lines = make([]uint32, len(mp))
			assigned = make([]bool, len(mp))
			for j := range lines {
				lines[j] = me
			}
		} else if len(mp) != len(lines) {
			return nil, fmt.Errorf("parents disagree on the merged version's length (%d, %d lines)", len(lines), len(mp))
		}
		po := cd.e.state.origins()
		for j, pl := range mp {
			if pl >= 0 && !assigned[j] {
				lines[j] = po[pl]
				assigned[j] = true
			}
		}
	}
	if lines == nil {
		// No parent has a version of it: every line is the merge's.
		n, err := e.blobLines(ctx, blob)
		if err != nil {
			return nil, err
		}
		return newFile(me, n), nil
	}
	return fromOrigins(lines), nil
}

// candidatePath is a possible rename source and its path.
type candidatePath struct {
	path string
	candidateBlob
}

// maxRenameSources bounds the pathspec of a rename query; beyond it every
// deleted file of the diff is a candidate anyway, so the query runs over
// the whole diff instead.
const maxRenameSources = 10000

// findRename returns the path in from that git's rename detection pairs
// with path in to when path is the only destination considered — what
// blame's find_rename asks (diff_opts.single_follow) — or "".
func (e *Engine) findRename(ctx context.Context, from, to, path string, sources []string) (string, error) {
	if len(sources) == 0 {
		return "", nil
	}
	args := []string{"-c", "core.quotePath=false", "diff-tree", "-r", "-z", "--raw", "--no-abbrev", "-M",
		"--diff-filter=R", from, to, "--"}
	if len(sources) <= maxRenameSources {
		for _, s := range sources {
			args = append(args, ":(literal)"+s)
		}
		args = append(args, ":(literal)"+path)
	}
	out, err := e.git.Output(ctx, args...)
	if err != nil {
		return "", err
	}
	fields := bytes.Split(out, []byte{0})
	for i := 0; i+2 < len(fields); i++ {
		if len(fields[i]) > 0 && fields[i][0] == ':' {
			if string(fields[i+2]) == path {
				return string(fields[i+1]), nil
			}
			i += 2
		}
	}
	return "", nil
}
