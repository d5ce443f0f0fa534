// Package gitcmd runs the git CLI for Sluice: every process gets no terminal
// prompts, a timeout, cancellation through its context, and the transport
// settings (HTTPS token, private CA, SSH key and pinned host keys) of the
// remote it talks to. Secrets reach git only through the environment, never
// argv or URLs, and never appear in returned errors.
package gitcmd

import (
	"context"
	"errors"
	"io"
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
	// Auth is applied to commands that talk to a remote.
	Auth Auth
	// Timeout bounds each command; zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds a git command when Runner.Timeout is zero.
const DefaultTimeout = 2 * time.Hour

// Output runs git with args and returns its stdout. Use only for small
// outputs. A failure returns an *Error.
func (r *Runner) Output(ctx context.Context, args ...string) ([]byte, error) {
	return nil, errors.New("not implemented")
}

// Stream starts git with args, feeding stdin (may be nil), and returns a
// Stream to read its stdout incrementally.
func (r *Runner) Stream(ctx context.Context, stdin io.Reader, args ...string) (*Stream, error) {
	return nil, errors.New("not implemented")
}

// Stream is a running git process whose stdout is read incrementally.
type Stream struct {
	io.Reader
}

// Close stops reading, waits for the process and returns its failure as an
// *Error (nil if git exited 0). Closing before EOF kills the process and is
// not an error.
func (s *Stream) Close() error { return nil }

// Error is a failed git command. Its message is one sentence naming the
// problem and the fix (e.g. an unknown SSH host key and how to pin it), with
// secrets removed.
type Error struct {
	Args   []string // git arguments (no secrets ever appear in them)
	Stderr string   // git's stderr, secrets redacted
	Kind   ErrorKind
	Msg    string // the user-facing sentence
	Err    error  // underlying exec error
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

// RemoteKind is how a repository is reached.
type RemoteKind int

// Remote kinds.
const (
	Local RemoteKind = iota
	HTTPS
	SSH
)

// ParseRemote classifies a user-given PATH|URL. HTTP(S) URLs must not carry
// credentials (an error says to use a source token instead); ssh:// URLs and
// scp-like "user@host:path" are SSH; anything else is a local path, returned
// as an absolute path. clean is what may be stored and shown.
func ParseRemote(s string) (clean string, kind RemoteKind, err error) {
	return "", Local, errors.New("not implemented")
}

// Mirror creates a bare mirror of url in dir (branches and tags only, no
// pull-request or other refs) or, if dir already holds one, fetches into it
// with pruning. progress, if non-nil, receives git's progress lines.
func Mirror(ctx context.Context, url string, auth Auth, dir string, timeout time.Duration, progress io.Writer) error {
	return errors.New("not implemented")
}
