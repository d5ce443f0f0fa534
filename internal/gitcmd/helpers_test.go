package gitcmd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/gittest"
)

// testGitEnv is the environment of the git commands that build fixtures:
// fixed identities and dates, no user or system configuration.
func testGitEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com",
		"GIT_AUTHOR_DATE=2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
		"GIT_TERMINAL_PROMPT=0",
	)
}

// gitT runs git in dir for fixture setup and returns its trimmed stdout.
func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = testGitEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// newSourceRepo makes a bare repository at path whose default branch is
// "trunk" (not git's default, so that HEAD handling is tested) with one
// commit, a "feature" branch, a tag v1 and a pull-request ref, plus a work
// tree to push further commits from. It returns the work tree.
func newSourceRepo(t *testing.T, bare string) (work string) {
	t.Helper()
	gitT(t, "/", "init", "--quiet", "--bare", "--initial-branch=trunk", bare)
	work = filepath.Join(t.TempDir(), "work")
	gitT(t, "/", "init", "--quiet", "--initial-branch=trunk", work)
	commitFile(t, work, ".mailmap", "Ada Lovelace <ada@example.com> Ada <ada@example.com>\n")
	gitT(t, work, "tag", "v1")
	gitT(t, work, "branch", "feature")
	gitT(t, work, "remote", "add", "origin", bare)
	gitT(t, work, "push", "--quiet", "origin", "trunk", "feature", "v1")
	gitT(t, bare, "update-ref", "refs/pull/1/head", "refs/heads/feature")
	return work
}

// commitFile writes name in the work tree and commits it; it returns the
// commit id.
func commitFile(t *testing.T, work, name, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gitT(t, work, "add", name)
	gitT(t, work, "commit", "--quiet", "-m", "change "+name)
	return gitT(t, work, "rev-parse", "HEAD")
}

// refs lists the refs of a repository.
func refs(t *testing.T, repo string) []string {
	t.Helper()
	return strings.Fields(gitT(t, repo, "for-each-ref", "--format=%(refname)"))
}

// freePort returns a loopback TCP port that nothing listens on.
func freePort(t *testing.T) int { return gittest.FreePort(t) }

func itoa(i int) string { return strconv.Itoa(i) }

// asError asserts that err is an *Error of kind want.
func asError(t *testing.T, err error, want ErrorKind) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want kind %v", want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	if e.Kind != want {
		t.Fatalf("got kind %v (%q; stderr %q), want %v", e.Kind, e.Msg, e.Stderr, want)
	}
	return e
}
