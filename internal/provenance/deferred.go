package provenance

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/sluicehq/sluice/internal/gitlog"
)

// deferred describes a version whose line origins git's diff stream did not
// give: a binary pair (git prints no hunks for it, while blame still
// compares the bytes line by line). Most such versions are never needed —
// nobody blames an image — so their lines are worked out only when a later
// text version needs them, by diffing the two blobs with --text.
type deferred struct {
	parent  *fileState // the previous version; nil: every line is new
	oldBlob string
	newBlob string
	origin  uint32 // the commit the changed lines originate in
}

// resolve fills in the runs of a deferred version, and of the deferred
// versions it derives from.
func (e *Engine) resolve(ctx context.Context, f *fileState) error {
	// Resolve the oldest unresolved ancestor first, without recursion.
	var chain []*fileState
	for g := f; g != nil && g.deferred != nil; g = g.deferred.parent {
		chain = append(chain, g)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		g := chain[i]
		d := g.deferred
		if d.parent == nil {
			n, err := e.blobLines(ctx, d.newBlob)
			if err != nil {
				return err
			}
			*g = *newFile(d.origin, n)
			continue
		}
		hunks, err := e.blobHunks(ctx, d.oldBlob, d.newBlob)
		if err != nil {
			return err
		}
		next, err := applyHunks(d.parent, hunks, d.origin, nil)
		if err != nil {
			return fmt.Errorf("%s..%s: %w", d.oldBlob, d.newBlob, err)
		}
		*g = *next
	}
	return nil
}

// blobLines counts the lines of a blob as diff does: a last line without a
// newline is a line. The blob comes through the engine's cat-file.
func (e *Engine) blobLines(ctx context.Context, blob string) (int, error) {
	_, b, err := e.blobs.read(ctx, blob, math.MaxInt64)
	if err != nil {
		return 0, err
	}
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n, nil
}

// blobHunks returns the -U0 hunks of a text diff of two blobs, computed as
// git diff-tree and blame compute them.
func (e *Engine) blobHunks(ctx context.Context, oldBlob, newBlob string) ([]gitlog.Hunk, error) {
	e.Stats.BlobDiffs++
	out, err := e.git.Output(ctx, "diff", "--text", "-U0", "--no-color", "--no-ext-diff", "--no-textconv",
		"--diff-algorithm=myers", "--indent-heuristic", oldBlob, newBlob)
	if err != nil {
		return nil, err
	}
	var hunks []gitlog.Hunk
	for line := range bytes.Lines(out) {
		if bytes.HasPrefix(line, []byte("@@ -")) {
			h, err := gitlog.ParseHunkHeader(bytes.TrimRight(line, "\n"))
			if err != nil {
				return nil, err
			}
			hunks = append(hunks, h)
		}
	}
	return hunks, nil
}
