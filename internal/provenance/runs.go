package provenance

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/gitlog"
)

// run is a stretch of consecutive lines that originate in one commit.
type run struct {
	origin uint32 // index into Engine.commits
	n      uint32 // lines
}

// fileState is the origin of every line of one version of a file, as runs.
// It is immutable once built, so versions that blame alike share it: a
// commit that does not touch a file keeps its parent's fileState.
type fileState struct {
	runs  []run
	lines int
	// deferred is set for a version whose lines are not known yet: git
	// printed no hunks for it (a binary pair) or it came out of a merge
	// whose line mapping needs a side diff. Resolve fills runs and lines.
	deferred *deferred
}

// appendRun appends n lines of origin o, merging with the last run.
func appendRun(runs []run, o uint32, n int) []run {
	if n <= 0 {
		return runs
	}
	if k := len(runs); k > 0 && runs[k-1].origin == o {
		runs[k-1].n += uint32(n)
		return runs
	}
	return append(runs, run{origin: o, n: uint32(n)})
}

// newFile is a version whose every line originates in one commit.
func newFile(o uint32, lines int) *fileState {
	return &fileState{runs: appendRun(nil, o, lines), lines: lines}
}

// cursor walks a fileState's runs line by line.
type cursor struct {
	runs []run
	i    int // current run
	off  int // lines of runs[i] already consumed
	pos  int // lines consumed in total
}

// copyTo appends the next n lines to dst.
func (c *cursor) copyTo(dst []run, n int) []run {
	for n > 0 {
		r := c.runs[c.i]
		k := min(int(r.n)-c.off, n)
		dst = appendRun(dst, r.origin, k)
		c.advance(k)
		n -= k
	}
	return dst
}

// skip consumes the next n lines, calling fn for each stretch of one
// origin.
func (c *cursor) skip(n int, fn func(origin uint32, n int)) {
	for n > 0 {
		r := c.runs[c.i]
		k := min(int(r.n)-c.off, n)
		if fn != nil {
			fn(r.origin, k)
		}
		c.advance(k)
		n -= k
	}
}

func (c *cursor) advance(k int) {
	c.off += k
	c.pos += k
	if c.off == int(c.runs[c.i].n) {
		c.i++
		c.off = 0
	}
}

// errHunks reports hunks that do not fit the version they are applied to:
// Sluice's idea of a file disagrees with git's.
type errHunks struct {
	msg string
}

func (e *errHunks) Error() string { return "provenance: " + e.msg }

// applyHunks builds the version that -U0 hunks make of old, with the added
// lines originating in o; deleted is called with the origins of the lines
// the hunks delete. It checks that every hunk fits: its old range inside
// old, its new position where the lines so far put it.
func applyHunks(old *fileState, hunks []gitlog.Hunk, o uint32, deleted func(origin uint32, n int)) (*fileState, error) {
	cur := cursor{runs: old.runs}
	runs := make([]run, 0, len(old.runs)+2*len(hunks))
	newPos := 0
	for _, h := range hunks {
		// With -U0 a hunk that deletes nothing names the line after which
		// it adds; one that deletes names its first deleted line.
		before := h.OldStart
		if h.OldLines > 0 {
			before--
		}
		newBefore := h.NewStart
		if h.NewLines > 0 {
			newBefore--
		}
		if before < cur.pos || before+h.OldLines > old.lines {
			return nil, &errHunks{fmt.Sprintf("hunk -%d,%d does not fit a file of %d lines at line %d", h.OldStart, h.OldLines, old.lines, cur.pos)}
		}
		keep := before - cur.pos
		runs = cur.copyTo(runs, keep)
		newPos += keep
		if newPos != newBefore {
			return nil, &errHunks{fmt.Sprintf("hunk +%d,%d lands at new line %d", h.NewStart, h.NewLines, newPos)}
		}
		cur.skip(h.OldLines, deleted)
		runs = appendRun(runs, o, h.NewLines)
		newPos += h.NewLines
	}
	rest := old.lines - cur.pos
	runs = cur.copyTo(runs, rest)
	newPos += rest
	return &fileState{runs: runs, lines: newPos}, nil
}

// origins expands a version into one origin per line (for merges, which
// assemble a version from several parents line by line).
func (f *fileState) origins() []uint32 {
	out := make([]uint32, 0, f.lines)
	for _, r := range f.runs {
		for range r.n {
			out = append(out, r.origin)
		}
	}
	return out
}

// fromOrigins compresses per-line origins into a fileState.
func fromOrigins(lines []uint32) *fileState {
	var runs []run
	for _, o := range lines {
		runs = appendRun(runs, o, 1)
	}
	return &fileState{runs: runs, lines: len(lines)}
}
