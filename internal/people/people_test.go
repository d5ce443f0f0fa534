package people_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/people"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func authored(t *testing.T, db *store.DB, pairs ...[2]string) {
	t.Helper()
	ctx := context.Background()
	r, err := db.UpsertRepository(ctx, store.Repository{Name: "r", LocalPath: "/src/r"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var cs []store.Commit
	for i, p := range pairs {
		sha := strings.Repeat("0", 38) + string(rune('a'+i/16)) + string("0123456789abcdef"[i%16])
		cs = append(cs, store.Commit{SHA: sha, AuthorName: p[0], AuthorEmail: p[1], AuthorTime: at.Add(time.Duration(i) * time.Hour),
			CommitterName: p[0], CommitterEmail: p[1], CommitterTime: at, Subject: "c"})
	}
	if err := db.SaveBatch(ctx, r.ID, cs, store.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
}

func parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse("sluice.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type state struct {
	People []store.Person
	Teams  []store.Team
}

func snapshot(t *testing.T, db *store.DB) state {
	t.Helper()
	ps, err := db.People(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := db.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return state{ps, ts}
}

const cfg = `analysis:
  bot_patterns: ["ci-*"]
people:
  aliases:
    - name: Ann Lee
      emails: [ann@example.com, ann.lee@old.example.com, github:annl, ann@future.example]
  exclude: [contractor@example.com]
  hide: [Ghost]
teams:
  - name: Platform
    members: [ann.lee@old.example.com, {person: bob@example.com, from: 2026-03-01, until: 2026-09-01}]
    teams:
      - name: Storage
        members: [Bob, {person: newhire@example.com, from: 2026-06-01}]
`

func TestApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db,
			[2]string{"Ann", "ann@example.com"},
			[2]string{"A. Lee", "ann.lee@old.example.com"},
			[2]string{"annl", "7+annl@users.noreply.github.com"},
			[2]string{"Bob", "bob@example.com"},
			[2]string{"Con", "contractor@example.com"},
			[2]string{"Ghost", "ghost@example.com"},
			[2]string{"ci-runner", "ci@example.com"},
		)
		c := parse(t, cfg)
		if err := people.Apply(ctx, db, c); err != nil {
			t.Fatal(err)
		}
		first := snapshot(t, db)
		if err := people.Apply(ctx, db, c); err != nil {
			t.Fatal(err)
		}
		if again := snapshot(t, db); !reflect.DeepEqual(first, again) {
			t.Errorf("Apply is not idempotent:\n%+v\n%+v", first, again)
		}

		ann, err := db.FindPerson(ctx, "github:annl")
		if err != nil {
			t.Fatal(err)
		}
		if ann.Name != "Ann Lee" || ann.Commits != 3 || len(ann.Keys) != 4 {
			t.Errorf("ann = %+v", ann)
		}
		for _, k := range ann.Keys {
			if k.Source != store.SourceConfig {
				t.Errorf("key %s source %s", k.Key, k.Source)
			}
		}
		// A later identity of a configured e-mail joins the person.
		authored(t, db, [2]string{"Ann (new)", "ann@future.example"})
		if p, _ := db.FindPerson(ctx, "ann@future.example"); p.ID != ann.ID {
			t.Errorf("future e-mail is person %s", p.Key)
		}
		flags := map[string][3]bool{}
		for _, p := range snapshot(t, db).People {
			flags[p.Key] = [3]bool{p.Excluded, p.Hidden, p.Bot}
		}
		if flags["contractor@example.com"] != [3]bool{true, false, false} || flags["ghost@example.com"] != [3]bool{true, true, false} ||
			flags["ci@example.com"] != [3]bool{false, false, true} || flags["bob@example.com"] != [3]bool{} {
			t.Errorf("flags = %v", flags)
		}

		teams := first.Teams
		if len(teams) != 2 || teams[0].Name != "Platform" || teams[1].Name != "Storage" || teams[1].ParentID != teams[0].ID {
			t.Fatalf("teams = %+v", teams)
		}
		pm := teams[0].Members
		if len(pm) != 2 || pm[0].PersonID != ann.ID || pm[1].PersonKey != "bob@example.com" || *pm[1].Since != 20513 || *pm[1].Until != 20697 {
			t.Errorf("Platform members = %+v", pm)
		}
		sm := teams[1].Members
		if len(sm) != 2 || sm[0].PersonKey != "bob@example.com" || sm[1].PersonKey != "newhire@example.com" || sm[1].Until != nil {
			t.Errorf("Storage members = %+v", sm)
		}

		// Dropping an e-mail from the alias splits it back off.
		c2 := parse(t, strings.Replace(cfg, ", github:annl", "", 1))
		if err := people.Apply(ctx, db, c2); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.FindPerson(ctx, "github:annl"); p.ID == ann.ID || p.Keys[0].Source != store.SourceAuto {
			t.Errorf("github:annl after leaving the alias = %+v", p)
		}

		// Leaving people.exclude clears the flag the list set; a flag the
		// CLI set stays.
		bob, err := db.FindPerson(ctx, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		if err := db.SetPersonFlags(ctx, bob.ID, &yes, nil); err != nil {
			t.Fatal(err)
		}
		c3 := parse(t, strings.Replace(cfg, "  exclude: [contractor@example.com]\n", "", 1))
		if err := people.Apply(ctx, db, c3); err != nil {
			t.Fatal(err)
		}
		for _, p := range snapshot(t, db).People {
			flags[p.Key] = [3]bool{p.Excluded, p.Hidden, p.Bot}
		}
		if flags["contractor@example.com"] != [3]bool{} || flags["bob@example.com"] != [3]bool{true, false, false} ||
			flags["ghost@example.com"] != [3]bool{true, true, false} {
			t.Errorf("flags after leaving people.exclude = %v", flags)
		}

		pmap, err := people.PersonMap(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if pmap["ann@example.com"] != pmap["ann.lee@old.example.com"] || pmap["ann@example.com"] == pmap["bob@example.com"] || pmap["bob@example.com"] != "bob@example.com" {
			t.Errorf("PersonMap = %v", pmap)
		}
	})
}

func TestApplyErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db, [2]string{"Ann", "ann@example.com"}, [2]string{"Ann", "ann@b.example"}, [2]string{"Bob", "bob@example.com"})
		for _, tc := range []struct{ yaml, want string }{
			{"teams:\n  - name: Platform\n    members: [Carol]\n", `sluice.yaml team "Platform": member "Carol": person "Carol": not found`},
			{"teams:\n  - name: Platform\n    members: [Ann]\n", `member "Ann": person "Ann" is ambiguous`},
			{"people:\n  exclude: [Nobody]\n", `sluice.yaml people.exclude: person "Nobody": not found`},
		} {
			err := people.Apply(ctx, db, parse(t, tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Apply(%q) = %v, want %q", tc.yaml, err, tc.want)
			}
		}
		// Two e-mails merged outside the config are one person too.
		a, _ := db.FindPersonID(ctx, "ann@example.com")
		b, _ := db.FindPersonID(ctx, "ann@b.example")
		if err := db.MergePeople(ctx, a, []int64{b}, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		c := parse(t, "teams:\n  - name: T\n    members: [ann@example.com, ann@b.example]\n")
		if err := people.Apply(ctx, db, c); err == nil || !strings.Contains(err.Error(), `team "T": member "ann@b.example" is the same person as another member`) {
			t.Errorf("Apply with a merged person twice: %v", err)
		}
	})
}
