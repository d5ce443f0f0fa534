package provenance

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/gitcmd"
)

// blobSizes asks one long-lived `git cat-file --batch-check` for blob
// sizes, started on first use.
type blobSizes struct {
	git *gitcmd.Runner
	w   *io.PipeWriter
	out *gitcmd.Stream
	br  *bufio.Reader
}

func (b *blobSizes) size(ctx context.Context, blob string) (int64, error) {
	if b.out == nil {
		pr, pw := io.Pipe()
		out, err := b.git.Stream(ctx, pr, "cat-file", "--batch-check")
		if err != nil {
			pr.Close()
			return 0, err
		}
		b.w, b.out, b.br = pw, out, bufio.NewReader(out)
	}
	if _, err := io.WriteString(b.w, blob+"\n"); err != nil {
		return 0, err
	}
	line, err := b.br.ReadString('\n')
	if err != nil {
		if cerr := b.out.Close(); cerr != nil {
			return 0, cerr
		}
		return 0, fmt.Errorf("provenance: git cat-file --batch-check: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != blob {
		return 0, fmt.Errorf("provenance: git cat-file --batch-check answered %q for %s", strings.TrimSpace(line), blob)
	}
	return strconv.ParseInt(f[2], 10, 64)
}

func (b *blobSizes) close() {
	if b.out != nil {
		b.w.Close()
		b.out.Close()
		b.out = nil
	}
}

// mayPair reports whether git's rename detection could pair blobs of these
// sizes: diffcore-rename's estimate_similarity gives up at once when the
// sizes differ by more than the minimum score (50 %) allows.
func mayPair(a, b int64) bool {
	const maxScore, minScore = 60000, 30000
	big, small := max(a, b), min(a, b)
	return big*(maxScore-minScore) >= (big-small)*maxScore
}
