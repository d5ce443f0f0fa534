package config

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Secret is a value that came from ${ENV_VAR} or a *_file. Its String,
// GoString and MarshalText methods mask it, so printing, logging or
// encoding a Config never reveals it.
type Secret struct {
	Value string // resolved value
	// From is "env:NAME" or "file:/path", for display. It is "inline" only
	// for a db value written in the file that holds no password.
	From string

	ref string // the text written in the file, until resolved at load
}

// fromInline marks a value written in the file that was checked to hold no
// secret (a SQLite path or a postgres URL without a password).
const fromInline = "inline"

// String masks the secret: "****** (from env:NAME)". A postgres URL shows
// with only its password masked.
func (s Secret) String() string {
	if s.Value == "" {
		return ""
	}
	if s.From == fromInline {
		if m, ok := maskPostgresURL(s.Value); ok {
			return m
		}
		return s.Value
	}
	shown := "******"
	if m, ok := maskPostgresURL(s.Value); ok {
		shown = m
	}
	if s.From == "" {
		return shown
	}
	return shown + " (from " + s.From + ")"
}

// GoString masks the secret for %#v.
func (s Secret) GoString() string { return "config.Secret(" + s.String() + ")" }

// MarshalText masks the secret, for YAML, JSON and slog.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.Value == "" }

// UnmarshalYAML keeps the text as written; Parse resolves it after decoding,
// when it knows the key's path and the sibling *_file key.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("a secret must be a single ${ENV_VAR} reference")
	}
	*s = Secret{ref: n.Value}
	return nil
}

// envRef returns NAME when s is exactly "${NAME}".
func envRef(s string) (string, bool) {
	if !strings.HasPrefix(s, "${") || !strings.HasSuffix(s, "}") {
		return "", false
	}
	name := s[2 : len(s)-1]
	if name == "" {
		return "", false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return "", false
		}
	}
	return name, true
}

func isPostgresURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// keyValueDSN matches a libpq connection keyword followed by "=" at the
// start of the value or after a space ("host=db port=5432 …").
var keyValueDSN = regexp.MustCompile(`(?i)(?:^|\s)(?:host|hostaddr|port|dbname|user|password|sslmode)\s*=`)

// isKeyValueDSN reports whether s is libpq key=value connection settings,
// which the store does not accept (it would take them for a SQLite path).
func isKeyValueDSN(s string) bool {
	return !isPostgresURL(s) && strings.Contains(s, "=") && keyValueDSN.MatchString(s)
}

// postgresHasPassword reports whether a postgres URL or other inline db
// value carries a password. ok is false when the value is neither a
// SQLite path nor a parsable postgres URL: a URL that does not parse, or
// key=value connection settings, which must be written as a URL.
func postgresHasPassword(s string) (has, ok bool) {
	if isKeyValueDSN(s) {
		return false, false
	}
	if !isPostgresURL(s) {
		return strings.Contains(strings.ToLower(s), "password="), true
	}
	u, err := url.Parse(s)
	if err != nil {
		return false, false
	}
	if _, set := u.User.Password(); set {
		return true, true
	}
	for k := range u.Query() {
		if strings.EqualFold(k, "password") {
			return true, true
		}
	}
	return false, true
}

// maskPostgresURL returns a postgres URL with its password masked.
func maskPostgresURL(s string) (string, bool) {
	if !isPostgresURL(s) {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	if _, set := u.User.Password(); set {
		u.User = url.UserPassword(u.User.Username(), maskPlaceholder)
	}
	q := u.Query()
	masked := false
	for k := range q {
		if strings.EqualFold(k, "password") {
			q[k] = []string{maskPlaceholder}
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	// url.URL would percent-encode the asterisks, so build with a
	// placeholder and swap it in.
	return strings.ReplaceAll(u.String(), maskPlaceholder, "******"), true
}

const maskPlaceholder = "SLUICE-MASKED-PASSWORD"
