package gitcmd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
