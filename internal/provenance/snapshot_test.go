package provenance

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
)

// TestSnapshotRoundTrip saves an engine and loads it back: the kept trees
// must give the same origins, and a damaged snapshot must be refused with
// ErrSnapshot, never crash or allocate without bound.
func TestSnapshotRoundTrip(t *testing.T) {
	h := newHistory(t, 9)
	h.build(80)
	git := &gitcmd.Runner{Dir: h.r.Dir}
	e := New(git, Options{})
	keep := branchTips(t, h.r.Dir)
	if err := e.Replay(context.Background(), revs(t, h.r.Dir), keep, func(*gitlog.Commit, []Counts) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Save(&buf, []byte("m")); err != nil {
		t.Fatal(err)
	}
	e2, meta, err := Load(bytes.NewReader(buf.Bytes()), git, Options{})
	if err != nil || string(meta) != "m" {
		t.Fatalf("load: %v %q", err, meta)
	}
	if len(e2.Kept()) != len(keep) {
		t.Fatalf("kept %v, want %d trees", e2.Kept(), len(keep))
	}
	for _, sha := range e.Kept() {
		a, b := e.states[sha].tree, e2.states[sha].tree
		if a.size != b.size {
			t.Fatalf("%s: %d files, loaded %d", sha, a.size, b.size)
		}
		a.each(func(p string, x *entry) {
			y := b.get(p)
			if y == nil || y.blob != x.blob || y.kind != x.kind {
				t.Fatalf("%s: %q differs after loading", sha, p)
			}
			if x.state.deferred != nil || y.state.deferred != nil {
				return
			}
			xo, yo := x.state.origins(), y.state.origins()
			if len(xo) != len(yo) {
				t.Fatalf("%s: %q has %d lines, loaded %d", sha, p, len(xo), len(yo))
			}
			for i := range xo {
				if e.commits[xo[i]].sha != e2.commits[yo[i]].sha {
					t.Fatalf("%s: %q line %d: origin %s, loaded %s", sha, p, i+1, e.commits[xo[i]].sha, e2.commits[yo[i]].sha)
				}
			}
		})
	}
	data := buf.Bytes()
	for cut := 0; cut < len(data); cut += max(1, len(data)/300) {
		if _, _, err := Load(bytes.NewReader(data[:cut]), git, Options{}); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("cut at %d of %d: err = %v, want ErrSnapshot", cut, len(data), err)
		}
	}
	for i := len(magic); i < len(data); i += max(1, len(data)/300) {
		bad := bytes.Clone(data)
		bad[i] ^= 0x5a
		if _, _, err := Load(bytes.NewReader(bad), git, Options{}); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("byte %d flipped: err = %v, want ErrSnapshot", i, err)
		}
	}
}
