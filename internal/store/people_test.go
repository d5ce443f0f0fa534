package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// authored saves one commit per (name, email) pair, so that each pair is an
// identity with one commit.
func authored(t *testing.T, db *store.DB, pairs ...[2]string) {
	t.Helper()
	r := repo(t, db, "people")
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var cs []store.Commit
	for i, p := range pairs {
		c := commit(p[1]+p[0], at.Add(time.Duration(i)*time.Hour), 1)
		c.AuthorName, c.AuthorEmail = p[0], p[1]
		cs = append(cs, c)
	}
	if err := db.SaveBatch(context.Background(), r.ID, cs, store.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
}

func find(t *testing.T, db *store.DB, ref string) store.Person {
	t.Helper()
	p, err := db.FindPerson(context.Background(), ref)
	if err != nil {
		t.Fatalf("FindPerson(%q): %v", ref, err)
	}
	return p
}

func emails(p store.Person) string {
	var es []string
	for _, i := range p.Identities {
		es = append(es, i.Email)
	}
	return strings.Join(es, " ")
}

func TestFindPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db,
			[2]string{"Ann Lee", "Ann@Example.com"},
			[2]string{"A. Lee", "ann@example.com"}, // same person, other name
			[2]string{"Bob", "1234+bobby@users.noreply.github.com"},
			[2]string{"Sam", "sam@a.example"},
			[2]string{"Sam", "sam@b.example"},
		)
		ann := find(t, db, "ann@example.com")
		if ann.Key != "ann@example.com" || (ann.Name != "Ann Lee" && ann.Name != "A. Lee") || ann.Commits != 2 || len(ann.Identities) != 2 {
			t.Errorf("ann = %+v", ann)
		}
		for _, ref := range []string{"ANN@example.COM", ann.Name, strings.ToLower(ann.Name)} {
			if p := find(t, db, ref); p.ID != ann.ID {
				t.Errorf("FindPerson(%q) = %s, want ann", ref, p.Key)
			}
		}
		bob := find(t, db, "github:bobby")
		if p := find(t, db, "1234+bobby@users.noreply.github.com"); p.ID != bob.ID {
			t.Errorf("noreply e-mail found %s", p.Key)
		}
		_, err := db.FindPerson(ctx, "Sam")
		if err == nil || !strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), "sam@a.example, sam@b.example") {
			t.Errorf("ambiguous name: %v", err)
		}
		_, err = db.FindPerson(ctx, "nobody@example.com")
		if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "sluice people list") {
			t.Errorf("unknown: %v", err)
		}
	})
}

func TestMergeSplitRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db,
			[2]string{"Ann Lee", "ann@example.com"},
			[2]string{"Ann L", "ann.lee@old.example.com"},
			[2]string{"Ann", "99+annl@users.noreply.github.com"},
			[2]string{"Bob", "bob@example.com"},
		)
		ann, old, gh, bob := find(t, db, "ann@example.com"), find(t, db, "ann.lee@old.example.com"), find(t, db, "github:annl"), find(t, db, "bob@example.com")
		team, err := db.CreateTeam(ctx, "Platform", 0, store.SourceCLI)
		if err != nil {
			t.Fatal(err)
		}
		day := func(d int) *int { return &d }
		// ann and old on the team over overlapping periods: old's is dropped;
		// gh's does not overlap and moves.
		for _, m := range []struct {
			id           int64
			since, until *int
		}{{ann.ID, day(100), nil}, {old.ID, day(150), day(200)}, {gh.ID, day(10), day(50)}} {
			if err := db.AddTeamMember(ctx, team, m.id, m.since, m.until, store.SourceCLI); err != nil {
				t.Fatal(err)
			}
		}
		ex := true
		if err := db.SetPersonFlags(ctx, old.ID, &ex, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.MergePeople(ctx, ann.ID, []int64{old.ID, gh.ID, ann.ID}, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		merged := find(t, db, "ann.lee@old.example.com")
		if merged.ID != ann.ID || merged.Commits != 3 || len(merged.Keys) != 3 || !merged.Excluded {
			t.Errorf("merged = %+v", merged)
		}
		if got := emails(merged); got != "99+annl@users.noreply.github.com ann.lee@old.example.com ann@example.com" {
			t.Errorf("merged e-mails = %s", got)
		}
		if _, err := db.Person(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("merged-away person still there: %v", err)
		}
		tm, err := db.TeamByName(ctx, "Platform")
		if err != nil {
			t.Fatal(err)
		}
		if len(tm.Members) != 2 {
			t.Errorf("members after merge = %+v, want ann's two non-overlapping periods", tm.Members)
		}
		for _, m := range tm.Members {
			if m.PersonID != ann.ID {
				t.Errorf("member %+v is not ann", m)
			}
		}
		people, err := db.People(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(people) != 2 {
			t.Errorf("people = %d, want 2", len(people))
		}

		// Split the old e-mail back off.
		id, err := db.SplitPersonKey(ctx, "ann.lee@old.example.com", store.SourceCLI)
		if err != nil {
			t.Fatal(err)
		}
		back := find(t, db, "ann.lee@old.example.com")
		if back.ID != id || back.ID == ann.ID || back.Name != "Ann L" || back.Commits != 1 || back.Keys[0].Source != store.SourceCLI {
			t.Errorf("split off = %+v", back)
		}
		if p := find(t, db, "ann@example.com"); p.Commits != 2 {
			t.Errorf("ann after split = %+v", p)
		}
		// Splitting the person's own key re-keys the rest.
		id2, err := db.SplitPersonKey(ctx, "ann@example.com", store.SourceCLI)
		if err != nil {
			t.Fatal(err)
		}
		rest := find(t, db, "github:annl")
		if rest.ID != ann.ID || rest.Key != "github:annl" || rest.Commits != 1 {
			t.Errorf("rest = %+v", rest)
		}
		if p := find(t, db, "ann@example.com"); p.ID != id2 || p.Key != "ann@example.com" {
			t.Errorf("own key split = %+v", p)
		}
		// A person's only key cannot be split.
		if _, err := db.SplitPersonKey(ctx, "bob@example.com", store.SourceCLI); err == nil || !strings.Contains(err.Error(), "only key") {
			t.Errorf("split of the only key: %v", err)
		}
		if _, err := db.SplitPersonKey(ctx, "nobody@example.com", store.SourceCLI); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("split of an unknown key: %v", err)
		}
		_ = bob
	})
}

func TestSuggestedMerges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db,
			[2]string{"Ann  Lee", "ann@a.example"},
			[2]string{" ann lee", "ann@b.example"},
			[2]string{"Bob", "bob@example.com"},
			[2]string{"renovate[bot]", "r1@example.com"},
			[2]string{"renovate[bot]", "r2@example.com"},
		)
		if err := db.RefreshBots(ctx, nil); err != nil {
			t.Fatal(err)
		}
		groups, err := db.SuggestedMerges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || len(groups[0]) != 2 || groups[0][0].Key != "ann@b.example" && groups[0][0].Key != "ann@a.example" {
			t.Fatalf("groups = %+v", groups)
		}
	})
}

// TestDismissSuggestion checks that dismissed pairs leave the suggested
// merges, a group only once all its pairs are dismissed, and that a
// dismissal holds through a merge and a split of the people it names.
func TestDismissSuggestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db,
			[2]string{"Ann Lee", "ann@a.example"},
			[2]string{"Ann Lee", "ann@b.example"},
			[2]string{"ann  lee", "ann@c.example"},
			[2]string{"Cy Diaz", "cy@a.example"},
			[2]string{"Cy Diaz", "cy@b.example"},
		)
		// suggested renders the groups as "key key; key key", keys sorted.
		suggested := func() string {
			t.Helper()
			groups, err := db.SuggestedMerges(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var gs []string
			for _, g := range groups {
				var ks []string
				for _, p := range g {
					ks = append(ks, p.Key)
				}
				slices.Sort(ks)
				gs = append(gs, strings.Join(ks, " "))
			}
			return strings.Join(gs, "; ")
		}
		dismiss := func(keys ...string) {
			t.Helper()
			if err := db.DismissSuggestion(ctx, keys...); err != nil {
				t.Fatalf("DismissSuggestion(%v): %v", keys, err)
			}
		}
		const all = "ann@a.example ann@b.example ann@c.example; cy@a.example cy@b.example"
		if got := suggested(); got != all {
			t.Fatalf("before any dismissal: %q, want %q", got, all)
		}
		// a is still maybe c, and b maybe c: the group stays whole.
		dismiss("ann@a.example", "ann@b.example")
		if got := suggested(); got != all {
			t.Errorf("after dismissing a-b: %q, want %q", got, all)
		}
		dismiss("ann@b.example", "ann@a.example") // again, either order: no error
		// a is dismissed against everyone: it leaves the group.
		dismiss("ANN@a.example", "ann@c.example")
		if got, want := suggested(), "ann@b.example ann@c.example; cy@a.example cy@b.example"; got != want {
			t.Errorf("after dismissing a-c: %q, want %q", got, want)
		}
		dismiss("ann@b.example", "ann@c.example")
		if got, want := suggested(), "cy@a.example cy@b.example"; got != want {
			t.Errorf("after dismissing b-c: %q, want %q", got, want)
		}

		// Merged anyway, then split again: the dismissal is back in force.
		b, c := find(t, db, "ann@b.example"), find(t, db, "ann@c.example")
		if err := db.MergePeople(ctx, b.ID, []int64{c.ID}, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		if got, want := suggested(), "cy@a.example cy@b.example"; got != want {
			t.Errorf("after merging c into b: %q, want %q", got, want)
		}
		if _, err := db.SplitPersonKey(ctx, "ann@c.example", store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		if got, want := suggested(), "cy@a.example cy@b.example"; got != want {
			t.Errorf("after splitting c off again: %q, want %q", got, want)
		}

		// A key merged into a dismissed person is dismissed with it; a
		// newcomer with the name brings the group back.
		authored(t, db, [2]string{"A. Lee", "lee@a.example"})
		a, lee := find(t, db, "ann@a.example"), find(t, db, "lee@a.example")
		if err := db.MergePeople(ctx, lee.ID, []int64{a.ID}, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPersonName(ctx, lee.ID, "Ann Lee"); err != nil {
			t.Fatal(err)
		}
		if got, want := suggested(), "cy@a.example cy@b.example"; got != want {
			t.Errorf("after merging a into lee@a.example, also named Ann Lee: %q, want %q", got, want)
		}
		authored(t, db, [2]string{"Ann Lee", "ann@d.example"})
		want := "ann@b.example ann@c.example ann@d.example lee@a.example; cy@a.example cy@b.example"
		if got := suggested(); got != want {
			t.Errorf("with a newcomer: %q, want %q", got, want)
		}
		dismiss("ann@d.example", "ann@b.example", "ann@c.example", "lee@a.example")
		if got, want := suggested(), "cy@a.example cy@b.example"; got != want {
			t.Errorf("after dismissing the newcomer: %q, want %q", got, want)
		}

		for _, c := range []struct {
			keys []string
			want string
		}{
			{[]string{"cy@a.example"}, "two or more"},
			{[]string{"cy@a.example", "CY@a.example"}, "all one person"},
			{[]string{"cy@a.example", "nobody@example.com"}, "not found"},
		} {
			err := db.DismissSuggestion(ctx, c.keys...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("DismissSuggestion(%v) = %v, want an error containing %q", c.keys, err, c.want)
			}
		}
		if _, err := db.PersonIDByKey(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused dismissal created a person: %v", err)
		}
		if got, want := suggested(), "cy@a.example cy@b.example"; got != want {
			t.Errorf("after refused dismissals: %q, want %q", got, want)
		}
	})
}

// TestCommitFilterPerson checks that ForEachCommit's person filter keeps
// the commits of all the person's identities, and follows a merge.
func TestCommitFilterPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db, [2]string{"Ann", "ann@example.com"}, [2]string{"Ann L", "ANN@example.com"},
			[2]string{"Ann", "ann@home.example"}, [2]string{"Bob", "bob@example.com"})
		count := func(id int64) int {
			return len(all(t, db, store.CommitFilter{PersonID: id}))
		}
		ann, home := find(t, db, "ann@example.com"), find(t, db, "ann@home.example")
		if n := count(ann.ID); n != 2 {
			t.Errorf("ann@example.com (two identities): %d commits, want 2", n)
		}
		if err := db.MergePeople(ctx, ann.ID, []int64{home.ID}, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		if n := count(ann.ID); n != 3 {
			t.Errorf("after merging ann@home.example: %d commits, want 3", n)
		}
		rows := all(t, db, store.CommitFilter{PersonID: find(t, db, "bob@example.com").ID})
		if len(rows) != 1 || rows[0].Person != "bob@example.com" {
			t.Errorf("bob: %+v", rows)
		}
	})
}
