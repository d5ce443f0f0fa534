package gitcmd

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SSHConnectTimeout bounds the TCP connect and SSH handshake of one SSH
// connection (ssh -o ConnectTimeout).
const SSHConnectTimeout = 30

// systemCABundles are the files that hold the system trust roots, in the
// order Go's crypto/x509 looks for them on Linux.
var systemCABundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, macOS
}

// Env returns the environment entries that apply a's transport settings to
// one git process, to be appended to a base environment (Runner and Mirror
// add them to the environment they build themselves), and a cleanup func
// that removes the temporary files it made. cleanup is never nil and must
// be called once the process has exited.
//
// HTTPS settings reach git as GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/
// GIT_CONFIG_VALUE_n entries: http.extraHeader carries the token, and
// http.sslCAInfo points at a temporary bundle holding the system roots
// followed by CAFile (sslCAInfo replaces git's default bundle, so CAFile
// alone would drop the public roots). http.sslVerify is forced on and
// credential helpers are disabled. SSH settings reach git as
// GIT_SSH_COMMAND with strict host-key checking and batch mode. A setting
// that cannot work (unreadable ca_file or ssh_key_file, a token with a line
// break, an unknown Scheme) is an *Error naming it.
func (a Auth) Env() (env []string, cleanup func(), err error) {
	cleanup = func() {}
	cfg := [][2]string{
		// Whatever the user's or system's git config says, never skip
		// certificate checks, never ask a credential helper, never run
		// the arbitrary-command ext:: transport.
		{"http.sslVerify", "true"},
		{"credential.helper", ""},
		{"protocol.ext.allow", "never"},
	}
	if header, err := a.authorizationHeader(); err != nil {
		return nil, cleanup, err
	} else if header != "" {
		cfg = append(cfg, [2]string{"http.extraHeader", header})
	}
	if a.CAFile != "" {
		bundle, rm, err := combinedCABundle(a.CAFile)
		if err != nil {
			return nil, cleanup, err
		}
		cleanup = rm
		cfg = append(cfg, [2]string{"http.sslCAInfo", bundle})
	}
	sshCmd, err := a.sshCommand()
	if err != nil {
		cleanup()
		return nil, func() {}, err
	}
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(cfg)))
	for i, kv := range cfg {
		n := strconv.Itoa(i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+kv[0], "GIT_CONFIG_VALUE_"+n+"="+kv[1])
	}
	env = append(env, "GIT_SSH_COMMAND="+sshCmd, "GIT_SSH_VARIANT=ssh")
	return env, cleanup, nil
}

// token returns the token without surrounding white space (token files
// usually end in a newline).
func (a Auth) token() string { return strings.TrimSpace(a.Token) }

func (a Auth) username() string {
	if a.Username == "" {
		return "x-access-token"
	}
	return a.Username
}

func (a Auth) bearer() bool { return strings.EqualFold(a.Scheme, "bearer") }

// authorizationHeader is the full "Authorization: …" header line for the
// token, or "" when there is no token.
func (a Auth) authorizationHeader() (string, error) {
	switch strings.ToLower(a.Scheme) {
	case "", "basic", "bearer":
	default:
		return "", configError(ErrAuth, fmt.Sprintf("token scheme %q is not supported: use \"basic\" or \"bearer\"", a.Scheme), nil)
	}
	tok := a.token()
	if tok == "" {
		return "", nil
	}
	if strings.ContainsFunc(tok, isControl) || strings.ContainsFunc(a.Username, isControl) {
		// A line break would let the value inject further headers.
		return "", configError(ErrAuth, "the token or user name configured for this server contains control characters: check the token value", nil)
	}
	if a.bearer() {
		return "Authorization: Bearer " + tok, nil
	}
	if strings.Contains(a.Username, ":") {
		return "", configError(ErrAuth, "the user name configured for this server contains ':', which Basic authentication cannot carry: remove it", nil)
	}
	return "Authorization: Basic " + a.basicCredentials(), nil
}

func (a Auth) basicCredentials() string {
	return base64.StdEncoding.EncodeToString([]byte(a.username() + ":" + a.token()))
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// secrets lists the strings that must never leave this package: the token
// and the encodings of it that git could echo.
func (a Auth) secrets() []string {
	tok := a.token()
	if tok == "" {
		return nil
	}
	s := []string{tok, a.basicCredentials()}
	if raw := strings.TrimSpace(a.Token); raw != tok {
		s = append(s, raw)
	}
	return s
}

// knownHostsFile is the file holding the pinned SSH host keys.
func (a Auth) knownHostsFile() string {
	if a.KnownHostsFile != "" {
		return a.KnownHostsFile
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "~/.ssh/known_hosts"
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}

// sshCommand builds GIT_SSH_COMMAND. git runs it through "sh -c", so each
// argument is quoted for the POSIX shell; file names inside -o options are
// also escaped for ssh's own config parser (which splits at white space and
// expands %-tokens).
func (a Auth) sshCommand() (string, error) {
	knownHosts, err := sshPath(a.knownHostsFile(), "known_hosts_file")
	if err != nil {
		return "", err
	}
	opts := []string{
		"BatchMode=yes",
		"StrictHostKeyChecking=yes",
		"UpdateHostKeys=no",
		"UserKnownHostsFile=" + knownHosts,
		"ConnectTimeout=" + strconv.Itoa(SSHConnectTimeout),
		"ServerAliveInterval=15",
		"ServerAliveCountMax=4",
	}
	if a.KnownHostsFile != "" {
		// An explicit pin file is the only source of trust.
		opts = append(opts, "GlobalKnownHostsFile=/dev/null")
	}
	if a.SSHKeyFile != "" {
		if _, err := os.Stat(a.SSHKeyFile); err != nil {
			return "", configError(ErrAuth, fmt.Sprintf("cannot read the SSH key %s: check ssh_key_file for this source", a.SSHKeyFile), err)
		}
		key, err := sshPath(a.SSHKeyFile, "ssh_key_file")
		if err != nil {
			return "", err
		}
		opts = append(opts, "IdentitiesOnly=yes", "IdentityFile="+key)
	}
	cmd := []string{"ssh"}
	for _, o := range opts {
		cmd = append(cmd, "-o", shellQuote(o))
	}
	return strings.Join(cmd, " "), nil
}

// sshPath makes path absolute (git runs ssh in the repository directory)
// and escapes it for an ssh option value.
func sshPath(path, key string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", configError(ErrOther, fmt.Sprintf("cannot resolve %s (%s): %v", path, key, err), err)
	}
	if strings.ContainsFunc(abs, isControl) || strings.Contains(abs, "${") {
		// ssh cannot escape these: it would expand ${…} as a variable.
		return "", configError(ErrOther, fmt.Sprintf("the path %q (%s) contains control characters or \"${\", which ssh cannot take: move the file", abs, key), nil)
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`, " ", `\ `, "%", "%%")
	return r.Replace(abs), nil
}

// shellQuote quotes s for the POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// combinedCABundle writes the system roots followed by caFile into a new
// private temporary file and returns its path and a func removing it.
func combinedCABundle(caFile string) (path string, cleanup func(), err error) {
	extra, err := os.ReadFile(caFile)
	if err != nil {
		return "", nil, configError(ErrTLS, fmt.Sprintf("cannot read the CA bundle %s: check ca_file for this server", caFile), err)
	}
	if !strings.Contains(string(extra), "-----BEGIN CERTIFICATE-----") {
		return "", nil, configError(ErrTLS, fmt.Sprintf("the CA bundle %s holds no PEM certificate: set ca_file to the server's CA certificates in PEM form", caFile), nil)
	}
	var system []byte
	candidates := systemCABundles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		candidates = append([]string{f}, candidates...)
	}
	for _, f := range candidates {
		if b, err := os.ReadFile(f); err == nil {
			system = b
			break
		}
	}
	dir, err := os.MkdirTemp("", "sluice-ca-")
	if err != nil {
		return "", nil, configError(ErrOther, "cannot create a temporary CA bundle: check that the temporary directory is writable", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	var buf []byte
	buf = append(buf, system...)
	if len(buf) > 0 && buf[len(buf)-1] != '\n' {
		buf = append(buf, '\n')
	}
	buf = append(buf, extra...)
	path = filepath.Join(dir, "ca-bundle.pem")
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		cleanup()
		return "", nil, configError(ErrOther, "cannot create a temporary CA bundle: check that the temporary directory is writable", err)
	}
	return path, cleanup, nil
}

// preservedGitVars are the GIT_* variables of Sluice's own environment that
// git still sees; every other GIT_* variable (GIT_DIR from a hook,
// GIT_SSL_NO_VERIFY, GIT_TRACE_CURL …) is dropped.
var preservedGitVars = map[string]bool{
	"GIT_EXEC_PATH":       true,
	"GIT_CONFIG_GLOBAL":   true,
	"GIT_CONFIG_SYSTEM":   true,
	"GIT_CONFIG_NOSYSTEM": true,
	"GIT_TEMPLATE_DIR":    true,
}

// baseEnv is the environment of every git process, before Auth.Env.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "GIT_") && !preservedGitVars[name],
			strings.HasPrefix(name, "LC_"), name == "LANG", name == "LANGUAGE",
			name == "SSH_ASKPASS", name == "SSH_ASKPASS_REQUIRE", name == "GCM_INTERACTIVE":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"SSH_ASKPASS_REQUIRE=never",
		"GCM_INTERACTIVE=never",
		"GIT_PAGER=cat",
		"GIT_EDITOR=:",
	)
}
