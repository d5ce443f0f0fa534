// Package config loads and validates sluice.yaml. Decoding is strict: an
// unknown key is an error naming the key and its line. Secrets are accepted
// only as ${ENV_VAR} references or *_file paths, resolved at load.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole of sluice.yaml.
type Config struct {
	// DataDir overrides the default data directory (flag/env win over it).
	DataDir string `yaml:"data_dir,omitempty"`
	// DB is a SQLite path or postgres:// URL (flag/env win over it). A path
	// or a URL without a password may be written inline; anything holding a
	// password is a secret: ${ENV_VAR} or db_file.
	DB Secret `yaml:"db,omitempty"`
	// DBFile names a file holding the DB value (read at load, trailing
	// newline trimmed). It excludes DB.
	DBFile   string   `yaml:"db_file,omitempty"`
	LogLevel string   `yaml:"log_level,omitempty"` // debug|info|warn|error; default info
	Server   Server   `yaml:"server,omitempty"`
	Git      Git      `yaml:"git,omitempty"`
	Analysis Analysis `yaml:"analysis,omitempty"`
	// Sources carry connection settings; a repository URL uses the source
	// whose URL is its longest prefix.
	Sources []Source `yaml:"sources,omitempty"`
	// Repositories are analysed by `sluice serve` (at start and every
	// server.sync_interval).
	Repositories []Repository `yaml:"repositories,omitempty"`
	// People merges identities into people and leaves people out of
	// metrics (metrics.md §1).
	People People `yaml:"people,omitempty"`
	// Teams are the configured teams, which may nest.
	Teams []Team `yaml:"teams,omitempty"`
}

// People configures how identities form people.
type People struct {
	// Aliases each merge the listed e-mails (and github:LOGIN keys) into
	// one person.
	Aliases []Alias `yaml:"aliases,omitempty"`
	// Exclude lists people (e-mail, key or name) left out of metrics.
	Exclude []string `yaml:"exclude,omitempty"`
	// Hide lists people left out of metrics and of lists.
	Hide []string `yaml:"hide,omitempty"`
}

// Alias is one person under several e-mails.
type Alias struct {
	Name   string   `yaml:"name,omitempty"`
	Emails []string `yaml:"emails,omitempty"`
}

// Team is a configured team with its members and subteams.
type Team struct {
	Name    string       `yaml:"name,omitempty"`
	Members []TeamMember `yaml:"members,omitempty"`
	Teams   []Team       `yaml:"teams,omitempty"`
}

// TeamMember is a person (e-mail, key or name) on a team, written either as
// that reference alone or as a mapping with from/until dates (YYYY-MM-DD,
// the end excluded).
type TeamMember struct {
	Person string `yaml:"person,omitempty"`
	From   string `yaml:"from,omitempty"`
	Until  string `yaml:"until,omitempty"`
	// FromDay and UntilDay are From and Until as days since 1970-01-01
	// (store.AuthorDay's numbering); nil when unset.
	FromDay  *int `yaml:"-"`
	UntilDay *int `yaml:"-"`
}

// UnmarshalYAML accepts a plain reference or a mapping.
func (m *TeamMember) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*m = TeamMember{Person: n.Value}
		return nil
	}
	type plain TeamMember
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*m = TeamMember(p)
	return nil
}

// MarshalYAML writes a member without dates as its reference alone.
func (m TeamMember) MarshalYAML() (any, error) {
	if m.From == "" && m.Until == "" {
		return m.Person, nil
	}
	type plain TeamMember
	return plain(m), nil
}

// Server configures `sluice serve`.
type Server struct {
	Addr string `yaml:"addr,omitempty"` // host:port; default 127.0.0.1:8080
	// AdminPasswordFile holds the web login password of user "admin".
	// Default: <data-dir>/admin-password, generated on first start.
	AdminPasswordFile string `yaml:"admin_password_file,omitempty"`
	// SyncInterval makes sluice serve sync its configured repositories
	// again this often (at least a minute); 0 (the default) syncs them
	// only at start and on request ("Sync now").
	SyncInterval time.Duration `yaml:"sync_interval,omitempty"`
}

// Git configures git processes.
type Git struct {
	Timeout time.Duration `yaml:"timeout,omitempty"` // per git command; default 2h
}

// Analysis configures what is counted (metrics.md §2, §3).
type Analysis struct {
	// ExcludePaths are extra path globs (path.Match syntax) excluded from
	// line metrics.
	ExcludePaths []string `yaml:"exclude_paths,omitempty"`
	// NoDefaultExcludes turns off the built-in excludes (binary files stay excluded).
	NoDefaultExcludes bool `yaml:"no_default_excludes,omitempty"`
	// BotPatterns are extra author name/email globs treated as bots.
	BotPatterns []string `yaml:"bot_patterns,omitempty"`
	// Window is the age beyond which a deleted line's origin makes the
	// change legacy refactor rather than rework or help others
	// (metrics.md §3). Written like 21d, 30d or 504h; default
	// DefaultWindow.
	Window time.Duration `yaml:"window,omitempty"`
	// OutlierHALOC is the HALOC above which a commit is an outlier, flagged
	// and left out of aggregates by default (metrics.md §2); default
	// DefaultOutlierHALOC.
	OutlierHALOC int `yaml:"outlier_haloc,omitempty"`
}

// Defaults of the analysis keys (metrics.md §2-§3).
const (
	DefaultWindow       = 21 * 24 * time.Hour // 1 814 400 s
	DefaultOutlierHALOC = 1000
)

// Source is a server Sluice reaches, with its credentials.
type Source struct {
	Name string `yaml:"name,omitempty"`
	// Kind is "git" for now (github, gitlab, bitbucket, jira later).
	Kind string `yaml:"kind,omitempty"`
	// URL is the server's base URL (https://host[/prefix] or ssh://[user@]host[:port]).
	URL string `yaml:"url,omitempty"`
	// Token is the HTTPS access token: token: ${ENV_VAR} or token_file.
	Token Secret `yaml:"token,omitempty"`
	// TokenFile names a file holding the token (read at load, trailing
	// newline trimmed). It excludes Token.
	TokenFile string `yaml:"token_file,omitempty"`
	// Username for Basic auth with the token (default x-access-token for
	// http and https sources).
	Username string `yaml:"username,omitempty"`
	// AuthScheme is basic (default) or bearer.
	AuthScheme string `yaml:"auth_scheme,omitempty"`
	// CAFile is a PEM bundle of extra trusted CAs (private CA).
	CAFile string `yaml:"ca_file,omitempty"`
	// SSHKeyFile and KnownHostsFile are for SSH remotes.
	SSHKeyFile     string `yaml:"ssh_key_file,omitempty"`
	KnownHostsFile string `yaml:"known_hosts_file,omitempty"`
}

// Repository is a configured repository.
type Repository struct {
	URL    string `yaml:"url,omitempty"` // URL or local path
	Name   string `yaml:"name,omitempty"`
	Branch string `yaml:"branch,omitempty"`
	Source string `yaml:"source,omitempty"` // source name; default by URL prefix
}

// Valid values of the enumerated keys, in the order error messages list them.
var (
	LogLevels   = []string{"debug", "info", "warn", "error"}
	SourceKinds = []string{"git"}
	AuthSchemes = []string{"basic", "bearer"}
)

// Default returns the configuration used when sluice.yaml sets nothing.
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.Server.Addr == "" {
		c.Server.Addr = "127.0.0.1:8080"
	}
	if c.Git.Timeout == 0 {
		c.Git.Timeout = 2 * time.Hour
	}
	if c.Analysis.Window == 0 {
		c.Analysis.Window = DefaultWindow
	}
	if c.Analysis.OutlierHALOC == 0 {
		c.Analysis.OutlierHALOC = DefaultOutlierHALOC
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.AuthScheme == "" {
			s.AuthScheme = "basic"
		}
		if s.Username == "" && isHTTPURL(s.URL) {
			s.Username = "x-access-token"
		}
	}
}

// Load reads and validates the file at path. A missing file is an error.
// Errors name the file, line and key. Relative paths in the file are
// resolved against the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates YAML content; name is used in errors, and
// relative paths in the content are resolved against filepath.Dir(name).
// Empty content yields Default(). All problems are reported together, joined
// with errors.Join; each is an *Error.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{file: name, dir: filepath.Dir(name), lines: map[string]int{}}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return Default(), nil
	case err != nil:
		return nil, p.yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, p.yamlError(err)
		}
		return nil, p.errAt(extra.Line, "", "a second YAML document starts here; put the whole configuration in one document")
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return Default(), nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errAt(root.Line, "", "the file must hold a mapping of keys such as log_level: and sources:, not %s", describe(root))
	}

	// Walk the tree first: it names unknown keys and type mismatches by
	// their path and line, which the decoder below cannot.
	p.walk(root, configType, "")
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}

	// walk has checked every key and value and written durations in Go's
	// syntax (21d -> 504h0m0s), so the tree it checked is what is decoded.
	c := &Config{}
	if err := root.Decode(c); err != nil {
		return nil, p.yamlError(err)
	}
	// Zero means "default" below, so a zero written out is caught first.
	p.checkPositive(c)
	c.applyDefaults()
	p.resolve(c)
	p.validate(c)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

// Masked renders the loaded configuration as YAML with secrets masked:
// each shows as "****** (from env:NAME)" or "****** (from file:/path)", and
// a postgres URL shows with its password masked. Keys left at their zero
// value are omitted; defaults are shown.
func (c *Config) Masked() string {
	v := *c
	// The *_file keys are already named in the masked secret's origin.
	v.DBFile = ""
	v.Sources = make([]Source, len(c.Sources))
	for i, s := range c.Sources {
		s.TokenFile = ""
		v.Sources[i] = s
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&v); err != nil {
		// Only unsupported types fail to encode; Config has none.
		return fmt.Sprintf("# cannot render configuration: %v\n", err)
	}
	_ = enc.Close()
	return buf.String()
}

// SourceByName returns the source called name, or nil.
func (c *Config) SourceByName(name string) *Source {
	for i := range c.Sources {
		if c.Sources[i].Name == name {
			return &c.Sources[i]
		}
	}
	return nil
}

// RepositorySource returns the source for r: the one its source key names,
// else SourceFor(r.URL). It returns nil when no source applies.
func (c *Config) RepositorySource(r *Repository) *Source {
	if r.Source != "" {
		return c.SourceByName(r.Source)
	}
	return c.SourceFor(r.URL)
}
