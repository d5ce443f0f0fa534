package gitcmd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMirrorLocal(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src.git")
	work := newSourceRepo(t, src)
	want := []string{"refs/heads/feature", "refs/heads/trunk", "refs/tags/v1"}

	t.Run("into an existing empty directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := Mirror(ctx, src, Auth{}, dir, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if got := refs(t, dir); !slices.Equal(got, want) {
			t.Errorf("refs = %v, want %v", got, want)
		}
		if got := gitT(t, dir, "config", "remote.origin.url"); got != src {
			t.Errorf("remote.origin.url = %q, want %q", got, src)
		}
		// A second run is a fetch, and a moved default branch is followed.
		gitT(t, src, "symbolic-ref", "HEAD", "refs/heads/feature")
		if err := Mirror(ctx, "file://"+src, Auth{}, dir, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if head := gitT(t, dir, "symbolic-ref", "HEAD"); head != "refs/heads/feature" {
			t.Errorf("HEAD = %s after the remote's default branch moved", head)
		}
		gitT(t, src, "symbolic-ref", "HEAD", "refs/heads/trunk")
	})

	t.Run("leftovers of a killed clone are removed", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "m.git")
		stale := dir + ".tmp-123456"
		if err := os.MkdirAll(filepath.Join(stale, "objects"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := Mirror(ctx, src, Auth{}, dir, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("stale %s still there (%v)", stale, err)
		}
	})

	t.Run("concurrent mirrors of one directory take turns", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "m.git")
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- Mirror(ctx, src, Auth{}, dir, time.Minute, nil) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if got := refs(t, dir); !slices.Equal(got, want) {
			t.Errorf("refs = %v, want %v", got, want)
		}
	})

	t.Run("a held lock times out with a clear error", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "m.git")
		unlock, err := lockMirror(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		e := asError(t, Mirror(short, src, Auth{}, dir, time.Minute, nil), ErrTimeout)
		if !strings.Contains(e.Msg, "another sluice process") {
			t.Errorf("message %q", e.Msg)
		}
	})

	t.Run("non-empty directory that is not a mirror", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		asError(t, Mirror(ctx, src, Auth{}, dir, time.Minute, nil), ErrNotRepository)
	})

	t.Run("directory inside another repository", func(t *testing.T) {
		// The work tree's own repository must not be taken for the mirror.
		dir := filepath.Join(work, "data")
		if err := os.MkdirAll(filepath.Join(dir, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		asError(t, Mirror(ctx, src, Auth{}, dir, time.Minute, nil), ErrNotRepository)
	})

	t.Run("empty remote", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "empty.git")
		gitT(t, "/", "init", "--quiet", "--bare", empty)
		dir := filepath.Join(t.TempDir(), "m.git")
		if err := Mirror(ctx, empty, Auth{}, dir, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if got := refs(t, dir); len(got) != 0 {
			t.Errorf("refs = %v", got)
		}
	})

	t.Run("missing remote", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "m.git")
		asError(t, Mirror(ctx, filepath.Join(t.TempDir(), "nope.git"), Auth{}, dir, time.Minute, nil), ErrNotFound)
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("failed clone left %s", dir)
		}
	})
}
