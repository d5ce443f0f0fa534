package gitcmd

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// String names the kind, for logs and tests.
func (k ErrorKind) String() string {
	switch k {
	case ErrOther:
		return "other"
	case ErrNotRepository:
		return "not-repository"
	case ErrAuth:
		return "auth"
	case ErrHostKey:
		return "host-key"
	case ErrTLS:
		return "tls"
	case ErrUnreachable:
		return "unreachable"
	case ErrNotFound:
		return "not-found"
	case ErrMissingObject:
		return "missing-object"
	case ErrTimeout:
		return "timeout"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// configError is an *Error about settings, raised before git runs.
func configError(kind ErrorKind, msg string, err error) *Error {
	return &Error{Kind: kind, Msg: msg, Err: err}
}

// failureContext is what classify knows beside git's stderr.
type failureContext struct {
	args   []string // redacted
	dir    string
	auth   Auth
	remote string // clean remote URL, may be empty
}

var (
	// ssh: "No ED25519 host key is known for [127.0.0.1]:2222 and …",
	// "Host key for [127.0.0.1]:2222 has changed and …".
	reHostKeyHost = regexp.MustCompile(`(?:is known for|[Hh]ost key for) (\S+?)(?:\s+and\s|\s+has\s|\.?\s*$)`)
	// ssh: "git@example.com: Permission denied (publickey)."
	reSSHDenied = regexp.MustCompile(`(\S+@\S+): Permission denied`)
	// curl via git: "fatal: unable to access 'https://host/x/': …".
	reQuotedURL = regexp.MustCompile(`'((?:https?|ssh|file)://[^']*)'`)
	// "fatal: '/srv/x' does not appear to be a git repository".
	reNotRemoteRepo = regexp.MustCompile(`'([^']*)' does not appear to be a git repository`)
	// "fatal: repository 'https://host/x.git/' not found".
	reRepoNotFound = regexp.MustCompile(`(?i)repository '[^']*' not found`)
	reObjectID     = regexp.MustCompile(`\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b`)
	// Any userinfo of an HTTP URL may be a token; elsewhere the password.
	reHTTPUserinfo = regexp.MustCompile(`(?i)\b(https?://)[^/@\s']+@`)
	rePassword     = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^/@\s':]*):[^/@\s']*@`)
	reAuthHeader   = regexp.MustCompile(`(?i)(authorization:\s*(?:basic|bearer|token)\s+)\S+`)
)

// containsAny reports whether s contains one of subs, ignoring case.
func containsAny(s string, subs ...string) bool {
	ls := strings.ToLower(s)
	for _, sub := range subs {
		if strings.Contains(ls, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// classify turns git's (redacted) stderr into a kind and one sentence that
// names the problem and its fix. The order matters: transport problems are
// recognised before the generic messages git prints after them ("Could not
// read from remote repository").
func classify(stderr string, c failureContext) (ErrorKind, string) {
	remote := c.remote
	if remote == "" {
		if m := reQuotedURL.FindStringSubmatch(stderr); m != nil {
			remote = redactURL(m[1])
		}
	}
	sub := "git " + subcommand(c.args)
	switch {
	case containsAny(stderr, "REMOTE HOST IDENTIFICATION HAS CHANGED", "has changed and you have requested strict checking"):
		host, port := hostKeyTarget(stderr, remote)
		file := c.auth.knownHostsFile()
		spec := host
		if port != "22" {
			spec = "[" + host + "]:" + port
		}
		return ErrHostKey, fmt.Sprintf("the SSH host key of %s differs from the one pinned in %s, so the connection was refused (possibly a man-in-the-middle): "+
			"only if the server's key was really replaced, confirm the new fingerprint with its administrator out of band, "+
			"then remove the old entry with `ssh-keygen -R %s -f %s` and pin the new key with `ssh-keyscan -p %s %s >> %s`",
			spec, file, shellQuote(spec), shellQuote(file), port, host, shellQuote(file))

	case containsAny(stderr, "host key is known for", "Host key verification failed", "No matching host key type found"):
		host, port := hostKeyTarget(stderr, remote)
		file := c.auth.knownHostsFile()
		spec := host
		if port != "22" {
			spec = "[" + host + "]:" + port
		}
		return ErrHostKey, fmt.Sprintf("the SSH host key of %s is not pinned in %s (strict host-key checking is on): "+
			"pin it with `ssh-keyscan -p %s %s >> %s` and verify the fingerprint it prints (`ssh-keygen -lf %s`) against one the server's administrator gives you out of band",
			spec, file, port, host, shellQuote(file), shellQuote(file))

	case containsAny(stderr, "Permission denied (publickey", "Permission denied (keyboard", "Permission denied (password", "Permission denied, please try again"):
		who := "the server"
		if m := reSSHDenied.FindStringSubmatch(stderr); m != nil {
			who = m[1]
		} else if remote != "" {
			who = remote
		}
		if c.auth.SSHKeyFile == "" {
			return ErrAuth, fmt.Sprintf("SSH authentication to %s failed and no ssh_key_file is configured for this source: set ssh_key_file to a private key that the server accepts for that user", who)
		}
		return ErrAuth, fmt.Sprintf("SSH authentication to %s failed: check that the public half of %s (ssh_key_file) is authorized for that user on the server and that the user name in the URL is right", who, c.auth.SSHKeyFile)

	case containsAny(stderr, "Load key ", "UNPROTECTED PRIVATE KEY FILE"):
		return ErrAuth, fmt.Sprintf("ssh could not use the key %s (ssh_key_file): it must be an unencrypted private key in OpenSSH or PEM format, readable only by its owner", c.auth.SSHKeyFile)

	case containsAny(stderr, "error setting certificate", "problem with the SSL CA cert", "error reading ca cert"):
		return ErrTLS, fmt.Sprintf("git could not load the CA bundle %s: check that ca_file is a readable PEM file", c.auth.CAFile)

	case containsAny(stderr, "no alternative certificate subject name matches", "does not match target host name", "certificate subject name"):
		return ErrTLS, fmt.Sprintf("the TLS certificate of %s is not valid for that host name: use the host name the certificate was issued for in the remote URL, or have the certificate reissued", orServer(hostOf(remote)))

	case containsAny(stderr, "server certificate verification failed", "SSL certificate problem", "certificate verify failed",
		"unable to get local issuer certificate", "self signed certificate", "self-signed certificate", "certificate has expired",
		"SSL peer certificate or SSH remote key was not OK"):
		host := orServer(hostOf(remote))
		if containsAny(stderr, "certificate has expired", "certificate expired") {
			return ErrTLS, fmt.Sprintf("the TLS certificate of %s has expired: renew it on the server (TLS verification is never turned off)", host)
		}
		if c.auth.CAFile != "" {
			return ErrTLS, fmt.Sprintf("the TLS certificate of %s is trusted neither by the system roots nor by ca_file (%s): set ca_file to the bundle of the CA that issued it, including any intermediate certificates", host, c.auth.CAFile)
		}
		return ErrTLS, fmt.Sprintf("the TLS certificate of %s could not be verified: set ca_file for this server to the PEM bundle of the CA that issued it (TLS verification is never turned off)", host)

	case containsAny(stderr, "returned error: 403"):
		return ErrAuth, fmt.Sprintf("access to %s was denied (HTTP 403): check that the token configured for this server (token: ${ENV_VAR} or token_file) is valid and allowed to read this repository", orServer(remote))

	case containsAny(stderr, "returned error: 401", "Authentication failed for", "could not read Username", "could not read Password",
		"terminal prompts disabled", "HTTP Basic: Access denied", "Invalid username or password", "Invalid credentials"):
		if c.auth.token() == "" {
			return ErrAuth, fmt.Sprintf("%s requires authentication: configure a token for this server in sluice.yaml (token: ${ENV_VAR} or token_file)", orServer(remote))
		}
		return ErrAuth, fmt.Sprintf("authentication failed for %s: check the token configured for this server (token: ${ENV_VAR} or token_file); it may be wrong, expired, revoked or lack read access", orServer(remote))

	case reRepoNotFound.MatchString(stderr) || containsAny(stderr, "repository not found", "returned error: 404", "does not appear to be a git repository",
		"project not found", "could not be found", "No such repository", "did you run git update-server-info"):
		what := remote
		if m := reNotRemoteRepo.FindStringSubmatch(stderr); m != nil && what == "" {
			what = m[1]
		}
		if what == "" {
			what = "the remote repository"
		}
		return ErrNotFound, fmt.Sprintf("%s does not exist or cannot be seen with the configured credentials: check the URL or path and that the token or key has access to it", what)

	case containsAny(stderr, "Could not resolve host", "Could not resolve hostname", "Name or service not known", "Temporary failure in name resolution",
		"nodename nor servname", "Could not resolve proxy", "Connection refused", "Couldn't connect to server", "Failed to connect to",
		"timed out", "Network is unreachable", "No route to host", "Connection reset by peer", "Connection closed by",
		"kex_exchange_identification", "Empty reply from server", "Proxy CONNECT aborted"):
		return ErrUnreachable, fmt.Sprintf("cannot reach %s (%s): check the host name, port, DNS, proxy and firewall between Sluice and the server",
			orServer(remote), firstMatchingLine(stderr, "resolve", "connect", "timed out", "unreachable", "route", "reset", "closed", "kex_", "reply", "proxy"))

	case containsAny(stderr, "detected dubious ownership"):
		dir := c.dir
		if dir == "" {
			dir = "the repository"
		}
		return ErrNotRepository, fmt.Sprintf("git refuses to read %s because another user owns it; run sluice as that user, or trust it with `git config --global --add safe.directory %s`", dir, dir)

	case containsAny(stderr, "not a git repository", "cannot change to"):
		dir := c.dir
		if dir == "" {
			dir = "the working directory"
		}
		if containsAny(stderr, "cannot change to") {
			return ErrNotRepository, fmt.Sprintf("%s does not exist: check the repository path", dir)
		}
		return ErrNotRepository, fmt.Sprintf("%s is not a git repository: check the path (it must be a clone or a mirror made by Sluice)", dir)

	case isMissingObject(stderr):
		dir := c.dir
		if dir == "" {
			dir = "."
		}
		what := "objects"
		if id := reObjectID.FindString(stderr); id != "" {
			what = "object " + id
		}
		return ErrMissingObject, fmt.Sprintf("the repository at %s is missing %s (it is incomplete or corrupt): run `git -C %s fsck`, or delete it so that Sluice mirrors it again", dir, what, shellQuote(dir))
	}
	if line := lastErrorLine(stderr); line != "" {
		return ErrOther, fmt.Sprintf("%s failed: %s", sub, line)
	}
	return ErrOther, ""
}

func isMissingObject(stderr string) bool {
	if containsAny(stderr, "unable to read", "bad object", "missing blob", "missing tree", "missing commit", "missing tag",
		"did not receive expected object", "is corrupt", "invalid object", "packfile is truncated") {
		return true
	}
	for _, line := range strings.Split(stderr, "\n") {
		if containsAny(line, "could not read") && !containsAny(line, "from remote repository", "username", "password") {
			return true
		}
	}
	return false
}

// hostKeyTarget finds the host and port ssh complained about.
func hostKeyTarget(stderr, remote string) (host, port string) {
	if m := reHostKeyHost.FindStringSubmatch(stderr); m != nil {
		t := strings.TrimSuffix(m[1], ".")
		if strings.HasPrefix(t, "[") {
			if h, p, err := net.SplitHostPort(t); err == nil {
				return h, p
			}
		}
		return t, "22"
	}
	if host, port := sshHostPort(remote); host != "" {
		return host, port
	}
	return "HOST", "22"
}

// sshHostPort extracts host and port from an ssh:// or scp-like remote.
func sshHostPort(remote string) (host, port string) {
	if remote == "" {
		return "", ""
	}
	if strings.Contains(remote, "://") {
		u, err := url.Parse(remote)
		if err != nil {
			return "", ""
		}
		port = u.Port()
		if port == "" {
			port = "22"
		}
		return u.Hostname(), port
	}
	hostPart, _, ok := cutSCP(remote)
	if !ok {
		return "", ""
	}
	if i := strings.LastIndex(hostPart, "@"); i >= 0 {
		hostPart = hostPart[i+1:]
	}
	return strings.Trim(hostPart, "[]"), "22"
}

// hostOf is the host[:port] of a URL, or "".
func hostOf(remote string) string {
	if u, err := url.Parse(remote); err == nil && u.Host != "" {
		return u.Host
	}
	if h, _ := sshHostPort(remote); h != "" {
		return h
	}
	return ""
}

func orServer(s string) string {
	if s == "" {
		return "the git server"
	}
	return s
}

// firstMatchingLine is the first line of stderr mentioning one of words,
// without git's "fatal: " prefix.
func firstMatchingLine(stderr string, words ...string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if containsAny(line, words...) {
			return tidyLine(line)
		}
	}
	return lastErrorLine(stderr)
}

// lastErrorLine is the last "fatal:"/"error:" line of stderr, or else its
// last non-empty line.
func lastErrorLine(stderr string) string {
	lines := strings.FieldsFunc(stderr, func(r rune) bool { return r == '\n' || r == '\r' })
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if last == "" {
			last = l
		}
		if strings.HasPrefix(l, "fatal:") || strings.HasPrefix(l, "error:") {
			return tidyLine(l)
		}
	}
	return tidyLine(last)
}

func tidyLine(l string) string {
	l = strings.TrimSpace(l)
	for _, p := range []string{"fatal: ", "error: ", "ssh: "} {
		l = strings.TrimPrefix(l, p)
	}
	const max = 300
	if len(l) > max {
		l = l[:max] + "…"
	}
	return strings.TrimRight(l, ".")
}

// redact removes secrets, userinfo in URLs and Authorization header values
// from s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	s = reAuthHeader.ReplaceAllString(s, "${1}[REDACTED]")
	return redactURL(s)
}

// redactURL replaces the userinfo of URLs in s.
func redactURL(s string) string {
	s = reHTTPUserinfo.ReplaceAllString(s, "${1}[REDACTED]@")
	return rePassword.ReplaceAllString(s, "${1}:[REDACTED]@")
}
