package gitcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunnerOutput(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "repo.git")
	work := newSourceRepo(t, bare)
	// A hook or a parent git process may leave these behind; the Runner
	// must still work in its own Dir.
	t.Setenv("GIT_DIR", "/nonexistent")
	t.Setenv("GIT_WORK_TREE", "/nonexistent")
	r := &Runner{Dir: work}
	out, err := r.Output(context.Background(), "rev-parse", "--abbrev-ref", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "trunk" {
		t.Errorf("HEAD = %q, want trunk", got)
	}
}

func TestRunnerNotRepository(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Join(dir, "missing")} {
		r := &Runner{Dir: d}
		_, err := r.Output(context.Background(), "rev-parse", "HEAD")
		e := asError(t, err, ErrNotRepository)
		if !strings.Contains(e.Error(), d) {
			t.Errorf("message %q does not name %s", e, d)
		}
		if len(e.Args) != 2 || e.Args[0] != "rev-parse" {
			t.Errorf("Args = %q", e.Args)
		}
	}
}

func TestRunnerTimeout(t *testing.T) {
	pr, pw := io.Pipe() // never written: git waits for stdin forever
	t.Cleanup(func() { pw.Close() })
	r := &Runner{Dir: t.TempDir(), Timeout: 200 * time.Millisecond}
	begin := time.Now()
	s, err := r.Stream(context.Background(), pr, "hash-object", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(s)
	err = s.Close()
	e := asError(t, err, ErrTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, DeadlineExceeded) = false for %v", err)
	}
	if !strings.Contains(e.Error(), "200ms") {
		t.Errorf("message %q does not give the timeout", e)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("timeout took %v to take effect", d)
	}
}

func TestStreamTimeoutBeforeEOF(t *testing.T) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	r := &Runner{Dir: t.TempDir(), Timeout: 100 * time.Millisecond}
	s, err := r.Stream(context.Background(), pr, "hash-object", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	asError(t, s.Close(), ErrTimeout)
}

func TestRunnerCancel(t *testing.T) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Dir: t.TempDir()}
	s, err := r.Stream(ctx, pr, "hash-object", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, cancel)
	_, _ = io.ReadAll(s)
	if err := s.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close = %v, want context.Canceled", err)
	}
}

func TestStreamStdin(t *testing.T) {
	r := &Runner{Dir: t.TempDir()}
	out, err := io.ReadAll(mustStream(t, r, strings.NewReader("hello\n"), "hash-object", "--stdin"))
	if err != nil {
		t.Fatal(err)
	}
	// git hash-object of "hello\n" is well known.
	if got := strings.TrimSpace(string(out)); got != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("hash = %q", got)
	}
}

func mustStream(t *testing.T, r *Runner, stdin io.Reader, args ...string) *Stream {
	t.Helper()
	s, err := r.Stream(context.Background(), stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStreamCloseBeforeEOF(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "repo.git")
	work := newSourceRepo(t, bare)
	head := gitT(t, work, "rev-parse", "HEAD")

	// cat-file --batch answers one request and then waits for the next
	// one: the stream never reaches EOF on its own.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	r := &Runner{Dir: work}
	s, err := r.Stream(context.Background(), pr, "cat-file", "--batch")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(pw, head)
	line, err := bufio.NewReader(s).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, head+" commit ") {
		t.Errorf("first line = %q", line)
	}
	pid := s.cmd.Process.Pid
	begin := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close before EOF = %v, want nil", err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("git (pid %d) still exists after Close", pid)
	}
}

func TestStreamFailureAfterEOF(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "repo.git")
	newSourceRepo(t, bare)
	r := &Runner{Dir: bare}
	s, err := r.Stream(context.Background(), nil, "log", "--format=%H", "no-such-branch")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(s); err != nil {
		t.Fatal(err)
	}
	e := asError(t, s.Close(), ErrOther)
	if !strings.Contains(e.Error(), "git log failed") || !strings.Contains(e.Stderr, "no-such-branch") {
		t.Errorf("error = %q, stderr %q", e, e.Stderr)
	}
	var exitErr *exec.ExitError
	if !errors.As(e, &exitErr) {
		t.Errorf("Err = %T, want *exec.ExitError", e.Err)
	}
}

func TestMissingObject(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	gitT(t, "/", "init", "--quiet", repo)
	commitFile(t, repo, "a.txt", "a\n")
	commitFile(t, repo, "b.txt", "b\n")
	tree := gitT(t, repo, "rev-parse", "HEAD~1^{tree}")
	if err := os.Remove(filepath.Join(repo, ".git", "objects", tree[:2], tree[2:])); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Dir: repo}
	_, err := r.Output(context.Background(), "log", "--format=%H", "--stat")
	e := asError(t, err, ErrMissingObject)
	if !strings.Contains(e.Error(), tree) {
		t.Errorf("message %q does not name the missing tree %s (stderr %q)", e, tree, e.Stderr)
	}
}

func TestUnreachable(t *testing.T) {
	port := freePort(t)
	r := &Runner{Dir: t.TempDir(), Auth: Auth{Token: testToken}, Timeout: 20 * time.Second}
	url := "https://127.0.0.1:" + itoa(port) + "/repo.git"
	_, err := r.Output(context.Background(), "ls-remote", url)
	e := asError(t, err, ErrUnreachable)
	if !strings.Contains(e.Error(), url) {
		t.Errorf("message %q does not name %s", e, url)
	}
	assertNoSecret(t, "message", e.Error())
}

func TestAuthEnv(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	const caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	if err := os.WriteFile(caFile, []byte(caPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "it's a %d key")
	if err := os.WriteFile(odd, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := Auth{Token: testToken, Scheme: "bearer", CAFile: caFile, SSHKeyFile: odd, KnownHostsFile: filepath.Join(dir, "known hosts")}
	env, cleanup, err := a.Env()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	config := map[string]string{}
	for i := 0; vars["GIT_CONFIG_KEY_"+itoa(i)] != ""; i++ {
		config[vars["GIT_CONFIG_KEY_"+itoa(i)]] = vars["GIT_CONFIG_VALUE_"+itoa(i)]
	}
	if vars["GIT_CONFIG_COUNT"] != itoa(len(config)) {
		t.Errorf("GIT_CONFIG_COUNT = %s for %d entries", vars["GIT_CONFIG_COUNT"], len(config))
	}
	if got := config["http.extraHeader"]; got != "Authorization: Bearer "+testToken {
		t.Errorf("http.extraHeader = %q", got)
	}
	if config["http.sslVerify"] != "true" {
		t.Errorf("http.sslVerify = %q", config["http.sslVerify"])
	}
	bundle := config["http.sslCAInfo"]
	b, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), caPEM) {
		t.Errorf("CA bundle does not end with ca_file")
	}
	if sys, err := os.ReadFile(systemCABundles[0]); err == nil && !strings.HasPrefix(string(b), string(sys)) {
		t.Errorf("CA bundle does not start with the system roots")
	}
	cleanup()
	if _, err := os.Stat(bundle); !os.IsNotExist(err) {
		t.Errorf("cleanup left %s", bundle)
	}
	if vars["GIT_SSH_VARIANT"] != "ssh" {
		t.Errorf("GIT_SSH_VARIANT = %q", vars["GIT_SSH_VARIANT"])
	}

	// git runs GIT_SSH_COMMAND through sh -c; check what ssh would get.
	words, err := exec.Command("sh", "-c", "ssh() { printf '%s\\n' \"$@\"; }; "+vars["GIT_SSH_COMMAND"]+` "$@"`, "sh", "git@host", "git-upload-pack 'x'").Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(words)), "\n")
	want := []string{
		"UserKnownHostsFile=" + strings.ReplaceAll(filepath.Join(dir, "known hosts"), " ", `\ `),
		"IdentityFile=" + strings.NewReplacer("'", `\'`, " ", `\ `, "%", "%%").Replace(odd),
		"StrictHostKeyChecking=yes", "BatchMode=yes", "IdentitiesOnly=yes", "git@host", "git-upload-pack 'x'",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("ssh arguments %q lack %q", got, w)
		}
	}
}

func TestAuthEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		auth Auth
		kind ErrorKind
		want string
	}{
		{"scheme", Auth{Token: "t", Scheme: "digest"}, ErrAuth, `"basic" or "bearer"`},
		{"newline", Auth{Token: "a\nX-Evil: 1"}, ErrAuth, "control characters"},
		{"ca file", Auth{CAFile: "/nonexistent/ca.pem"}, ErrTLS, "ca_file"},
		{"key file", Auth{SSHKeyFile: "/nonexistent/key"}, ErrAuth, "ssh_key_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cleanup, err := tt.auth.Env()
			cleanup()
			e := asError(t, err, tt.kind)
			if !strings.Contains(e.Error(), tt.want) {
				t.Errorf("message %q lacks %q", e, tt.want)
			}
			if strings.Contains(e.Error(), "X-Evil") {
				t.Errorf("message %q repeats the token", e)
			}
		})
	}
}
