package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeTree writes files (path relative to dir -> content) and returns dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// unsetenv unsets name for the test and restores it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	os.Unsetenv(name)
}

const fullExample = `# a full configuration
data_dir: data
db: postgres://sluice@db.internal:5432/sluice?sslmode=verify-full
log_level: debug
server:
  addr: 0.0.0.0:9000
  admin_password_file: secrets/admin
git:
  timeout: 90m
analysis:
  exclude_paths: ["vendor/*", "*.pb.go"]
  no_default_excludes: true
  bot_patterns: ["*[bot]*"]
  window: 30d
  outlier_haloc: 2500
sources:
  - name: gitlab
    kind: git
    url: https://gitlab.internal
    token: ${SLUICE_TEST_GITLAB_TOKEN}
    auth_scheme: bearer
    ca_file: certs/ca.pem
  - name: github-ssh
    kind: git
    url: ssh://git@github.internal:2222
    token_file: secrets/gh-token
    ssh_key_file: /KEYFILE
    known_hosts_file: ssh/known_hosts
repositories:
  - url: https://gitlab.internal/platform/api.git
    name: api
    branch: main
  - url: git@github.internal:web/site.git
    source: github-ssh
  - url: ./local/repo
`

func TestParseFullExample(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"certs/ca.pem":     "-----BEGIN CERTIFICATE-----\n",
		"secrets/gh-token": "gh-secret-value\n",
		"ssh/id":           "key",
		"ssh/known_hosts":  "github.internal ssh-ed25519 AAAA\n",
	})
	t.Setenv("SLUICE_TEST_GITLAB_TOKEN", "gl-secret-value")
	yml := strings.ReplaceAll(fullExample, "/KEYFILE", filepath.Join(dir, "ssh/id"))
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}

	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		DataDir:  filepath.Join(dir, "data"),
		DB:       Secret{Value: "postgres://sluice@db.internal:5432/sluice?sslmode=verify-full", From: "inline"},
		LogLevel: "debug",
		Server:   Server{Addr: "0.0.0.0:9000", AdminPasswordFile: filepath.Join(dir, "secrets/admin")},
		Git:      Git{Timeout: 90 * time.Minute},
		Analysis: Analysis{
			ExcludePaths:      []string{"vendor/*", "*.pb.go"},
			NoDefaultExcludes: true,
			BotPatterns:       []string{"*[bot]*"},
			Window:            30 * 24 * time.Hour,
			OutlierHALOC:      2500,
		},
		Sources: []Source{{
			Name: "gitlab", Kind: "git", URL: "https://gitlab.internal",
			Token:      Secret{Value: "gl-secret-value", From: "env:SLUICE_TEST_GITLAB_TOKEN"},
			Username:   "x-access-token",
			AuthScheme: "bearer",
			CAFile:     filepath.Join(dir, "certs/ca.pem"),
		}, {
			Name: "github-ssh", Kind: "git", URL: "ssh://git@github.internal:2222",
			Token:          Secret{Value: "gh-secret-value", From: "file:" + filepath.Join(dir, "secrets/gh-token")},
			TokenFile:      filepath.Join(dir, "secrets/gh-token"),
			AuthScheme:     "basic",
			SSHKeyFile:     filepath.Join(dir, "ssh/id"),
			KnownHostsFile: filepath.Join(dir, "ssh/known_hosts"),
		}},
		Repositories: []Repository{
			{URL: "https://gitlab.internal/platform/api.git", Name: "api", Branch: "main"},
			{URL: "git@github.internal:web/site.git", Source: "github-ssh"},
			{URL: filepath.Join(dir, "local/repo")},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load mismatch\n got: %#v\nwant: %#v", c, want)
		gotJSON, _ := json.MarshalIndent(c, "", "  ")
		t.Logf("got (masked):\n%s", gotJSON)
	}
	if c.Sources[0].Token.Value != "gl-secret-value" || c.Sources[1].Token.Value != "gh-secret-value" {
		t.Errorf("secrets not resolved: %q, %q", c.Sources[0].Token.Value, c.Sources[1].Token.Value)
	}
	if got := c.RepositorySource(&c.Repositories[0]); got == nil || got.Name != "gitlab" {
		t.Errorf("RepositorySource(api) = %v, want gitlab", got)
	}
	if got := c.RepositorySource(&c.Repositories[1]); got == nil || got.Name != "github-ssh" {
		t.Errorf("RepositorySource(site) = %v, want github-ssh", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string // "" value: unset
		files map[string]string
		want  []string // substrings of the error; "LINE n" means "sluice.yaml:n: "
		never []string // substrings the error must not contain
	}{
		{
			name: "unknown top-level key",
			yaml: "log_level: info\nlog_levl: debug\n",
			want: []string{"LINE 2", `unknown key "log_levl" at the top level`, `did you mean "log_level"?`, "valid keys: data_dir, db, db_file, log_level"},
		},
		{
			name: "unknown nested key",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n  - name: b\n    kind: git\n    url: https://b.example\n    tokn: x\n",
			want: []string{"LINE 8", `unknown key "tokn" in sources[1]`, `did you mean "token"?`, "valid keys: name, kind, url, token, token_file"},
		},
		{
			name:  "unknown key far from any valid key",
			yaml:  "server:\n  zzzzzzzz: 1\n",
			want:  []string{"LINE 2", `unknown key "zzzzzzzz" in server (valid keys: addr, admin_password_file, sync_interval)`},
			never: []string{"did you mean"},
		},
		{
			name: "synonym suggested",
			yaml: "server:\n  address: :80\n",
			want: []string{"LINE 2", `did you mean "addr"?`},
		},
		{
			name: "every unknown key reported",
			yaml: "foo: 1\nserver:\n  bar: 2\n",
			want: []string{"LINE 1", `"foo"`, "LINE 3", `"bar" in server`},
		},
		{
			name:  "inline token",
			yaml:  "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    token: glpat-inline-secret\n",
			want:  []string{"LINE 5", "sources[0].token must not hold a secret inline; use token: ${ENV_VAR} or token_file: /path"},
			never: []string{"glpat-inline-secret"},
		},
		{
			name: "token with text around the reference",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    token: Bearer ${TOK}\n",
			want: []string{"LINE 5", "sources[0].token must be exactly one ${ENV_VAR} reference"},
		},
		{
			name: "unset variable",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    token: ${SLUICE_TEST_UNSET}\n",
			env:  map[string]string{"SLUICE_TEST_UNSET": ""},
			want: []string{"LINE 5", "sources[0].token refers to ${SLUICE_TEST_UNSET}", "SLUICE_TEST_UNSET is not set"},
		},
		{
			name: "empty variable",
			yaml: "db: ${SLUICE_TEST_EMPTY}\n",
			env:  map[string]string{"SLUICE_TEST_EMPTY": "set-empty"},
			want: []string{"LINE 1", "db refers to ${SLUICE_TEST_EMPTY}", "is empty"},
		},
		{
			name:  "token and token_file both set",
			yaml:  "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    token: ${SLUICE_TEST_TOK}\n    token_file: tok\n",
			env:   map[string]string{"SLUICE_TEST_TOK": "v"},
			files: map[string]string{"tok": "v\n"},
			want:  []string{"LINE 5", "sources[0].token and token_file are both set"},
		},
		{
			name: "token_file missing",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    token_file: nope/token\n",
			want: []string{"LINE 5", "sources[0].token_file names ", filepath.Join("nope", "token"), "cannot be read"},
		},
		{
			name: "ca_file missing",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    ca_file: certs/missing.pem\n",
			want: []string{"LINE 5", "sources[0].ca_file names ", filepath.Join("certs", "missing.pem"), "cannot be read"},
		},
		{
			name:  "known_hosts_file is a directory",
			yaml:  "sources:\n  - name: a\n    kind: git\n    url: ssh://a.example\n    known_hosts_file: ssh\n",
			files: map[string]string{"ssh/x": ""},
			want:  []string{"LINE 5", "sources[0].known_hosts_file names ", "is a directory"},
		},
		{
			name: "duplicate source names",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n  - name: a\n    kind: git\n    url: https://b.example\n",
			want: []string{"LINE 5", `sources[1].name "a" is already used by sources[0]`},
		},
		{
			name: "source name missing points at the item",
			yaml: "sources:\n  - kind: git\n    url: https://a.example\n",
			want: []string{"LINE 2", "sources[0].name is required"},
		},
		{
			name: "bad kind lists valid kinds",
			yaml: "sources:\n  - name: a\n    kind: gitlab\n    url: https://a.example\n",
			want: []string{"LINE 3", `sources[0].kind "gitlab" is not valid (valid kinds: git)`},
		},
		{
			name: "bad url scheme",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: ftp://a.example\n",
			want: []string{"LINE 4", "sources[0].url", "https://, http:// or ssh://"},
		},
		{
			name: "scp-like source url",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: git@a.example:group\n",
			want: []string{"LINE 4", "sources[0].url", "ssh://git@a.example"},
		},
		{
			name:  "source url with password",
			yaml:  "sources:\n  - name: a\n    kind: git\n    url: https://me:hunter2pw@a.example\n",
			want:  []string{"LINE 4", "sources[0].url must not hold a password or token"},
			never: []string{"hunter2pw"},
		},
		{
			name: "bad auth scheme",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    auth_scheme: digest\n",
			want: []string{"LINE 5", `sources[0].auth_scheme "digest" is not valid (valid schemes: basic, bearer)`},
		},
		{
			name: "bad log level",
			yaml: "log_level: verbose\n",
			want: []string{"LINE 1", `log_level "verbose" is not valid (valid levels: debug, info, warn, error)`},
		},
		{
			name: "bad duration",
			yaml: "git:\n  timeout: 2 hours\n",
			want: []string{"LINE 2", `git.timeout must be a duration such as 90m, 2h or 21d, not "2 hours"`},
		},
		{
			name: "duration without unit",
			yaml: "git:\n  timeout: 30\n",
			want: []string{"LINE 2", "git.timeout must be a duration"},
		},
		{
			name: "sync interval too short",
			yaml: "server:\n  sync_interval: 30s\n",
			want: []string{"LINE 2", "server.sync_interval must be at least 1m (or 0: no scheduled syncs), not 30s"},
		},
		{
			name: "negative duration",
			yaml: "git:\n  timeout: -5m\n",
			want: []string{"LINE 2", "git.timeout must be positive"},
		},
		{
			name: "window without unit",
			yaml: "analysis:\n  window: 21\n",
			want: []string{"LINE 2", `analysis.window must be a duration such as 90m, 2h or 21d, not "21"`},
		},
		{
			name: "window in weeks",
			yaml: "analysis:\n  window: 3w\n",
			want: []string{"LINE 2", `analysis.window must be a duration such as 90m, 2h or 21d, not "3w"`},
		},
		{
			name: "window with a sign inside",
			yaml: "analysis:\n  window: 1d-2h\n",
			want: []string{"LINE 2", `analysis.window must be a duration`},
		},
		{
			name: "zero window",
			yaml: "analysis:\n  window: 0d\n",
			want: []string{"LINE 2", "analysis.window must be positive, not 0s; write it like 21d or 504h"},
		},
		{
			name: "negative window",
			yaml: "analysis:\n  window: -1d\n",
			want: []string{"LINE 2", "analysis.window must be positive, not -24h0m0s"},
		},
		{
			name: "zero outlier threshold",
			yaml: "analysis:\n  outlier_haloc: 0\n",
			want: []string{"LINE 2", "analysis.outlier_haloc must be a positive number of lines, not 0"},
		},
		{
			name: "negative outlier threshold",
			yaml: "analysis:\n  window: 30d\n  outlier_haloc: -10\n",
			want: []string{"LINE 3", "analysis.outlier_haloc must be a positive number of lines, not -10"},
		},
		{
			name: "outlier threshold not a number",
			yaml: "analysis:\n  outlier_haloc: lots\n",
			want: []string{"LINE 2", `analysis.outlier_haloc must be a whole number such as 1000, not "lots"`},
		},
		{
			name: "outlier threshold a fraction",
			yaml: "analysis:\n  outlier_haloc: 1.5\n",
			want: []string{"LINE 2", `analysis.outlier_haloc must be a whole number such as 1000, not "1.5"`},
		},
		{
			name: "outlier threshold out of range",
			yaml: "analysis:\n  outlier_haloc: 99999999999999999999\n",
			want: []string{"LINE 2", "analysis.outlier_haloc", "99999999999999999999"},
		},
		{
			name: "misspelt window",
			yaml: "analysis:\n  windw: 21d\n",
			want: []string{"LINE 2", `unknown key "windw" in analysis; did you mean "window"?`, "bot_patterns, window, outlier_haloc"},
		},
		{
			name: "bool expected",
			yaml: "analysis:\n  no_default_excludes: sometimes\n",
			want: []string{"LINE 2", `analysis.no_default_excludes must be true or false, not "sometimes"`},
		},
		{
			name: "list expected",
			yaml: "sources:\n  name: a\n",
			want: []string{"LINE 2", "sources must be a list, not a mapping"},
		},
		{
			name: "mapping expected",
			yaml: "server: localhost\n",
			want: []string{"LINE 1", `server must be a mapping of keys, not "localhost"`},
		},
		{
			name: "bad listen address",
			yaml: "server:\n  addr: localhost\n",
			want: []string{"LINE 2", `server.addr "localhost" is not host:port`},
		},
		{
			name: "bad glob",
			yaml: "analysis:\n  exclude_paths:\n    - ok/*\n    - \"[unclosed\"\n",
			want: []string{"LINE 4", `analysis.exclude_paths[1] "[unclosed" is not a valid glob`},
		},
		{
			name:  "postgres password inline",
			yaml:  "db: postgres://sluice:pg-inline-pw@db:5432/sluice\n",
			want:  []string{"LINE 1", "db must not hold a password inline; use db: ${ENV_VAR} or db_file: /path"},
			never: []string{"pg-inline-pw"},
		},
		{
			name:  "postgres password in query",
			yaml:  "db: postgresql://sluice@db/sluice?password=pg-query-pw\n",
			want:  []string{"LINE 1", "db must not hold a password inline"},
			never: []string{"pg-query-pw"},
		},
		{
			// key=value settings are not a URL: moving the password to an
			// env var would not make them work, so say to write a URL.
			name:  "postgres key=value password",
			yaml:  "db: host=db user=sluice password=pg-kv-pw\n",
			want:  []string{"LINE 1", "db is not a valid postgres URL; write postgres://user@host:5432/dbname"},
			never: []string{"pg-kv-pw", "host=db"},
		},
		{
			name:  "postgres key=value without password",
			yaml:  "db: host=127.0.0.1 port=5432 dbname=sluice sslmode=disable\n",
			want:  []string{"LINE 1", "db is not a valid postgres URL; write postgres://user@host:5432/dbname"},
			never: []string{"host=127.0.0.1"},
		},
		{
			name: "repository problems",
			yaml: "sources:\n  - name: a\n    kind: git\n    url: https://a.example\nrepositories:\n  - name: x\n  - url: https://a.example/r\n    name: x\n    source: b\n",
			want: []string{
				"LINE 6", "repositories[0].url is required",
				"LINE 8", `repositories[1].name "x" is already used by repositories[0]`,
				"LINE 9", `repositories[1].source "b" names no source (defined sources: a)`,
			},
		},
		{
			name: "errors reported together",
			yaml: "log_level: loud\nsources:\n  - name: a\n    kind: svn\n    url: https://a.example\n",
			want: []string{"LINE 1", "log_level", "LINE 4", "sources[0].kind"},
		},
		{
			name: "key set twice",
			yaml: "log_level: info\nlog_level: debug\n",
			want: []string{"LINE 2", "log_level is set twice (first at line 1)"},
		},
		{
			name: "two documents",
			yaml: "log_level: info\n---\nlog_level: debug\n",
			want: []string{"LINE 2", "second YAML document"},
		},
		{
			name: "syntax error",
			yaml: "log_level: info\nserver:\n  addr: [unclosed\n",
			want: []string{"invalid YAML"},
		},
		{
			name: "top level not a mapping",
			yaml: "- a\n- b\n",
			want: []string{"LINE 1", "must hold a mapping of keys"},
		},
		{
			name: "overlapping aliases",
			yaml: "people:\n  aliases:\n    - name: Ann\n      emails: [ann@example.com, ann@old.example]\n    - name: Ann Lee\n      emails: [ANN@example.com]\n",
			want: []string{"LINE 6", `people.aliases[1].emails[0] "ANN@example.com" is already in people.aliases[0] (line 3)`, "merge the two aliases into one"},
		},
		{
			name: "alias entry not an e-mail",
			yaml: "people:\n  aliases:\n    - name: Ann\n      emails: [Ann Lee]\n",
			want: []string{"LINE 4", `people.aliases[0].emails[0] "Ann Lee" is not an e-mail address or a github:LOGIN key`},
		},
		{
			name: "person twice in a team through an alias",
			yaml: "people:\n  aliases:\n    - emails: [ann@example.com, 1+ann@users.noreply.github.com]\nteams:\n  - name: Platform\n    members:\n      - github:ann\n      - {person: ann@example.com, from: 2026-01-01}\n",
			want: []string{"LINE 8", `teams[0].members[1] "ann@example.com" is already a member of team "Platform" (teams[0].members[0], line 7)`},
		},
		{
			name: "inverted membership dates",
			yaml: "teams:\n  - name: Platform\n    members:\n      - person: bob@example.com\n        from: 2026-09-01\n        until: 2026-03-01\n",
			want: []string{"LINE 6", "teams[0].members[0].until 2026-03-01 is not after from 2026-09-01"},
		},
		{
			name: "bad membership date",
			yaml: "teams:\n  - name: Platform\n    members:\n      - {person: bob@example.com, from: 2026-13-01}\n",
			want: []string{"LINE 4", `teams[0].members[0].from must be a date such as 2026-03-01, not "2026-13-01"`},
		},
		{
			name: "duplicate nested team name",
			yaml: "teams:\n  - name: Platform\n    teams:\n      - name: Storage\n  - name: Storage\n",
			want: []string{"LINE 5", `teams[1].name "Storage" is already used by teams[0].teams[0] (line 4); team names must be unique`},
		},
		{
			name: "member as a list",
			yaml: "teams:\n  - name: Platform\n    members:\n      - [a, b]\n",
			want: []string{"LINE 4", "teams[0].members[0] must be a person's e-mail, key or name"},
		},
		{
			name: "unknown key in a member",
			yaml: "teams:\n  - name: Platform\n    members:\n      - {person: a@example.com, since: 2026-01-01}\n",
			want: []string{"LINE 4", `unknown key "since" in teams[0].members[0]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				if v == "" {
					unsetenv(t, k)
				} else if v == "set-empty" {
					t.Setenv(k, "")
				} else {
					t.Setenv(k, v)
				}
			}
			dir := writeTree(t, tt.files)
			path := filepath.Join(dir, "sluice.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want error; config:\n%s", c.Masked())
			}
			msg := err.Error()
			for _, w := range tt.want {
				if line, ok := strings.CutPrefix(w, "LINE "); ok {
					w = "sluice.yaml:" + line + ": "
				}
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(msg, n) {
					t.Errorf("error contains %q:\n%s", n, msg)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *config.Error: %T", err)
			}
		})
	}
}

func TestTokenFileTrimmed(t *testing.T) {
	for _, content := range []string{"tok-123", "tok-123\n", "tok-123\r\n", "tok-123\n\n"} {
		t.Run(fmt.Sprintf("%q", content), func(t *testing.T) {
			dir := writeTree(t, map[string]string{"token": content})
			yml := "sources:\n  - name: a\n    kind: git\n    url: https://a.example\n    token_file: token\n"
			c, err := Parse(filepath.Join(dir, "sluice.yaml"), []byte(yml))
			if err != nil {
				t.Fatal(err)
			}
			tok := c.Sources[0].Token
			if tok.Value != "tok-123" {
				t.Errorf("token = %q, want %q", tok.Value, "tok-123")
			}
			if want := "file:" + filepath.Join(dir, "token"); tok.From != want {
				t.Errorf("token from = %q, want %q", tok.From, want)
			}
		})
	}
}

func TestRelativePathsResolvedAgainstConfigDir(t *testing.T) {
	dir := writeTree(t, map[string]string{"conf/certs/ca.pem": "pem", "conf/db-url": "postgres://u:p@h/db\n"})
	// Run from elsewhere so that resolving against the working directory fails.
	t.Chdir(t.TempDir())
	yml := "db_file: db-url\nsources:\n  - name: a\n    kind: git\n    url: https://a.example\n    ca_file: certs/ca.pem\n"
	c, err := Parse(filepath.Join(dir, "conf", "sluice.yaml"), []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "conf", "certs", "ca.pem"); c.Sources[0].CAFile != want {
		t.Errorf("ca_file = %q, want %q", c.Sources[0].CAFile, want)
	}
	if c.DB.Value != "postgres://u:p@h/db" {
		t.Errorf("db from db_file = %q", c.DB.Value)
	}
}

func TestSQLitePathResolved(t *testing.T) {
	dir := t.TempDir()
	c, err := Parse(filepath.Join(dir, "sluice.yaml"), []byte("db: data/sluice.db\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "data", "sluice.db"); c.DB.Value != want || c.DB.From != "inline" {
		t.Errorf("db = %+v, want Value %q From inline", c.DB, want)
	}
	if c.DB.String() != c.DB.Value {
		t.Errorf("a plain SQLite path should print as itself, got %q", c.DB.String())
	}
}

func TestIsKeyValueDSN(t *testing.T) {
	for s, want := range map[string]bool{
		"host=127.0.0.1 port=5432 user=sluice password=x": true,
		"dbname=sluice":                          true,
		"  HOST = db  user=sluice":               true,
		"user=sluice sslmode=disable":            true,
		"/var/lib/sluice/sluice.db":              false,
		"data/a=b.db":                            false,
		"/srv/user=bob/sluice.db":                false,
		"postgres://sluice@db/x?sslmode=disable": false,
	} {
		if got := isKeyValueDSN(s); got != want {
			t.Errorf("isKeyValueDSN(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestEmptyIsDefault(t *testing.T) {
	for _, content := range []string{"", "\n", "# nothing here\n", "---\n", "~\n"} {
		t.Run(fmt.Sprintf("%q", content), func(t *testing.T) {
			c, err := Parse("sluice.yaml", []byte(content))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("Parse(%q) = %#v, want Default()", content, c)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d := Default()
	if d.Server.Addr != "127.0.0.1:8080" || d.Git.Timeout != 2*time.Hour || d.LogLevel != "info" {
		t.Errorf("Default() = %+v", d)
	}
	if d.Analysis.Window != 1814400*time.Second || d.Analysis.OutlierHALOC != 1000 {
		t.Errorf("Default() analysis = %+v; want a 21-day window and outliers above 1000", d.Analysis)
	}
	c, err := Parse("sluice.yaml", []byte("data_dir: /srv/sluice\nsources:\n  - name: a\n    kind: git\n    url: https://a.example\n  - name: b\n    kind: git\n    url: ssh://b.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != d.Server.Addr || c.Git.Timeout != d.Git.Timeout || c.LogLevel != d.LogLevel ||
		c.Analysis.Window != d.Analysis.Window || c.Analysis.OutlierHALOC != d.Analysis.OutlierHALOC {
		t.Errorf("Parse did not apply defaults: %+v", c)
	}
	if a := c.Sources[0]; a.AuthScheme != "basic" || a.Username != "x-access-token" {
		t.Errorf("https source defaults: auth_scheme %q username %q", a.AuthScheme, a.Username)
	}
	if b := c.Sources[1]; b.Username != "" {
		t.Errorf("ssh source got username %q, want none", b.Username)
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"21d":      21 * 24 * time.Hour,
		"504h":     21 * 24 * time.Hour,
		"30d":      30 * 24 * time.Hour,
		"1.5d":     36 * time.Hour,
		"1d12h":    36 * time.Hour,
		"1d30m15s": 24*time.Hour + 30*time.Minute + 15*time.Second,
		"+2d":      48 * time.Hour,
		"90m":      90 * time.Minute,
		"1814400s": 21 * 24 * time.Hour,
	} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		// Loaded through a file, as window and as git.timeout.
		c, err := Parse("sluice.yaml", []byte("git:\n  timeout: "+in+"\nanalysis:\n  window: "+in+"\n"))
		if err != nil {
			t.Errorf("window: %s: %v", in, err)
			continue
		}
		if c.Analysis.Window != want || c.Git.Timeout != want {
			t.Errorf("window: %s = %v, timeout: %s = %v; want %v", in, c.Analysis.Window, in, c.Git.Timeout, want)
		}
	}
	for _, in := range []string{"", "d", "21", "21 d", "1e3d", "0x10d", "-d", "1d-1h", "1d+1h", "d12h", "1.d", ".5d", "999999999d", "106752d", "106751d24h"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
	// Anchors and merge keys reach durations too.
	c, err := Parse("sluice.yaml", []byte("x: &w 30d\n"+"analysis:\n  window: *w\n"))
	if err == nil {
		t.Errorf("unknown top-level key x accepted: %+v", c)
	}
	c, err = Parse("sluice.yaml", []byte("git:\n  timeout: &w 3d\nanalysis:\n  window: *w\n"))
	if err != nil || c.Analysis.Window != 72*time.Hour || c.Git.Timeout != 72*time.Hour {
		t.Errorf("aliased duration: %+v, %v", c, err)
	}
}

func TestMaskedHidesSecrets(t *testing.T) {
	const (
		envToken  = "env-token-S3CRET"
		fileToken = "file-token-S3CRET"
		pgPass    = "pg-pass-S3CRET"
	)
	dir := writeTree(t, map[string]string{"tok": fileToken + "\n"})
	t.Setenv("SLUICE_TEST_TOKEN", envToken)
	t.Setenv("SLUICE_TEST_DB", "postgres://sluice:"+pgPass+"@db:5432/sluice?sslmode=disable")
	yml := `db: ${SLUICE_TEST_DB}
sources:
  - name: a
    kind: git
    url: https://a.example
    token: ${SLUICE_TEST_TOKEN}
  - name: b
    kind: git
    url: https://b.example
    token_file: tok
`
	c, err := Parse(filepath.Join(dir, "sluice.yaml"), []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sources[0].Token.Value != envToken || c.Sources[1].Token.Value != fileToken || !strings.Contains(c.DB.Value, pgPass) {
		t.Fatalf("secrets not resolved, so the masking checks below prove nothing: %q %q", c.Sources[0].Token.Value, c.Sources[1].Token.Value)
	}
	jsonOut, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	masked := c.Masked()
	outputs := map[string]string{
		"Masked": masked,
		"%v":     fmt.Sprintf("%v", c),
		"%+v":    fmt.Sprintf("%+v", c),
		"%#v":    fmt.Sprintf("%#v", c),
		"json":   string(jsonOut),
	}
	for name, out := range outputs {
		for _, secret := range []string{envToken, fileToken, pgPass} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains secret %q:\n%s", name, secret, out)
			}
		}
	}
	for _, want := range []string{
		"****** (from env:SLUICE_TEST_TOKEN)",
		"****** (from file:" + filepath.Join(dir, "tok") + ")",
		"postgres://sluice:******@db:5432/sluice?sslmode=disable (from env:SLUICE_TEST_DB)",
		"log_level: info",
		"timeout: 2h0m0s",
		"window: 504h0m0s",
		"outlier_haloc: 1000",
	} {
		if !strings.Contains(masked, want) {
			t.Errorf("Masked() lacks %q:\n%s", want, masked)
		}
	}
	if strings.Contains(masked, "token_file") {
		t.Errorf("Masked() shows token_file, already named in the token's origin:\n%s", masked)
	}
}

func TestSecretString(t *testing.T) {
	tests := []struct {
		s    Secret
		want string
	}{
		{Secret{}, ""},
		{Secret{Value: "abc", From: "env:X"}, "****** (from env:X)"},
		{Secret{Value: "abc"}, "******"},
		{Secret{Value: "postgres://u:pw@h/db", From: "file:/run/db"}, "postgres://u:******@h/db (from file:/run/db)"},
		{Secret{Value: "/var/lib/sluice.db", From: "inline"}, "/var/lib/sluice.db"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.s.Value, got, tt.want)
		}
	}
}

func TestSourceFor(t *testing.T) {
	c := &Config{Sources: []Source{
		{Name: "gh", URL: "https://github.example.com"},
		{Name: "gh-team", URL: "https://github.example.com/team/"},
		{Name: "gl-ssh", URL: "ssh://git@gitlab.example.com"},
		{Name: "gl-ssh-2222", URL: "ssh://git@gitlab.example.com:2222"},
		{Name: "gl-https", URL: "https://GITLAB.example.com:443"},
		{Name: "bb", URL: "ssh://BitBucket.example.com"},
		{Name: "plain-http", URL: "http://git.example.com:8080/scm"},
	}}
	tests := []struct {
		url  string
		want string // "" for none
	}{
		{"https://github.example.com/other/repo.git", "gh"},
		{"https://github.example.com/team/repo.git", "gh-team"},
		{"https://github.example.com/team", "gh-team"},
		{"https://github.example.com/teammate/repo.git", "gh"}, // whole segments only
		{"https://GitHub.Example.COM/team/x.git", "gh-team"},
		{"HTTPS://github.example.com/a/b", "gh"},
		{"https://github.example.com:443/team/x", "gh-team"},
		{"https://github.example.com:8443/team/x", ""},
		{"http://github.example.com/team/x", ""},
		{"git@gitlab.example.com:group/repo.git", "gl-ssh"},
		{"git@GitLab.Example.com:group/sub/repo.git", "gl-ssh"},
		{"gitlab.example.com:group/repo.git", "gl-ssh"},
		{"ssh://git@gitlab.example.com/group/repo.git", "gl-ssh"},
		{"ssh://git@gitlab.example.com:22/group/repo.git", "gl-ssh"},
		{"ssh://git@gitlab.example.com:2222/group/repo.git", "gl-ssh-2222"},
		{"ssh://other@gitlab.example.com/group/repo.git", ""},
		{"https://gitlab.example.com/group/repo.git", "gl-https"},
		{"git@bitbucket.example.com:proj/repo.git", "bb"},
		{"ssh://git@bitbucket.example.com:7999/proj/repo.git", ""},
		{"http://git.example.com:8080/scm/proj/repo.git", "plain-http"},
		{"http://git.example.com:8080/other/repo.git", ""},
		{"https://unknown.example.com/x.git", ""},
		{"/srv/git/repo", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := c.SourceFor(tt.url)
		name := ""
		if got != nil {
			name = got.Name
		}
		if name != tt.want {
			t.Errorf("SourceFor(%q) = %q, want %q", tt.url, name, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	valid := []string{"name", "kind", "url", "token", "token_file", "auth_scheme", "ca_file"}
	tests := []struct{ key, want string }{
		{"tokn", "token"},
		{"Token", "token"},
		{"token-file", "token_file"},
		{"tokenfile", "token_file"},
		{"authscheme", "auth_scheme"},
		{"urll", "url"},
		{"password", "token"},
		{"zzzz", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key, valid); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "sluice.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestParsePeopleAndTeams(t *testing.T) {
	c, err := Parse("sluice.yaml", []byte(`people:
  aliases:
    - name: Ann Lee
      emails: [ann@example.com, ann.lee@old.example.com]
  exclude: [contractor@example.com]
  hide: [ghost@example.com]
teams:
  - name: Platform
    members: [ann@example.com, {person: bob@example.com, from: 2026-03-01, until: 2026-09-01}]
    teams:
      - name: Storage
        members: [Ann Lee, {person: bob@example.com, until: 2026-03-01}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.People.Aliases; len(a) != 1 || a[0].Name != "Ann Lee" || len(a[0].Emails) != 2 {
		t.Errorf("aliases = %+v", a)
	}
	p := c.Teams[0]
	if p.Name != "Platform" || len(p.Members) != 2 || p.Members[0].Person != "ann@example.com" || p.Members[0].FromDay != nil {
		t.Fatalf("Platform = %+v", p)
	}
	bob := p.Members[1]
	// 2026-03-01 is day 20513 since 1970-01-01.
	if bob.Person != "bob@example.com" || bob.From != "2026-03-01" || *bob.FromDay != 20513 || *bob.UntilDay != 20513+184 {
		t.Errorf("bob = %+v", bob)
	}
	if s := p.Teams[0]; s.Name != "Storage" || len(s.Members) != 2 || s.Members[1].UntilDay == nil || s.Members[1].FromDay != nil {
		t.Errorf("Storage = %+v", s)
	}
	for ref, want := range map[string]string{
		"Ann@Example.com":                 "ann@example.com",
		"12+ann@users.noreply.github.com": "github:ann",
		"GitHub:Ann":                      "github:ann",
		"Ann Lee":                         "",
	} {
		if got, _ := PersonRefKey(ref); got != want {
			t.Errorf("PersonRefKey(%q) = %q, want %q", ref, got, want)
		}
	}
}
