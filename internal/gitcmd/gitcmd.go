// Package gitcmd runs the git CLI for Sluice: every process gets no terminal
// prompts, a timeout, cancellation through its context, and the transport
// settings (HTTPS token, private CA, SSH key and pinned host keys) of the
// remote it talks to. Secrets reach git only through the environment, never
// argv or URLs, and never appear in returned errors.
package gitcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Auth holds the transport settings for one remote.
type Auth struct {
	// Token is an HTTPS access token (secret). Sent as an
	// "Authorization" header through http.extraHeader in git's environment.
	Token string
	// Username is used for Basic auth with Token as password
	// (default "x-access-token"; GitLab and Bitbucket accept any user name
	// or a real one). Ignored when Scheme is "bearer".
	Username string
	// Scheme is "basic" (default) or "bearer".
	Scheme string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// SSHKeyFile is the private key for SSH remotes.
	SSHKeyFile string
	// KnownHostsFile pins SSH host keys; strict checking is always on.
	// Empty means ~/.ssh/known_hosts.
	KnownHostsFile string
}

// Runner runs git inside one repository directory (git -C Dir).
type Runner struct {
	// Dir is the repository (work tree or bare) directory.
	Dir string
	// Auth is applied to the subcommands that talk to a remote (fetch,
	// ls-remote, clone, pull, push, remote, archive, submodule, fetch-pack,
	// send-pack); others run without it.
	Auth Auth
	// Timeout bounds each command; zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds a git command when Runner.Timeout is zero.
const DefaultTimeout = 2 * time.Hour

// stderrLimit is how much of git's stderr (its end) is kept for
// classification.
const stderrLimit = 64 << 10

// waitDelay bounds how long Wait waits for git's pipes once git has exited
// or been killed (a grandchild such as ssh could hold them open).
const waitDelay = 5 * time.Second

// remoteCommands are the git subcommands that may talk to a remote; only
// they get the Auth settings (building a CA bundle for every git log would
// be waste).
var remoteCommands = map[string]bool{
	"archive":    true,
	"clone":      true,
	"fetch":      true,
	"fetch-pack": true,
	"ls-remote":  true,
	"pull":       true,
	"push":       true,
	"remote":     true,
	"send-pack":  true,
	"submodule":  true,
}

// Output runs git with args and returns its stdout. Use only for small
// outputs. A failure returns an *Error (with whatever stdout git wrote).
func (r *Runner) Output(ctx context.Context, args ...string) ([]byte, error) {
	return output(ctx, r.invocation(nil, args))
}

// OutputStdin is Output with stdin fed to git.
func (r *Runner) OutputStdin(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	return output(ctx, r.invocation(stdin, args))
}

// Stream starts git with args, feeding stdin (may be nil), and returns a
// Stream to read its stdout incrementally. A failure to start returns an
// *Error.
//
// stdin is copied to git by a goroutine that ends when stdin returns EOF or
// git exits; if stdin blocks forever that goroutine stays blocked in its
// Read (git itself is still killed on timeout or cancel).
func (r *Runner) Stream(ctx context.Context, stdin io.Reader, args ...string) (*Stream, error) {
	return start(ctx, r.invocation(stdin, args))
}

func (r *Runner) invocation(stdin io.Reader, args []string) invocation {
	return invocation{
		dir:     r.Dir,
		auth:    r.Auth,
		useAuth: remoteCommands[subcommand(args)],
		timeout: r.Timeout,
		stdin:   stdin,
		args:    args,
	}
}

// output runs inv to completion and returns its stdout.
func output(ctx context.Context, inv invocation) ([]byte, error) {
	s, err := start(ctx, inv)
	if err != nil {
		return nil, err
	}
	out, rerr := io.ReadAll(s)
	if cerr := s.Close(); cerr != nil {
		return out, cerr
	}
	if rerr != nil {
		return out, s.wrap(ErrOther, fmt.Sprintf("reading the output of git %s failed: %v", subcommand(inv.args), rerr), rerr)
	}
	return out, nil
}

// invocation is everything needed to run one git process.
type invocation struct {
	dir      string
	auth     Auth
	useAuth  bool
	timeout  time.Duration
	stdin    io.Reader
	args     []string
	progress io.Writer // also receives stderr, redacted, when non-nil
	remote   string    // clean remote URL, for error messages
}

// start runs git as described by inv.
func start(ctx context.Context, inv invocation) (*Stream, error) {
	if inv.timeout <= 0 {
		inv.timeout = DefaultTimeout
	}
	if inv.remote == "" {
		inv.remote = remoteInArgs(inv.args)
	}
	s := &Stream{parent: ctx, inv: inv, cleanup: func() {}}
	env := baseEnv()
	if inv.useAuth {
		authEnv, cleanup, err := inv.auth.Env()
		if err != nil {
			return nil, s.wrapConfig(err)
		}
		env = append(env, authEnv...)
		s.cleanup = cleanup
	}
	var argv []string
	if inv.dir != "" {
		argv = append(argv, "-C", inv.dir)
	}
	argv = append(argv, inv.args...)

	s.ctx, s.cancel = context.WithTimeout(ctx, inv.timeout)
	cmd := exec.CommandContext(s.ctx, "git", argv...)
	cmd.Env = env
	// git and its helpers (ssh, git-remote-https) share a process group so
	// that cancelling kills all of them, not just git.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay
	s.stderr = &tailBuffer{limit: stderrLimit}
	cmd.Stderr = s.stderr
	if inv.progress != nil {
		cmd.Stderr = io.MultiWriter(s.stderr, &redactingWriter{w: inv.progress, secrets: inv.auth.secrets()})
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.release()
		return nil, s.wrap(ErrOther, "cannot run git: "+err.Error(), err)
	}
	growPipe(stdout)
	var stdinPipe io.WriteCloser
	if inv.stdin != nil {
		if stdinPipe, err = cmd.StdinPipe(); err != nil {
			s.release()
			return nil, s.wrap(ErrOther, "cannot run git: "+err.Error(), err)
		}
	}
	if err := cmd.Start(); err != nil {
		s.release()
		if ctx.Err() != nil {
			return nil, s.wrap(ErrOther, fmt.Sprintf("git %s was cancelled", subcommand(inv.args)), ctx.Err())
		}
		return nil, s.wrap(ErrOther, "cannot run git ("+err.Error()+"): install git 2.31 or newer and put it on PATH", err)
	}
	if stdinPipe != nil {
		// Our own goroutine rather than exec's, so that Wait never waits
		// for a stdin reader that blocks.
		go func() {
			io.Copy(stdinPipe, inv.stdin)
			stdinPipe.Close()
		}()
	}
	s.cmd = cmd
	s.Reader = &streamReader{r: stdout, s: s}
	return s, nil
}

// Stream is a running git process whose stdout is read incrementally.
type Stream struct {
	io.Reader

	inv     invocation
	cmd     *exec.Cmd
	parent  context.Context // the caller's context
	ctx     context.Context // parent plus the timeout
	cancel  context.CancelFunc
	stderr  *tailBuffer
	cleanup func()
	eof     atomic.Bool
	once    sync.Once
	err     error
}

// streamReader notes when git's stdout reaches EOF.
type streamReader struct {
	r io.Reader
	s *Stream
}

func (r *streamReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		r.s.eof.Store(true)
	}
	return n, err
}

// Close stops reading, waits for the process and returns its failure as an
// *Error (nil if git exited 0). Closing before EOF kills the process and is
// not an error, unless the timeout had already killed it. Close may be called more than once and from another
// goroutine than the reader's, to abort it.
func (s *Stream) Close() error {
	s.once.Do(func() { s.err = s.close() })
	return s.err
}

func (s *Stream) close() error {
	defer s.release()
	// A timeout that already struck is reported even before EOF: the
	// caller did not choose to stop git.
	early := !s.eof.Load() && !errors.Is(s.ctx.Err(), context.DeadlineExceeded)
	if early {
		// Cancelling the context runs cmd.Cancel: the process group dies.
		s.cancel()
	}
	err := s.cmd.Wait()
	if early || err == nil {
		return nil
	}
	return s.failure(err)
}

// release frees the timer and temporary files of s.
func (s *Stream) release() {
	if s.cancel != nil {
		s.cancel()
	}
	s.cleanup()
}

// failure turns the error of a finished git process into an *Error.
func (s *Stream) failure(err error) *Error {
	stderr := s.stderr.String()
	switch {
	case errors.Is(s.ctx.Err(), context.DeadlineExceeded):
		msg := fmt.Sprintf("git %s did not finish within %s", subcommand(s.inv.args), s.inv.timeout)
		if errors.Is(s.parent.Err(), context.DeadlineExceeded) {
			msg = fmt.Sprintf("git %s did not finish before its deadline", subcommand(s.inv.args))
		}
		msg += ": the server or network may be slow or the repository very large; raise the timeout or check connectivity"
		e := s.wrap(ErrTimeout, msg, context.DeadlineExceeded)
		e.Stderr = redact(stderr, s.inv.auth.secrets())
		return e
	case s.parent.Err() != nil:
		e := s.wrap(ErrOther, fmt.Sprintf("git %s was cancelled", subcommand(s.inv.args)), s.parent.Err())
		e.Stderr = redact(stderr, s.inv.auth.secrets())
		return e
	}
	secrets := s.inv.auth.secrets()
	stderr = redact(stderr, secrets)
	kind, msg := classify(stderr, failureContext{
		args:   s.inv.args,
		dir:    s.inv.dir,
		auth:   s.inv.auth,
		remote: s.inv.remote,
	})
	if msg == "" {
		msg = fmt.Sprintf("git %s failed (%v)", subcommand(s.inv.args), err)
	}
	e := s.wrap(kind, msg, err)
	e.Stderr = stderr
	return e
}

// wrap builds an *Error for s with redacted arguments. The message is
// built from already-redacted stderr and Sluice's own words, so only
// header values and URL credentials are scrubbed from it: replacing the
// token text there would garble the sentence when a token is a common
// word ("wrong", say).
func (s *Stream) wrap(kind ErrorKind, msg string, err error) *Error {
	secrets := s.inv.auth.secrets()
	args := make([]string, len(s.inv.args))
	for i, a := range s.inv.args {
		args[i] = redact(a, secrets)
	}
	return &Error{Args: args, Kind: kind, Msg: redact(msg, nil), Err: err}
}

// wrapConfig returns err (from Auth.Env) as an *Error for s.
func (s *Stream) wrapConfig(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Args = s.wrap(0, "", nil).Args
		return &c
	}
	return s.wrap(ErrOther, err.Error(), err)
}

// subcommand is the git subcommand in args, skipping global options.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-c", "-C", "--git-dir", "--work-tree", "--namespace", "--config-env":
			i++ // the option's value
		default:
			if !strings.HasPrefix(a, "-") {
				return a
			}
		}
	}
	return ""
}

// remoteInArgs is the first argument that is a remote URL, cleaned, for
// error messages.
func remoteInArgs(args []string) string {
	for _, a := range args {
		if strings.Contains(a, "://") && !strings.HasPrefix(a, "-") {
			if clean, kind, err := ParseRemote(a); err == nil && kind != Local {
				return clean
			}
			return redactURL(a)
		}
	}
	return ""
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.limit {
		b.buf = b.buf[len(b.buf)-b.limit:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// redactingWriter passes git's progress output on line by line (git ends
// progress lines with \r) with secrets removed.
type redactingWriter struct {
	w       io.Writer
	secrets []string
	pending []byte
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	r.pending = append(r.pending, p...)
	for {
		i := bytes.IndexAny(r.pending, "\r\n")
		if i < 0 {
			break
		}
		line := redact(string(r.pending[:i+1]), r.secrets)
		r.pending = r.pending[i+1:]
		if _, err := io.WriteString(r.w, line); err != nil {
			// Progress is best effort; never fail git because of it.
			r.w = io.Discard
		}
	}
	if len(r.pending) > stderrLimit {
		r.pending = r.pending[len(r.pending)-stderrLimit:]
	}
	return len(p), nil
}

// Error is a failed git command. Its message is one sentence naming the
// problem and the fix (e.g. an unknown SSH host key and how to pin it), with
// secrets removed.
type Error struct {
	Args   []string // git arguments (no secrets ever appear in them)
	Stderr string   // git's stderr, secrets redacted
	Kind   ErrorKind
	Msg    string // the user-facing sentence
	Err    error  // underlying error: *exec.ExitError, context.DeadlineExceeded (ErrTimeout), context.Canceled …
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// ErrorKind classifies a git failure.
type ErrorKind int

// Error kinds.
const (
	ErrOther         ErrorKind = iota
	ErrNotRepository           // path is not a git repository
	ErrAuth                    // HTTP 401/403 or SSH permission denied
	ErrHostKey                 // SSH host key unknown or changed
	ErrTLS                     // certificate verification failed
	ErrUnreachable             // DNS, connection refused, timeout
	ErrNotFound                // remote repository does not exist
	ErrMissingObject           // object database is corrupt or incomplete
	ErrTimeout                 // the command ran past its timeout
)

// Renice sets the nice value of the git process (higher runs at a lower
// priority), for background streams; errors are ignored.
func (s *Stream) Renice(n int) {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, s.cmd.Process.Pid, n)
	}
}
