package config

import (
	"net/url"
	"strings"
)

// SourceFor returns the source whose URL is the longest prefix of url, or
// nil. Scheme and host are compared case-insensitively and the path by
// whole segments; a port must match, an absent port meaning the scheme's
// default. An scp-like remote (git@host:group/repo.git) is read as
// ssh://git@host/group/repo.git. A user in the source URL must equal the
// repository URL's user when both have one.
func (c *Config) SourceFor(url string) *Source {
	repo, ok := parseRemote(url)
	if !ok {
		return nil
	}
	var best *Source
	bestLen := -1
	for i := range c.Sources {
		src, ok := parseRemote(c.Sources[i].URL)
		if !ok || !src.prefixOf(repo) {
			continue
		}
		if len(src.path) > bestLen {
			best, bestLen = &c.Sources[i], len(src.path)
		}
	}
	return best
}

// remote is a URL cut into the parts SourceFor compares.
type remote struct {
	scheme, user, host, port string
	path                     string // without a trailing slash
}

var defaultPorts = map[string]string{"https": "443", "http": "80", "ssh": "22", "git": "9418"}

func parseRemote(s string) (remote, bool) {
	s = strings.TrimSpace(s)
	if isSCPLike(s) {
		hostPart, p, _ := strings.Cut(s, ":")
		user, host, hasUser := strings.Cut(hostPart, "@")
		if !hasUser {
			user, host = "", hostPart
		}
		return remote{
			scheme: "ssh", user: user, host: strings.ToLower(host), port: "22",
			path: "/" + strings.Trim(p, "/"),
		}, true
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Hostname() == "" {
		return remote{}, false
	}
	r := remote{
		scheme: strings.ToLower(u.Scheme),
		user:   u.User.Username(),
		host:   strings.ToLower(u.Hostname()),
		port:   u.Port(),
		path:   strings.TrimRight(u.Path, "/"),
	}
	if r.port == "" {
		r.port = defaultPorts[r.scheme]
	}
	return r, true
}

// prefixOf reports whether source URL r covers repository URL repo.
func (r remote) prefixOf(repo remote) bool {
	if r.scheme != repo.scheme || r.host != repo.host || r.port != repo.port {
		return false
	}
	if r.user != "" && repo.user != "" && r.user != repo.user {
		return false
	}
	return r.path == "" || repo.path == r.path || strings.HasPrefix(repo.path, r.path+"/")
}

// isSCPLike reports whether s is git's scp-like remote syntax,
// [user@]host:path: a colon before any slash, and no "://".
func isSCPLike(s string) bool {
	if strings.Contains(s, "://") {
		return false
	}
	colon := strings.Index(s, ":")
	if colon <= 0 {
		return false
	}
	slash := strings.Index(s, "/")
	if slash >= 0 && slash < colon {
		return false
	}
	// A single letter before the colon is a Windows drive (C:\repo).
	if colon == 1 {
		return false
	}
	return !strings.HasPrefix(s, "file:")
}

func isHTTPURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}
