// Package gittest builds real Git repositories with the git CLI for tests.
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Repo is a non-bare repository in a temporary directory.
type Repo struct {
	T   testing.TB
	Dir string
	n   int
}

// Person is a commit author or committer.
type Person struct{ Name, Email string }

// Default is the author used when none is given.
var Default = Person{"Ada Lovelace", "ada@example.com"}

// New initialises an empty repository with branch main.
func New(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{T: t, Dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	r.Git("config", "user.name", Default.Name)
	r.Git("config", "user.email", Default.Email)
	r.Git("config", "commit.gpgsign", "false")
	return r
}

// Git runs git in the repository and returns its trimmed stdout; it fails
// the test on error.
func (r *Repo) Git(args ...string) string {
	r.T.Helper()
	out, err := r.run(nil, nil, args...)
	if err != nil {
		r.T.Fatal(err)
	}
	return out
}

// GitEnv runs git with extra environment variables.
func (r *Repo) GitEnv(env []string, args ...string) string {
	r.T.Helper()
	out, err := r.run(env, nil, args...)
	if err != nil {
		r.T.Fatal(err)
	}
	return out
}

// GitErr runs git with extra environment variables and returns its error
// instead of failing the test.
func (r *Repo) GitErr(env []string, args ...string) (string, error) {
	return r.run(env, nil, args...)
}

// GitInput runs git with stdin.
func (r *Repo) GitInput(stdin []byte, args ...string) string {
	r.T.Helper()
	out, err := r.run(nil, stdin, args...)
	if err != nil {
		r.T.Fatal(err)
	}
	return out
}

func (r *Repo) run(env []string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", r.Dir}, args...)...)
	cmd.Env = append(Env(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Env is a hermetic environment for git in tests: no user or system
// config, fixed identity.
func Env() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	)
}

// Write writes files (path → content) relative to the work tree.
func (r *Repo) Write(files map[string]string) {
	r.T.Helper()
	for p, content := range files {
		full := filepath.Join(r.Dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.T.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.T.Fatal(err)
		}
	}
}

// Commit writes files, stages everything and commits as who at when (zero
// when: a deterministic time one hour after the previous commit). It
// returns the new commit's SHA.
func (r *Repo) Commit(msg string, who Person, when time.Time, files map[string]string) string {
	r.T.Helper()
	r.Write(files)
	r.Git("add", "-A")
	if when.IsZero() {
		r.n++
		when = time.Date(2024, 1, 1, 9, 0, 0, 0, time.FixedZone("", 2*3600)).Add(time.Duration(r.n) * time.Hour)
	}
	if who == (Person{}) {
		who = Default
	}
	date := when.Format(time.RFC3339)
	env := []string{
		"GIT_AUTHOR_NAME=" + who.Name, "GIT_AUTHOR_EMAIL=" + who.Email, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + who.Name, "GIT_COMMITTER_EMAIL=" + who.Email, "GIT_COMMITTER_DATE=" + date,
	}
	r.GitEnv(env, "commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// FastImport feeds a git fast-import stream to the repository; it is the
// quick way to build repositories with thousands of commits.
func (r *Repo) FastImport(stream []byte) {
	r.T.Helper()
	r.GitInput(stream, "fast-import", "--quiet")
}

// Synthetic returns a fast-import stream of n commits on refs/heads/main by
// a rotating set of authors, each touching a few files; every tenth commit
// renames a file and every fiftieth adds a binary file. The same n gives
// the same repository.
func Synthetic(n int) []byte {
	var b bytes.Buffer
	authors := []Person{
		{"Ada Lovelace", "ada@example.com"}, {"Grace Hopper", "grace@example.com"},
		{"Alan Turing", "alan@example.com"}, {"Edsger Dijkstra", "edsger@example.com"},
	}
	files := map[string][]string{}
	names := []string{}
	start := time.Date(2023, 1, 2, 8, 0, 0, 0, time.UTC).Unix()
	for i := 1; i <= n; i++ {
		a := authors[i%len(authors)]
		ts := start + int64(i)*3700
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\n", i)
		fmt.Fprintf(&b, "author %s <%s> %d +0100\ncommitter %s <%s> %d +0100\n", a.Name, a.Email, ts, a.Name, a.Email, ts)
		msg := fmt.Sprintf("change %d", i)
		fmt.Fprintf(&b, "data %d\n%s\n", len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&b, "from :%d\n", i-1)
		}
		// Touch up to three files, creating new ones now and then.
		for k := 0; k < 3; k++ {
			var name string
			if len(names) < 5 || (i+k)%7 == 0 {
				name = fmt.Sprintf("pkg%d/file%d.go", (i+k)%13, len(names))
				names = append(names, name)
			} else {
				name = names[(i*31+k*17)%len(names)]
			}
			lines := files[name]
			// Replace one line and append two, so numstat sees both kinds.
			if len(lines) > 0 {
				lines[(i+k)%len(lines)] = fmt.Sprintf("// edited in %d", i)
			}
			lines = append(lines, fmt.Sprintf("var v%d_%d = %d", i, k, i*k), "")
			files[name] = lines
			content := strings.Join(lines, "\n")
			fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", name, len(content), content)
		}
		if i%10 == 0 && len(names) > 6 {
			old := names[i%len(names)]
			nn := fmt.Sprintf("moved/%d-%s", i, filepath.Base(old))
			fmt.Fprintf(&b, "R %s %s\n", old, nn)
			files[nn] = files[old]
			delete(files, old)
			names[i%len(names)] = nn
		}
		if i%50 == 0 {
			bin := fmt.Sprintf("\x00\x01\x02binary %d\x00", i)
			fmt.Fprintf(&b, "M 100644 inline assets/blob%d.bin\ndata %d\n%s\n", i, len(bin), bin)
		}
	}
	return b.Bytes()
}
