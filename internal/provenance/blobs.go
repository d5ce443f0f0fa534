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

// blobReader reads blobs through one long-lived `git cat-file --batch`,
// started on first use.
type blobReader struct {
	git *gitcmd.Runner
	w   *io.PipeWriter
	out *gitcmd.Stream
	br  *bufio.Reader
	// sigs caches rename signatures by blob id.
	sigs map[string]*signature
}

// maxSignatureBlob is the largest blob whose similarity is computed in
// process; larger ones are left to git.
const maxSignatureBlob = 8 << 20

// read returns a blob's size and, when it is at most limit bytes, its
// content.
func (b *blobReader) read(ctx context.Context, blob string, limit int64) (int64, []byte, error) {
	if b.out == nil {
		pr, pw := io.Pipe()
		out, err := b.git.Stream(ctx, pr, "cat-file", "--batch")
		if err != nil {
			pr.Close()
			return 0, nil, err
		}
		b.w, b.out, b.br = pw, out, bufio.NewReaderSize(out, 64<<10)
	}
	if _, err := io.WriteString(b.w, blob+"\n"); err != nil {
		return 0, nil, err
	}
	line, err := b.br.ReadString('\n')
	if err != nil {
		return 0, nil, b.fail(err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != blob {
		return 0, nil, fmt.Errorf("provenance: git cat-file --batch answered %q for %s", strings.TrimSpace(line), blob)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("provenance: git cat-file --batch answered %q for %s", strings.TrimSpace(line), blob)
	}
	var data []byte
	if size <= limit {
		data = make([]byte, size+1)
		if _, err := io.ReadFull(b.br, data); err != nil {
			return 0, nil, b.fail(err)
		}
		data = data[:size]
	} else if _, err := b.br.Discard(int(size + 1)); err != nil {
		return 0, nil, b.fail(err)
	}
	return size, data, nil
}

func (b *blobReader) fail(err error) error {
	b.w.Close()
	if cerr := b.out.Close(); cerr != nil {
		return cerr
	}
	return fmt.Errorf("provenance: git cat-file --batch: %w", err)
}

func (b *blobReader) close() {
	if b.out != nil {
		b.w.Close()
		b.out.Close()
		b.out = nil
	}
}

// signature returns a blob's rename signature (nil for a blob too large
// to judge in process).
func (b *blobReader) signature(ctx context.Context, blob string) (*signature, error) {
	if s, ok := b.sigs[blob]; ok {
		return s, nil
	}
	size, data, err := b.read(ctx, blob, maxSignatureBlob)
	if err != nil {
		return nil, err
	}
	var s *signature
	if data != nil || size == 0 {
		s = newSignature(data)
	}
	if b.sigs == nil || len(b.sigs) > 4096 {
		b.sigs = map[string]*signature{}
	}
	b.sigs[blob] = s
	return s, nil
}
