package gitcmd

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

// RemoteKind is how a repository is reached.
type RemoteKind int

// Remote kinds.
const (
	Local RemoteKind = iota
	HTTPS            // https:// or plain http://
	SSH              // ssh:// or scp-like user@host:path
)

// String names the kind.
func (k RemoteKind) String() string {
	switch k {
	case Local:
		return "local"
	case HTTPS:
		return "https"
	case SSH:
		return "ssh"
	}
	return fmt.Sprintf("RemoteKind(%d)", int(k))
}

var (
	reScheme          = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)
	reTransportHelper = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*::`)
)

// ParseRemote classifies a user-given PATH|URL. HTTP(S) URLs must not carry
// credentials (an error says to use a source token instead); ssh:// URLs and
// scp-like "user@host:path" are SSH; anything else is a local path, returned
// as an absolute path. clean is what may be stored and shown.
//
// Like git, ParseRemote reads "host:path" with no slash before the colon as
// scp-like SSH; write "./host:path" for such a local directory. git's
// "<transport>::<address>" syntax and other URL schemes (git://, ftp://) are
// refused, and so are file:// URLs naming another host.
func ParseRemote(s string) (clean string, kind RemoteKind, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Local, errors.New("empty repository path or URL: give a local path, an https:// URL or an SSH remote")
	}
	if reTransportHelper.MatchString(s) {
		return "", Local, fmt.Errorf("%q uses git's <transport>::<address> syntax, which Sluice does not run: give a local path, an https:// URL or an SSH remote", redactURL(s))
	}
	if m := reScheme.FindStringSubmatch(s); m != nil {
		switch strings.ToLower(m[1]) {
		case "http", "https":
			return parseHTTP(s)
		case "ssh", "git+ssh", "ssh+git":
			return parseSSHURL(s)
		case "file":
			return parseFileURL(s)
		case "git":
			return "", Local, fmt.Errorf("%s uses the unauthenticated, unencrypted git:// protocol: use the server's https:// or ssh:// URL", redactURL(s))
		default:
			return "", Local, fmt.Errorf("%s: unsupported URL scheme %q: use https://, ssh:// or a local path", redactURL(s), m[1])
		}
	}
	if hostPart, path, ok := cutSCP(s); ok {
		return parseSCP(s, hostPart, path)
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return "", Local, fmt.Errorf("resolve path %s: %w", s, err)
	}
	return filepath.Clean(abs), Local, nil
}

func parseHTTP(s string) (string, RemoteKind, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", HTTPS, fmt.Errorf("%s is not a valid URL: %v", redactURL(s), redactURLError(err))
	}
	if u.User != nil {
		u.User = nil
		return "", HTTPS, fmt.Errorf("the URL %s contains credentials; remove them and configure a token for this server in sluice.yaml (token: ${ENV_VAR})", u.Redacted())
	}
	if u.Hostname() == "" {
		return "", HTTPS, fmt.Errorf("the URL %s has no host name", s)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return u.String(), HTTPS, nil
}

func parseSSHURL(s string) (string, RemoteKind, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", SSH, fmt.Errorf("%s is not a valid URL: %v", redactURL(s), redactURLError(err))
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		u.User = url.User(u.User.Username())
		return "", SSH, fmt.Errorf("the URL %s contains a password; remove it: SSH remotes authenticate with a key (ssh_key_file)", u.Redacted())
	}
	host := u.Hostname()
	if host == "" || strings.HasPrefix(host, "-") {
		return "", SSH, fmt.Errorf("the URL %s has no valid host name", s)
	}
	if u.Path == "" || u.Path == "/" {
		return "", SSH, fmt.Errorf("the URL %s names no repository path", s)
	}
	u.Scheme = "ssh"
	u.Host = strings.ToLower(u.Host)
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u.String(), SSH, nil
}

func parseFileURL(s string) (string, RemoteKind, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", Local, fmt.Errorf("%s is not a valid URL: %v", s, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", Local, fmt.Errorf("%s names another host; file:// URLs must name a local path", s)
	}
	if !filepath.IsAbs(u.Path) {
		return "", Local, fmt.Errorf("%s does not name an absolute path", s)
	}
	return filepath.Clean(u.Path), Local, nil
}

// parseSCP checks an scp-like remote ("[user@]host:path").
func parseSCP(s, hostPart, path string) (string, RemoteKind, error) {
	host := hostPart
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	host = strings.Trim(host, "[]")
	if host == "" || strings.HasPrefix(host, "-") {
		return "", SSH, fmt.Errorf("%s has no valid host name", s)
	}
	if path == "" {
		return "", SSH, fmt.Errorf("%s names no repository path", s)
	}
	if !strings.Contains(hostPart, "@") {
		// "user:password@host:path" splits at the first colon.
		first, _, _ := strings.Cut(path, "/")
		if at := strings.Index(first, "@"); at >= 0 && strings.Contains(first[at:], ":") {
			return "", SSH, fmt.Errorf("the remote %s@%s seems to contain a password; remove it: SSH remotes authenticate with a key (ssh_key_file)", hostPart, first[at+1:])
		}
	}
	return s, SSH, nil
}

// cutSCP splits an scp-like remote at the colon that ends its host part,
// following git's rule: a colon before any slash, with "[…]" protecting
// the colons of an IPv6 address or "host:port".
func cutSCP(s string) (hostPart, path string, ok bool) {
	colon := strings.IndexByte(s, ':')
	if open := strings.IndexByte(s, '['); open >= 0 && (colon < 0 || open < colon) {
		closeIdx := strings.IndexByte(s[open:], ']')
		if closeIdx < 0 {
			return "", "", false
		}
		end := open + closeIdx + 1
		if end >= len(s) || s[end] != ':' {
			return "", "", false
		}
		colon = end
	}
	if colon <= 0 {
		return "", "", false
	}
	if slash := strings.IndexByte(s, '/'); slash >= 0 && slash < colon {
		return "", "", false
	}
	return s[:colon], s[colon+1:], true
}

// redactURLError keeps url.Parse errors, which quote the input, from
// repeating a password.
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "invalid URL"
}
