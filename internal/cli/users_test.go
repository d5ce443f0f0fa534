package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

// authEnv runs the users and tokens commands on a SQLite database.
type authEnv struct {
	t       *testing.T
	dir, db string
}

func newAuthEnv(t *testing.T) *authEnv {
	old := web.BcryptCost
	web.BcryptCost = bcrypt.MinCost
	t.Cleanup(func() { web.BcryptCost = old })
	dir := t.TempDir()
	return &authEnv{t: t, dir: dir, db: filepath.Join(dir, "sluice.db")}
}

// run runs sluice with args, with the users and tokens commands added to
// the root if root.go does not have them yet.
func (e *authEnv) run(args ...string) (string, string, int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb}
	root := a.rootCommand()
	for _, c := range []*cobra.Command{a.usersCommand(), a.tokensCommand()} {
		if found, _, err := root.Find([]string{c.Name()}); err != nil || found == root {
			root.AddCommand(c)
		}
	}
	root.SetArgs(append([]string{"--db", e.db, "--data-dir", e.dir, "--config", filepath.Join(e.dir, "none.yaml")}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	os.WriteFile(filepath.Join(e.dir, "none.yaml"), nil, 0o600)
	if err := root.ExecuteContext(context.Background()); err != nil {
		errb.WriteString("sluice: " + err.Error() + "\n")
		return out.String(), errb.String(), 1
	}
	return out.String(), errb.String(), 0
}

func (e *authEnv) ok(args ...string) (string, string) {
	e.t.Helper()
	out, stderr, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("sluice %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out, stderr
}

func (e *authEnv) fails(want string, args ...string) {
	e.t.Helper()
	_, stderr, code := e.run(args...)
	if code == 0 || !strings.Contains(stderr, want) {
		e.t.Errorf("sluice %s: exit %d, stderr %q; want an error containing %q", strings.Join(args, " "), code, stderr, want)
	}
}

// user reads a user straight from the database.
func (e *authEnv) user(name string) store.User {
	e.t.Helper()
	db, err := store.Open(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	u, err := db.UserByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

var shownPassword = regexp.MustCompile(`shown only now; it is stored as a hash\):\n  (\S+)\n`)

func TestUsersCommands(t *testing.T) {
	e := newAuthEnv(t)
	out, _ := e.ok("users", "list")
	if !strings.Contains(out, "sluice users add NAME --admin") {
		t.Errorf("empty list does not say how to add a user: %q", out)
	}

	out, _ = e.ok("users", "add", "ann", "--admin")
	m := shownPassword.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, `Created user "ann" (admin)`) {
		t.Fatalf("users add printed %q; want the role and a generated password", out)
	}
	if ann := e.user("ann"); ann.Role != store.RoleAdmin || bcrypt.CompareHashAndPassword([]byte(ann.PasswordHash), []byte(m[1])) != nil {
		t.Errorf("ann = %+v; want an admin whose hash matches the printed password", ann)
	}

	pwFile := filepath.Join(e.dir, "bob.pw")
	os.WriteFile(pwFile, []byte("bob's secret phrase\nignored second line\n"), 0o600)
	out, _ = e.ok("users", "add", "bob", "--password-file", pwFile)
	if strings.Contains(out, "bob's secret") || shownPassword.MatchString(out) {
		t.Errorf("a password from a file was printed: %q", out)
	}
	if bob := e.user("bob"); bob.Role != store.RoleViewer || bcrypt.CompareHashAndPassword([]byte(bob.PasswordHash), []byte("bob's secret phrase")) != nil {
		t.Errorf("bob = %+v; want a viewer with the file's first line as password", bob)
	}

	short := filepath.Join(e.dir, "short.pw")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	e.fails("shorter than 8 characters", "users", "add", "cy", "--password-file", short)
	e.fails("--password-file", "users", "add", "cy", "--password-file", filepath.Join(e.dir, "missing"))
	e.fails(`a user named "bob" already exists; pick another name, or set their password with`, "users", "add", "bob")

	out, _ = e.ok("users", "list")
	if !regexp.MustCompile(`(?m)^ann\s+admin\s`).MatchString(out) || !regexp.MustCompile(`(?m)^bob\s+viewer\s`).MatchString(out) {
		t.Errorf("users list:\n%s", out)
	}
	out, _ = e.ok("users", "list", "--format", "json")
	var list []map[string]string
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 || list[0]["name"] != "ann" || list[1]["role"] != "viewer" || list[0]["created_at"] == "" {
		t.Errorf("users list --format json = %s (%v)", out, err)
	}
	if strings.Contains(out, "$2a$") {
		t.Error("users list shows password hashes")
	}
	e.fails("use table or json", "users", "list", "--format", "csv")

	// The last admin stays.
	e.fails(`"ann" is the last admin`, "users", "remove", "ann")
	e.fails(`"ann" is the last admin`, "users", "role", "ann", "viewer")
	e.fails(`role "owner" is not valid; use admin or viewer`, "users", "role", "bob", "owner")
	e.fails("there is no user named \"zed\"; list the users with `sluice users list`", "users", "role", "zed", "admin")
	e.fails("there is no user named \"zed\"", "users", "remove", "zed")
	e.fails("there is no user named \"zed\"", "users", "passwd", "zed")
	if out, _ := e.ok("users", "role", "bob", "admin"); !strings.Contains(out, `"bob" is now an admin`) {
		t.Errorf("users role: %q", out)
	}
	e.ok("users", "role", "ann", "viewer")

	// passwd: generated, then from a file.
	before := e.user("ann")
	out, _ = e.ok("users", "passwd", "ann")
	m = shownPassword.FindStringSubmatch(out)
	after := e.user("ann")
	if m == nil || after.PasswordHash == before.PasswordHash || bcrypt.CompareHashAndPassword([]byte(after.PasswordHash), []byte(m[1])) != nil {
		t.Errorf("users passwd printed %q; the new hash does not match it", out)
	}
	e.ok("users", "passwd", "ann", "--password-file", pwFile)
	if bcrypt.CompareHashAndPassword([]byte(e.user("ann").PasswordHash), []byte("bob's secret phrase")) != nil {
		t.Error("users passwd --password-file did not set the file's password")
	}

	e.ok("users", "remove", "ann")
	e.fails(`there is no user named "ann"`, "users", "remove", "ann")
}

func TestTokensCommands(t *testing.T) {
	e := newAuthEnv(t)
	e.ok("users", "add", "ann", "--admin")
	e.fails("--user is required", "tokens", "create", "ci")
	e.fails("there is no user named \"zed\"; list the users with `sluice users list`", "tokens", "create", "ci", "--user", "zed")

	out, stderr := e.ok("tokens", "create", "ci", "--user", "ann")
	token := strings.TrimSpace(out)
	if !regexp.MustCompile(`^sluice_[A-Za-z0-9_-]{43}$`).MatchString(token) {
		t.Fatalf("tokens create printed %q; want just the token", out)
	}
	if !strings.Contains(stderr, "cannot be shown again") {
		t.Errorf("tokens create does not warn the token is shown once: %q", stderr)
	}
	out, _ = e.ok("tokens", "list")
	if !regexp.MustCompile(`(?m)^1\s+ci\s+ann\s`).MatchString(out) || strings.Contains(out, token) || strings.Contains(out, web.HashToken(token)) {
		t.Errorf("tokens list:\n%s", out)
	}
	out, _ = e.ok("tokens", "list", "--user", "ann", "--format", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0]["name"] != "ci" || list[0]["revoked_at"] != nil {
		t.Errorf("tokens list --format json = %s (%v)", out, err)
	}

	db, err := store.Open(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := db.APITokenByHash(context.Background(), web.HashToken(token))
	db.Close()
	if err != nil || tok.Name != "ci" || tok.Revoked() {
		t.Fatalf("stored token: %+v, %v", tok, err)
	}

	e.fails("is not a token id", "tokens", "revoke", "ci")
	e.fails("there is no API token with id 99; list them with `sluice tokens list`", "tokens", "revoke", "99")
	e.ok("tokens", "revoke", "1")
	out, _ = e.ok("tokens", "list", "--format", "json")
	if !strings.Contains(out, `"revoked_at": "`) {
		t.Errorf("revoked token not shown as revoked: %s", out)
	}
}
