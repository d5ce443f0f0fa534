package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/exclude"
	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
)

// maxGeneratedCache bounds the remembered blob verdicts; past it the cache
// starts over (a verdict is cheap to recompute, memory is not free).
const maxGeneratedCache = 200_000

// verdict is whether a blob at a path is generated, and how many of its
// first lines hold the bytes the verdict was judged on (0 when the whole
// blob was): a later version that changes none of those lines has the
// same start, so the same verdict, without reading it.
type verdict struct {
	generated bool
	headLines int
}

// generatedBlobs tells whether blobs start with a generated-code marker,
// reading them through one long-lived `git cat-file --batch` process and
// remembering verdicts by blob id (the same blob is often seen again).
type generatedBlobs struct {
	git   *gitcmd.Runner
	ctx   context.Context
	w     *io.PipeWriter
	out   *gitcmd.Stream
	br    *bufio.Reader
	cache map[string]verdict
	head  []byte
	// heads keeps the starts of the blobs seen, so that a later version's
	// start is rebuilt from its patch instead of read (rebuildHead).
	// It holds two generations: when the young one is full, it becomes
	// the old one and the old one is dropped; a start found in the old
	// one moves back to the young one, so the starts in use stay.
	heads, oldHeads map[string]blobHead
	headBytes       int
	// reads counts the blobs read through cat-file.
	reads int
}

// blobHead is the start of a blob (up to gitlog.HeadSize bytes); whole is
// set when it is the entire blob.
type blobHead struct {
	data  []byte
	whole bool
}

// maxHeadBytes bounds the bytes kept in a generation of
// generatedBlobs.heads.
const maxHeadBytes = 32 << 20

func newGeneratedBlobs(ctx context.Context, git *gitcmd.Runner) *generatedBlobs {
	return &generatedBlobs{git: git, ctx: ctx, cache: map[string]verdict{}, head: make([]byte, gitlog.HeadSize),
		heads: map[string]blobHead{}}
}

// start launches cat-file on first use: a sync without text changes never
// pays for it.
func (g *generatedBlobs) start() error {
	pr, pw := io.Pipe()
	out, err := g.git.Stream(g.ctx, pr, "cat-file", "--batch")
	if err != nil {
		pr.Close()
		return err
	}
	g.w, g.out, g.br = pw, out, bufio.NewReaderSize(out, 64<<10)
	return nil
}

// mark sets excluded[i] for the commit's files, not excluded yet, whose
// version (the parent's, for a deletion) starts with a generated-code
// marker. Binary files and submodules are skipped.
func (g *generatedBlobs) mark(c *gitlog.Commit, excluded []bool) error {
	// The verdict depends on the path too (its extension decides which
	// content rules apply): it is remembered per blob and path.
	var ask []string
	paths := map[string][]string{} // blob → paths to judge
	for i, f := range c.Files {
		if excluded[i] {
			continue
		}
		b := fileBlob(&f)
		if b == "" {
			continue
		}
		key := cacheKey(b, f.Path)
		if _, ok := g.cache[key]; ok {
			continue
		}
		if f.Head != nil || (f.Status == 'A' && f.Size == 0 && len(f.Hunks) == 0) {
			// An added file: its start came with the patch.
			g.keepHead(b, blobHead{f.Head, f.Size <= int64(len(f.Head))})
			g.remember(key, judge(f.Path, f.Head, f.Size))
			continue
		}
		if old, ok := g.blobHead(f.OldBlob); ok && !f.Deleted() {
			// A modified file: its start is the old start with the
			// patch applied.
			if h, ok := rebuildHead(old, &f); ok {
				g.keepHead(b, h)
				g.remember(key, judge(f.Path, h.data, h.size()))
				continue
			}
		}
		if v, ok := g.inherit(&f); ok {
			g.remember(key, v)
			continue
		}
		if _, asked := paths[b]; !asked {
			ask = append(ask, b)
		}
		paths[b] = append(paths[b], f.Path)
	}
	if len(ask) > 0 {
		if err := g.lookup(ask, paths); err != nil {
			return err
		}
	}
	for i, f := range c.Files {
		if b := fileBlob(&f); b != "" && !excluded[i] {
			excluded[i] = g.cache[cacheKey(b, f.Path)].generated
		}
	}
	return nil
}

// inherit returns the verdict of a modified file whose previous version
// was judged on lines the hunks leave alone.
func (g *generatedBlobs) inherit(f *gitlog.File) (verdict, bool) {
	if f.Status != 'M' || len(f.Hunks) == 0 {
		return verdict{}, false
	}
	old, ok := g.cache[cacheKey(f.OldBlob, f.Path)]
	if !ok || old.headLines == 0 {
		return verdict{}, false
	}
	// The first line the hunks touch: a hunk that only adds names the
	// line after which it adds.
	h := f.Hunks[0]
	first := h.OldStart
	if h.OldLines == 0 {
		first++
	}
	if first <= old.headLines {
		return verdict{}, false
	}
	return old, true
}

// The patch must keep at least the start the rules read.
const _ = uint(gitlog.HeadSize - exclude.HeaderSize)

// judge is the verdict on a blob of size bytes starting with head.
func judge(path string, head []byte, size int64) verdict {
	head = head[:min(len(head), exclude.HeaderSize)]
	// The lines the verdict rests on: those within the head, the last one
	// possibly cut. A blob no longer than the head has none to spare
	// (appending to it changes its head).
	lines := 0
	if size > int64(len(head)) {
		lines = bytes.Count(head, []byte{'\n'}) + 1
	}
	return verdict{exclude.GeneratedContent(path, head), lines}
}

// keepHead remembers a blob's start.
func (g *generatedBlobs) keepHead(blob string, h blobHead) {
	if _, ok := g.heads[blob]; ok {
		return
	}
	if g.headBytes+len(h.data) > maxHeadBytes {
		g.oldHeads, g.heads = g.heads, make(map[string]blobHead, len(g.heads))
		g.headBytes = 0
	}
	g.heads[blob] = h
	g.headBytes += len(h.data)
}

// blobHead returns the start of a blob kept by keepHead.
func (g *generatedBlobs) blobHead(blob string) (blobHead, bool) {
	if h, ok := g.heads[blob]; ok {
		return h, true
	}
	h, ok := g.oldHeads[blob]
	if ok {
		g.keepHead(blob, h)
	}
	return h, ok
}

// size is the blob's size for judge: exact for a whole blob, else any
// size past the start.
func (h blobHead) size() int64 {
	if h.whole {
		return int64(len(h.data))
	}
	return int64(len(h.data)) + 1
}

// rebuildHead returns the start of f's new version from the start of its
// old one and f's hunks, as far as they determine it: at least
// exclude.HeaderSize bytes of it, or all of it. It reports false when
// they do not (a hunk deletes past the old start kept, or its added lines
// were not kept).
func rebuildHead(old blobHead, f *gitlog.File) (blobHead, bool) {
	const want = exclude.HeaderSize
	fail := func() (blobHead, bool) { return blobHead{}, false }
	if h := f.Hunks; !old.whole && len(old.data) >= want && len(h) > 0 {
		// The hunks start past the lines kept: the start is unchanged.
		first := h[0].OldStart // the first old line changed
		if h[0].OldLines == 0 {
			first++
		}
		if bytes.Count(old.data, []byte{'\n'}) < first-1 {
			return old, true
		}
	}
	src, text := old.data, f.Text
	out := make([]byte, 0, min(gitlog.HeadSize, len(src)+len(text)))
	line := 1 // the old line src starts at
	// next cuts the next line off *from: false at its end. A last line
	// without newline counts only in a whole blob (else it is cut short).
	next := func(from *[]byte, whole bool) ([]byte, bool) {
		b := *from
		if len(b) == 0 {
			return nil, false
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			*from = nil
			return b, whole
		}
		*from = b[i+1:]
		return b[:i+1], true
	}
	cut := false // src ran out: out is a prefix of the new version
hunks:
	for k, h := range f.Hunks {
		last := h.OldStart // the last old line before the hunk's change
		if h.OldLines > 0 {
			last--
		}
		for ; line <= last; line++ {
			l, ok := next(&src, old.whole)
			if !ok {
				if old.whole {
					return fail() // the patch does not fit the old version
				}
				out = append(out, l...)
				cut = true
				break hunks
			}
			out = append(out, l...)
		}
		if len(out) >= want {
			cut = true
			break
		}
		for range h.OldLines {
			if _, ok := next(&src, old.whole); !ok {
				return fail()
			}
			line++
		}
		if k >= f.TextHunks {
			return fail()
		}
		for range h.NewLines {
			l, ok := next(&text, true)
			if !ok {
				return fail()
			}
			out = append(out, l...)
		}
	}
	if !cut {
		n := min(len(src), max(gitlog.HeadSize-len(out), 0))
		out, src = append(out, src[:n]...), src[n:]
	}
	whole := !cut && old.whole && len(src) == 0 && len(out) <= gitlog.HeadSize
	if !whole && len(out) < want {
		return fail()
	}
	return blobHead{out[:min(len(out), gitlog.HeadSize)], whole}, true
}

func (g *generatedBlobs) remember(key string, v verdict) {
	if len(g.cache) >= maxGeneratedCache {
		clear(g.cache)
	}
	g.cache[key] = v
}

func cacheKey(blob, path string) string { return blob + "\x00" + path }

func fileBlob(f *gitlog.File) string {
	if f.Binary || f.Submodule {
		return ""
	}
	b := f.NewBlob
	if f.Deleted() {
		b = f.OldBlob
	}
	if b == "" || strings.Trim(b, "0") == "" {
		return ""
	}
	return b
}

// lookup reads the blobs' heads. Requests are written on a goroutine so
// that a large batch cannot deadlock against cat-file's output.
func (g *generatedBlobs) lookup(blobs []string, paths map[string][]string) error {
	if g.out == nil {
		if err := g.start(); err != nil {
			return err
		}
	}
	werr := make(chan error, 1)
	go func() {
		bw := bufio.NewWriter(g.w)
		for _, b := range blobs {
			bw.WriteString(b)
			bw.WriteByte('\n')
		}
		werr <- bw.Flush()
	}()
	for _, b := range blobs {
		g.reads++
		head, size, err := g.read(b)
		if err != nil {
			g.w.CloseWithError(err)
			<-werr
			return err
		}
		g.keepHead(b, blobHead{bytes.Clone(head), size <= int64(len(head))})
		for _, p := range paths[b] {
			g.remember(cacheKey(b, p), judge(p, head, size))
		}
	}
	return <-werr
}

// read parses one "<id> <type> <size>\n<content>\n" response and returns
// the start of the content (valid until the next read) and the size.
func (g *generatedBlobs) read(want string) ([]byte, int64, error) {
	line, err := g.br.ReadString('\n')
	if err != nil {
		return nil, 0, g.fail(fmt.Errorf("git cat-file stopped before blob %s: %w", want, err))
	}
	f := strings.Fields(line)
	if len(f) == 2 && f[1] == "missing" {
		return nil, 0, &gitcmd.Error{Kind: gitcmd.ErrMissingObject,
			Msg: fmt.Sprintf("the repository is missing object %s; it is corrupt or incomplete: re-clone it or run `git fsck`", want)}
	}
	if len(f) != 3 || f[0] != want {
		return nil, 0, fmt.Errorf("git cat-file answered %q for blob %s", strings.TrimSpace(line), want)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("git cat-file answered %q for blob %s", strings.TrimSpace(line), want)
	}
	n := min(size, int64(len(g.head)))
	if _, err := io.ReadFull(g.br, g.head[:n]); err != nil {
		return nil, 0, g.fail(err)
	}
	// Skip the rest of the content and the newline after it.
	if _, err := g.br.Discard(int(size - n + 1)); err != nil {
		return nil, 0, g.fail(err)
	}
	return g.head[:n], size, nil
}

// fail prefers git's own error (which names the cause) over a read error.
func (g *generatedBlobs) fail(err error) error {
	g.w.Close()
	if gerr := g.out.Close(); gerr != nil {
		return gerr
	}
	return err
}

// close stops cat-file.
func (g *generatedBlobs) close() error {
	if g.out == nil {
		return nil
	}
	g.w.Close()
	_, _ = io.Copy(io.Discard, g.br)
	return g.out.Close()
}
