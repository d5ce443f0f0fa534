package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// resolve makes relative paths absolute against the config file's
// directory and reads every secret from its ${ENV_VAR} or *_file.
func (p *parser) resolve(c *Config) {
	p.absPath(&c.DataDir, "data_dir")
	p.absPath(&c.DBFile, "db_file")
	p.absPath(&c.Server.AdminPasswordFile, "server.admin_password_file")
	p.resolveSecret(&c.DB, "db", c.DBFile, "db_file", true)
	if c.DB.From == fromInline && isLocalPath(c.DB.Value) && !strings.HasPrefix(c.DB.Value, ":memory:") {
		p.absPath(&c.DB.Value, "db")
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		key := fmt.Sprintf("sources[%d]", i)
		p.absPath(&s.TokenFile, key+".token_file")
		p.absPath(&s.CAFile, key+".ca_file")
		p.absPath(&s.SSHKeyFile, key+".ssh_key_file")
		p.absPath(&s.KnownHostsFile, key+".known_hosts_file")
		p.resolveSecret(&s.Token, key+".token", s.TokenFile, key+".token_file", false)
	}
	for i := range c.Repositories {
		r := &c.Repositories[i]
		if isLocalPath(r.URL) {
			p.absPath(&r.URL, fmt.Sprintf("repositories[%d].url", i))
		}
	}
}

func (p *parser) absPath(s *string, key string) {
	if *s == "" || filepath.IsAbs(*s) {
		return
	}
	abs, err := filepath.Abs(filepath.Join(p.dir, *s))
	if err != nil {
		p.errorf(key, "%q cannot be made absolute: %v", *s, err)
		return
	}
	*s = abs
}

// isLocalPath reports whether s is a filesystem path rather than a URL
// (scheme://…, an scp-like user@host:path, or a file: URI).
func isLocalPath(s string) bool {
	return s != "" && !strings.Contains(s, "://") && !isSCPLike(s) && !strings.HasPrefix(s, "file:")
}

// resolveSecret fills s from its ${ENV_VAR} reference or from file.
// dbRules allows what db may hold inline: a path, or a postgres URL
// without a password.
func (p *parser) resolveSecret(s *Secret, key, file, fileKey string, dbRules bool) {
	ref := s.ref
	s.ref = ""
	short := key[strings.LastIndex(key, ".")+1:]
	shortFile := fileKey[strings.LastIndex(fileKey, ".")+1:]
	switch {
	case ref != "" && file != "":
		p.errorf(key, "and %s are both set; keep one of them", shortFile)
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			p.errorf(fileKey, "names %s, which cannot be read: %v", file, unwrapPathError(err))
			return
		}
		v := strings.TrimRight(string(data), "\r\n")
		if v == "" {
			p.errorf(fileKey, "names %s, which is empty", file)
			return
		}
		*s = Secret{Value: v, From: "file:" + file}
	case ref == "":
	default:
		if name, ok := envRef(ref); ok {
			v, set := os.LookupEnv(name)
			switch {
			case !set:
				p.errorf(key, "refers to ${%s}, but environment variable %s is not set", name, name)
			case v == "":
				p.errorf(key, "refers to ${%s}, but environment variable %s is empty", name, name)
			default:
				*s = Secret{Value: v, From: "env:" + name}
			}
			return
		}
		if dbRules {
			has, ok := postgresHasPassword(ref)
			switch {
			case !ok:
				// The URL may hold a password: do not echo it.
				p.errorf(key, "is not a valid postgres URL; write postgres://user@host:5432/dbname")
			case has:
				p.errorf(key, "must not hold a password inline; use %s: ${ENV_VAR} or %s: /path", short, shortFile)
			default:
				*s = Secret{Value: ref, From: fromInline}
			}
			return
		}
		if strings.Contains(ref, "${") || strings.HasPrefix(ref, "$") {
			p.errorf(key, "must be exactly one ${ENV_VAR} reference such as ${GITLAB_TOKEN}, with nothing around it")
			return
		}
		p.errorf(key, "must not hold a secret inline; use %s: ${ENV_VAR} or %s: /path", short, shortFile)
	}
}

// unwrapPathError drops the path from an *os.PathError, which the message
// already names.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// checkPositive rejects keys whose zero value would otherwise quietly mean
// their default: set, they must be positive. It runs before defaults apply.
func (p *parser) checkPositive(c *Config) {
	if _, set := p.lines["analysis.window"]; set && c.Analysis.Window <= 0 {
		p.errorf("analysis.window", "must be positive, not %s; write it like 21d or 504h", c.Analysis.Window)
	}
	if _, set := p.lines["analysis.outlier_haloc"]; set && c.Analysis.OutlierHALOC <= 0 {
		p.errorf("analysis.outlier_haloc", "must be a positive number of lines, not %d", c.Analysis.OutlierHALOC)
	}
}

// validate checks values once all are decoded and resolved.
func (p *parser) validate(c *Config) {
	if !slices.Contains(LogLevels, c.LogLevel) {
		p.errorf("log_level", "%q is not valid (valid levels: %s)", c.LogLevel, strings.Join(LogLevels, ", "))
	}
	if err := checkHostPort(c.Server.Addr); err != "" {
		p.errorf("server.addr", "%q is not host:port (%s); write it like 127.0.0.1:8080 or :8080", c.Server.Addr, err)
	}
	if c.Git.Timeout < 0 {
		p.errorf("git.timeout", "must be positive, not %s", c.Git.Timeout)
	}
	if d := c.Server.SyncInterval; d < 0 || d > 0 && d < time.Minute {
		p.errorf("server.sync_interval", "must be at least 1m (or 0: no scheduled syncs), not %s", d)
	}
	for i, g := range c.Analysis.ExcludePaths {
		if _, err := path.Match(g, ""); err != nil {
			p.errorf(fmt.Sprintf("analysis.exclude_paths[%d]", i), "%q is not a valid glob (check its [ ] brackets and \\ escapes)", g)
		}
	}
	for i, g := range c.Analysis.BotPatterns {
		if _, err := path.Match(g, ""); err != nil {
			p.errorf(fmt.Sprintf("analysis.bot_patterns[%d]", i), "%q is not a valid glob (check its [ ] brackets and \\ escapes)", g)
		}
	}

	p.validatePeople(c)

	names := map[string]int{}
	for i := range c.Sources {
		p.validateSource(&c.Sources[i], i, names)
	}

	repoNames := map[string]int{}
	for i, r := range c.Repositories {
		key := fmt.Sprintf("repositories[%d]", i)
		if strings.TrimSpace(r.URL) == "" {
			p.errorf(key+".url", "is required (a clone URL or a local path)")
		}
		if u, err := url.Parse(r.URL); err == nil && u.User != nil {
			if _, set := u.User.Password(); set {
				p.errorf(key+".url", "must not hold a password or token; configure a source with token: ${ENV_VAR} for its server")
			}
		}
		if r.Name != "" {
			if first, dup := repoNames[r.Name]; dup {
				p.errorf(key+".name", "%q is already used by repositories[%d]; repository names must be unique", r.Name, first)
			} else {
				repoNames[r.Name] = i
			}
		}
		if r.Source != "" {
			if _, ok := names[r.Source]; !ok {
				p.errorf(key+".source", "%q names no source (defined sources: %s)", r.Source, listOrNone(c.sourceNames()))
			}
		}
	}
}

func (p *parser) validateSource(s *Source, i int, names map[string]int) {
	key := fmt.Sprintf("sources[%d]", i)
	switch first, dup := names[s.Name]; {
	case strings.TrimSpace(s.Name) == "":
		p.errorf(key+".name", "is required")
	case dup:
		p.errorf(key+".name", "%q is already used by sources[%d]; source names must be unique", s.Name, first)
	default:
		names[s.Name] = i
	}
	switch {
	case s.Kind == "":
		p.errorf(key+".kind", "is required (valid kinds: %s)", strings.Join(SourceKinds, ", "))
	case !slices.Contains(SourceKinds, s.Kind):
		p.errorf(key+".kind", "%q is not valid (valid kinds: %s)", s.Kind, strings.Join(SourceKinds, ", "))
	}
	if msg := checkSourceURL(s.URL); msg != "" {
		p.errorf(key+".url", "%s", msg)
	}
	if !slices.Contains(AuthSchemes, s.AuthScheme) {
		p.errorf(key+".auth_scheme", "%q is not valid (valid schemes: %s)", s.AuthScheme, strings.Join(AuthSchemes, ", "))
	}
	p.checkFile(s.CAFile, key+".ca_file")
	p.checkFile(s.SSHKeyFile, key+".ssh_key_file")
	p.checkFile(s.KnownHostsFile, key+".known_hosts_file")
}

// checkFile requires a set path to name a readable regular file.
func (p *parser) checkFile(file, key string) {
	if file == "" {
		return
	}
	fi, err := os.Stat(file)
	switch {
	case err != nil:
		p.errorf(key, "names %s, which cannot be read: %v", file, unwrapPathError(err))
	case fi.IsDir():
		p.errorf(key, "names %s, which is a directory, not a file", file)
	}
}

// checkSourceURL returns what is wrong with a source URL, or "".
func checkSourceURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "is required (such as https://git.example.com or ssh://git@git.example.com)"
	}
	if isSCPLike(raw) {
		return fmt.Sprintf("%q is in scp form; write it as a URL such as ssh://%s", raw, strings.TrimSuffix(strings.SplitN(raw, ":", 2)[0], "/"))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Not echoed: it may hold a credential.
		return "is not a valid URL; write it like https://git.example.com or ssh://git@git.example.com"
	}
	if _, set := u.User.Password(); set {
		return "must not hold a password or token; put the credential in token: ${ENV_VAR} or token_file: /path"
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http", "ssh":
	default:
		return fmt.Sprintf("%q must start with https://, http:// or ssh://", raw)
	}
	if u.Hostname() == "" {
		return fmt.Sprintf("%q has no host", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q has an invalid port", raw)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q must not have a query or fragment", raw)
	}
	return ""
}

// checkHostPort returns what is wrong with a host:port listen address, or "".
func checkHostPort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "missing port or malformed host"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "port must be a number from 0 to 65535"
	}
	return ""
}

func (c *Config) sourceNames() []string {
	var names []string
	for _, s := range c.Sources {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return names
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
