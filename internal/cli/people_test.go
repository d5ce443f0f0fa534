package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
	"github.com/sluicehq/sluice/internal/store"
)

// peopleEnv is a SQLite database with a few authors and a sluice.yaml.
type peopleEnv struct {
	t            *testing.T
	dir, db, cfg string
}

func newPeopleEnv(t *testing.T, yaml string) *peopleEnv {
	t.Helper()
	dir := t.TempDir()
	e := &peopleEnv{t: t, dir: dir, db: filepath.Join(dir, "sluice.db"), cfg: filepath.Join(dir, "sluice.yaml")}
	if err := os.WriteFile(e.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.UpsertRepository(ctx, store.Repository{Name: "r", LocalPath: "/src/r"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var cs []store.Commit
	for i, p := range [][2]string{
		{"Ann Lee", "ann@example.com"}, {"Ann Lee", "ann@home.example"}, {"Ann Lee", "ann@home.example"},
		{"Bob", "bob@example.com"}, {"Cy", "cy@example.com"}, {"dependabot[bot]", "bot@example.com"},
	} {
		sha := strings.Repeat("0", 39) + string("0123456789abcdef"[i])
		cs = append(cs, store.Commit{SHA: sha, AuthorName: p[0], AuthorEmail: p[1], AuthorTime: at.Add(time.Duration(i) * time.Hour),
			CommitterName: p[0], CommitterEmail: p[1], CommitterTime: at, Subject: "c"})
	}
	if err := db.SaveBatch(ctx, r.ID, cs, store.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// run runs sluice with args and returns stdout, or stderr and a non-zero
// code.
func (e *peopleEnv) run(args ...string) (string, string, int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--db", e.db, "--data-dir", e.dir, "--config", e.cfg}, args...)
	code := Main(context.Background(), full, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func (e *peopleEnv) ok(args ...string) string {
	e.t.Helper()
	out, stderr, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("sluice %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

func (e *peopleEnv) fails(want string, args ...string) {
	e.t.Helper()
	_, stderr, code := e.run(args...)
	if code == 0 || !strings.Contains(stderr, want) {
		e.t.Errorf("sluice %s: exit %d, stderr %q; want an error containing %q", strings.Join(args, " "), code, stderr, want)
	}
}

func TestPeopleCommands(t *testing.T) {
	e := newPeopleEnv(t, "people:\n  hide: [cy@example.com]\n")
	out := e.ok("people", "list")
	if !strings.Contains(out, "bot@example.com") || !strings.Contains(out, "bot") || strings.Contains(out, "cy@example.com") {
		t.Errorf("people list:\n%s", out)
	}
	if out := e.ok("people", "list", "--all", "--format", "csv"); !strings.Contains(out, "cy@example.com,Cy,cy@example.com,1,excluded hidden") {
		t.Errorf("people list --all --format csv:\n%s", out)
	}
	out = e.ok("people", "suggest")
	if !strings.Contains(out, "sluice people merge ann@example.com ann@home.example") && !strings.Contains(out, "sluice people merge ann@home.example ann@example.com") {
		t.Errorf("people suggest:\n%s", out)
	}
	e.fails("ambiguous", "people", "merge", "Ann Lee", "bob@example.com")
	e.fails("sluice people list", "people", "merge", "ann@example.com", "nobody@example.com")
	e.ok("people", "merge", "ann@example.com", "ann@home.example")
	var rows []personRow
	if err := json.Unmarshal([]byte(e.ok("people", "list", "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	var ann personRow
	for _, r := range rows {
		if r.Key == "ann@example.com" {
			ann = r
		}
	}
	if ann.Commits != 3 || len(ann.Emails) != 2 {
		t.Errorf("ann after merge = %+v (rows %+v)", ann, rows)
	}
	if out := e.ok("people", "suggest"); !strings.Contains(out, "no suggestions") {
		t.Errorf("suggest after merge:\n%s", out)
	}
	e.ok("people", "split", "ANN@home.example")
	e.fails("only key", "people", "split", "bob@example.com")
	e.ok("people", "exclude", "Bob")
	if out := e.ok("people", "list", "--format", "csv"); !strings.Contains(out, "bob@example.com,Bob,bob@example.com,1,excluded") {
		t.Errorf("after exclude:\n%s", out)
	}
	e.ok("people", "include", "Bob")
	e.fails("defined in sluice.yaml; edit it there", "people", "unhide", "cy@example.com")
}

func TestPeopleConfigAliasRefusesSplit(t *testing.T) {
	e := newPeopleEnv(t, "people:\n  aliases:\n    - name: Ann\n      emails: [ann@example.com, ann@home.example]\n")
	if out := e.ok("people", "list", "--format", "csv"); !strings.Contains(out, "ann@example.com,Ann,ann@example.com ann@home.example,3,") {
		t.Errorf("alias not applied:\n%s", out)
	}
	e.fails("defined in sluice.yaml; edit it there", "people", "split", "ann@home.example")
	e.fails("defined in sluice.yaml; edit it there", "people", "merge", "bob@example.com", "ann@example.com")
}

func TestTeamsCommands(t *testing.T) {
	e := newPeopleEnv(t, "teams:\n  - name: Config\n    members: [bob@example.com]\n")
	e.ok("teams", "add", "Platform")
	e.ok("teams", "add", "Storage", "--parent", "Platform")
	e.fails("already exists", "teams", "add", "Storage")
	e.fails(`team "Nope": not found; list teams with`, "teams", "add", "X", "--parent", "Nope")
	e.ok("teams", "add-member", "Storage", "bob@example.com", "--from", "2026-03-01", "--until", "2026-09-01")
	e.fails("overlaps", "teams", "add-member", "Storage", "Bob", "--from", "2026-08-01")
	e.ok("teams", "add-member", "Storage", "Bob", "--from", "2026-09-01")
	e.fails("is not after --from", "teams", "add-member", "Storage", "cy@example.com", "--from", "2026-09-01", "--until", "2026-03-01")
	e.fails("is not a date", "teams", "add-member", "Storage", "cy@example.com", "--from", "March")
	e.fails("defined in sluice.yaml; edit it there", "teams", "add-member", "Config", "cy@example.com")
	e.fails("defined in sluice.yaml; edit it there", "teams", "remove", "Config")
	out := e.ok("teams", "list")
	for _, want := range []string{"Config (config, 1 member)", "Platform (cli, 0 members)", "  Storage (cli, 2 members)",
		"- Bob <bob@example.com> from 2026-03-01 until 2026-09-01", "- Bob <bob@example.com> from 2026-09-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("teams list lacks %q:\n%s", want, out)
		}
	}
	e.ok("teams", "remove-member", "Storage", "bob@example.com")
	e.fails("is not a member", "teams", "remove-member", "Storage", "bob@example.com")
	e.ok("teams", "remove", "Platform")
	if out := e.ok("teams", "list"); !strings.Contains(out, "\nStorage (cli, 0 members)") {
		t.Errorf("after removing Platform:\n%s", out)
	}
}

// TestPeopleWithoutConfig checks that a command run without any sluice.yaml
// leaves the configured aliases alone (no file is not an empty file), and
// that bots are recognised by the default patterns without any config.
func TestPeopleWithoutConfig(t *testing.T) {
	e := newPeopleEnv(t, "people:\n  aliases:\n    - name: Ann Lee\n      emails: [ann@example.com, ann@home.example]\n")
	noConfig := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		full := append([]string{"--db", e.db, "--data-dir", e.dir}, args...)
		if code := Main(context.Background(), full, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("sluice %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	if out := noConfig("people", "list", "--format", "csv"); !strings.Contains(out, "bot@example.com,dependabot[bot],bot@example.com,1,bot") {
		t.Errorf("before any sluice.yaml, the bot is not flagged:\n%s", out)
	}
	e.ok("people", "list") // applies the alias
	for _, out := range []string{noConfig("people", "list", "--format", "csv"), noConfig("report", "--by", "person", "--format", "csv")} {
		if strings.Contains(out, "ann@home.example,") && !strings.Contains(out, "ann@example.com ann@home.example") {
			t.Errorf("without sluice.yaml the alias was undone:\n%s", out)
		}
	}
	if out := noConfig("people", "list", "--format", "csv"); !strings.Contains(out, "ann@example.com,Ann Lee,ann@example.com ann@home.example,3,") {
		t.Errorf("people list without sluice.yaml:\n%s", out)
	}
}

// TestAnalyzeUsesAliases checks that an alias in sluice.yaml reaches the
// work types from the first `sluice analyze`: another e-mail of the same
// person rewriting their recent line is rework, not help others.
func TestAnalyzeUsesAliases(t *testing.T) {
	for _, alias := range []bool{false, true} {
		dir := t.TempDir()
		yaml := ""
		if alias {
			yaml = "people:\n  aliases:\n    - name: Ada\n      emails: [ada@example.com, ada@home.example]\n"
		}
		cfg := filepath.Join(dir, "sluice.yaml")
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		r := gittest.New(t)
		day := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
		r.Commit("base", gittest.Person{Name: "Ada", Email: "ada@example.com"}, day, map[string]string{"a.go": "1\n2\n3\n"})
		edit := r.Commit("edit", gittest.Person{Name: "Ada L", Email: "ada@home.example"}, day.AddDate(0, 0, 2), map[string]string{"a.go": "1\nx\n3\n"})
		var out, errb bytes.Buffer
		base := []string{"--data-dir", dir, "--config", cfg}
		if code := Main(context.Background(), append(base, "analyze", r.Dir), strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("analyze: exit %d: %s", code, errb.String())
		}
		out.Reset()
		if code := Main(context.Background(), append(base, "export", "commits", "--format", "jsonl"), strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errb.String())
		}
		var got store.CommitRecord
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var rec store.CommitRecord
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.SHA == edit {
				got = rec
			}
		}
		want := [2]int{1, 0} // help others, rework
		if alias {
			want = [2]int{0, 1}
		}
		if [2]int{got.HelpOthers, got.Rework} != want || (alias && got.Person != "ada@example.com") {
			t.Errorf("alias %v: edit has help %d rework %d person %q, want help %d rework %d", alias, got.HelpOthers, got.Rework, got.Person, want[0], want[1])
		}
	}
}
