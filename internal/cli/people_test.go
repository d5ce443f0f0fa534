package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// peopleEnv is a SQLite database with a few authors and a sluice.yaml.
type peopleEnv struct {
	t            *testing.T
	dir, db, cfg string
}

func newPeopleEnv(t *testing.T, yaml string) *peopleEnv {
	t.Helper()
	return newPeopleEnvOn(t, yaml, filepath.Join(t.TempDir(), "sluice.db"))
}

// newPeopleEnvOn is newPeopleEnv on the database dsn (a storetest DSN).
func newPeopleEnvOn(t *testing.T, yaml, dsn string) *peopleEnv {
	t.Helper()
	dir := t.TempDir()
	e := &peopleEnv{t: t, dir: dir, db: dsn, cfg: filepath.Join(dir, "sluice.yaml")}
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

// TestTeamsMove checks sluice teams move on both engines: under another
// team, to the top level, and what it refuses.
func TestTeamsMove(t *testing.T) {
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			e := newPeopleEnvOn(t, "teams:\n  - name: Config\n    members: [bob@example.com]\n", dsn)
			e.ok("teams", "add", "Platform")
			e.ok("teams", "add", "Storage")
			e.ok("teams", "add", "Disks", "--parent", "Storage")
			// parents returns each team's parent ("" at the top level).
			parents := func() map[string]string {
				t.Helper()
				var teams []struct {
					Name   string
					Parent *string
				}
				if err := json.Unmarshal([]byte(e.ok("teams", "list", "--format", "json")), &teams); err != nil {
					t.Fatal(err)
				}
				m := map[string]string{}
				for _, tm := range teams {
					m[tm.Name] = ""
					if tm.Parent != nil {
						m[tm.Name] = *tm.Parent
					}
				}
				return m
			}
			if out := e.ok("teams", "move", "Storage", "--parent", "Platform"); out != "team \"Storage\" moved under \"Platform\"\n" {
				t.Errorf("move under Platform printed %q", out)
			}
			want := map[string]string{"Config": "", "Platform": "", "Storage": "Platform", "Disks": "Storage"}
			if got := parents(); !reflect.DeepEqual(got, want) {
				t.Errorf("after moving Storage under Platform: parents %v, want %v", got, want)
			}
			for _, c := range []struct {
				want string
				args []string
			}{
				{"a team cannot be its own ancestor", []string{"Platform", "--parent", "Disks"}},
				{"a team cannot be its own ancestor", []string{"Platform", "--parent", "Platform"}},
				{`team "Nope": not found; list teams with ` + "`sluice teams list`", []string{"Nope", "--top"}},
				{`--parent: team "Nope": not found; list teams with`, []string{"Storage", "--parent", "Nope"}},
				{"give exactly one of --parent PARENT", []string{"Storage"}},
				{"give exactly one of --parent PARENT", []string{"Storage", "--parent", "Platform", "--top"}},
				{`team "Config" is defined in sluice.yaml; edit it there`, []string{"Config", "--parent", "Platform"}},
				{"accepts 1 arg", []string{"--top"}},
			} {
				e.fails(c.want, append([]string{"teams", "move"}, c.args...)...)
			}
			if got := parents(); !reflect.DeepEqual(got, want) {
				t.Errorf("refused moves changed the parents: %v, want %v", got, want)
			}
			// A team made here may move under one sluice.yaml defines.
			e.ok("teams", "move", "Storage", "--parent", "Config")
			e.ok("teams", "move", "Storage", "--top")
			want = map[string]string{"Config": "", "Platform": "", "Storage": "", "Disks": "Storage"}
			if got := parents(); !reflect.DeepEqual(got, want) {
				t.Errorf("after moving Storage to the top: parents %v, want %v", got, want)
			}
			if out := e.ok("teams", "move", "Storage", "--top"); !strings.Contains(out, "already a top-level team; nothing changed") {
				t.Errorf("moving a top-level team to the top printed %q", out)
			}
			if out := e.ok("teams", "list"); !strings.Contains(out, "\nStorage (cli, 0 members)\n  Disks (cli, 0 members)\n") {
				t.Errorf("teams list after the moves:\n%s", out)
			}
		})
	}
}

// TestTeamsListFormats checks the content of sluice teams list in JSON and
// CSV.
func TestTeamsListFormats(t *testing.T) {
	empty := newPeopleEnv(t, "")
	for format, want := range map[string]string{"json": "[]\n", "csv": "team,parent,source,key,name,since,until\n"} {
		if out := empty.ok("teams", "list", "--format", format); out != want {
			t.Errorf("no teams in %s: %q, want %q", format, out, want)
		}
	}
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			e := newPeopleEnvOn(t, "teams:\n  - name: Config\n    members: [bob@example.com]\n", dsn)
			e.ok("teams", "add", "Platform")
			e.ok("teams", "add", "Storage", "--parent", "Platform")
			e.ok("teams", "add-member", "Storage", "bob@example.com", "--from", "2026-03-01", "--until", "2026-09-01")
			e.ok("teams", "add-member", "Storage", "ann@example.com", "--until", "2026-02-01")
			e.ok("teams", "add-member", "Storage", "cy@example.com")

			var got any
			if err := json.Unmarshal([]byte(e.ok("teams", "list", "--format", "json")), &got); err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(`[
				{"name": "Config", "parent": null, "source": "config", "members": [
					{"key": "bob@example.com", "name": "Bob", "since": null, "until": null}]},
				{"name": "Platform", "parent": null, "source": "cli", "members": []},
				{"name": "Storage", "parent": "Platform", "source": "cli", "members": [
					{"key": "ann@example.com", "name": "Ann Lee", "since": null, "until": "2026-02-01"},
					{"key": "bob@example.com", "name": "Bob", "since": "2026-03-01", "until": "2026-09-01"},
					{"key": "cy@example.com", "name": "Cy", "since": null, "until": null}]}
			]`), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("teams list --format json:\n got %v\nwant %v", got, want)
			}

			wantCSV := `team,parent,source,key,name,since,until
Config,,config,bob@example.com,Bob,,
Platform,,cli,,,,
Storage,Platform,cli,ann@example.com,Ann Lee,,2026-02-01
Storage,Platform,cli,bob@example.com,Bob,2026-03-01,2026-09-01
Storage,Platform,cli,cy@example.com,Cy,,
`
			if out := e.ok("teams", "list", "--format", "csv"); out != wantCSV {
				t.Errorf("teams list --format csv:\n%s\nwant:\n%s", out, wantCSV)
			}
			e.fails(`--format "yaml" is not supported; use table, csv or json`, "teams", "list", "--format", "yaml")
		})
	}
}

// TestPeopleDismiss checks sluice people dismiss on both engines: the
// suggestion goes and stays gone through a merge and a split, and what it
// refuses.
func TestPeopleDismiss(t *testing.T) {
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			e := newPeopleEnvOn(t, "", dsn)
			out := e.ok("people", "suggest")
			if !strings.Contains(out, "not the same person: sluice people dismiss ann@example.com ann@home.example") &&
				!strings.Contains(out, "not the same person: sluice people dismiss ann@home.example ann@example.com") {
				t.Errorf("people suggest does not show how to dismiss:\n%s", out)
			}
			e.fails("requires at least 2 arg(s)", "people", "dismiss", "ann@example.com")
			e.fails("are all one person (ann@example.com)", "people", "dismiss", "ann@example.com", "ANN@example.com")
			e.fails("sluice people list", "people", "dismiss", "ann@example.com", "nobody@example.com")
			e.fails("ambiguous", "people", "dismiss", "Ann Lee", "bob@example.com")
			if out := e.ok("people", "suggest"); strings.Contains(out, "no suggestions") {
				t.Errorf("refused dismissals dismissed:\n%s", out)
			}
			out = e.ok("people", "dismiss", "ann@example.com", "ann@home.example")
			if want := "dismissed: ann@example.com (Ann Lee), ann@home.example (Ann Lee) are not suggested as one person any more\n"; out != want {
				t.Errorf("people dismiss printed %q, want %q", out, want)
			}
			if out := e.ok("people", "suggest"); !strings.Contains(out, "no suggestions") {
				t.Errorf("suggest after dismiss:\n%s", out)
			}
			// A dismissal does not stop a merge on purpose, and holds again
			// after splitting it.
			e.ok("people", "merge", "ann@example.com", "ann@home.example")
			e.ok("people", "split", "ann@home.example")
			if out := e.ok("people", "suggest"); !strings.Contains(out, "no suggestions") {
				t.Errorf("suggest after merge and split:\n%s", out)
			}
		})
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
