package store_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// TestGenerationBumps: every write that can change an aggregate changes
// the data generation, and reads do not.
func TestGenerationBumps(t *testing.T) {
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db := open(t, dsn)
			last, err := db.Generation(ctx)
			if err != nil {
				t.Fatal(err)
			}
			step := func(name string, changes bool, fn func() error) {
				t.Helper()
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				g, err := db.Generation(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if changes && g == last {
					t.Errorf("%s left the data generation at %d", name, g)
				}
				if !changes && g != last {
					t.Errorf("%s, a read, changed the data generation %d → %d", name, last, g)
				}
				last = g
			}
			r := repo(t, db, "gen")
			g0, _ := db.Generation(ctx)
			if g0 == last {
				t.Error("adding a repository left the data generation")
			}
			last = g0
			at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			a, b := commit("a", at, 1), commit("b", at.Add(time.Hour), 2, sha("a"))
			b.AuthorName, b.AuthorEmail = "Bob", "bob@example.com"
			step("SaveBatch", true, func() error { return db.SaveBatch(ctx, r.ID, []store.Commit{a, b}, store.Checkpoint{}) })
			a.HALOC, a.NewWork = 7, 7
			step("SaveBatch of a stored commit's new work types", true, func() error {
				return db.SaveBatch(ctx, r.ID, []store.Commit{a}, store.Checkpoint{})
			})
			step("Aggregate", false, func() error {
				_, err := db.Aggregate(ctx, store.AggregateQuery{By: store.GroupPerson})
				return err
			})
			people, err := db.People(ctx)
			if err != nil || len(people) != 2 {
				t.Fatalf("People = %v, %v", people, err)
			}
			yes := true
			step("RefreshBots that changes nothing", false, func() error { return db.RefreshBots(ctx, nil) })
			step("RefreshBots that marks Bob", true, func() error { return db.RefreshBots(ctx, []string{"bob@*"}) })
			step("RefreshBots that unmarks Bob", true, func() error { return db.RefreshBots(ctx, nil) })
			step("UpsertRepository that changes nothing", false, func() error { _, err := db.UpsertRepository(ctx, r); return err })
			step("UpsertRepository of a new URL", true, func() error {
				r.URL = "https://git.example.com/gen.git"
				_, err := db.UpsertRepository(ctx, r)
				return err
			})
			step("SaveBatch of a checkpoint alone", false, func() error {
				return db.SaveBatch(ctx, r.ID, nil, store.Checkpoint{Tips: map[string]string{"refs/heads/main": sha("b")}})
			})
			step("SetPersonFlags", true, func() error { return db.SetPersonFlags(ctx, people[0].ID, &yes, nil) })
			var team int64
			step("CreateTeam", true, func() (err error) { team, err = db.CreateTeam(ctx, "Core", 0, store.SourceCLI); return })
			step("AddTeamMember", true, func() error { return db.AddTeamMember(ctx, team, people[1].ID, nil, nil, store.SourceCLI) })
			step("RemoveTeamMember", true, func() error { return db.RemoveTeamMember(ctx, team, people[1].ID) })
			step("MergePeople", true, func() error { return db.MergePeople(ctx, people[0].ID, []int64{people[1].ID}, store.SourceCLI) })
			step("SplitPersonKey", true, func() error { _, err := db.SplitPersonKey(ctx, people[1].Key, store.SourceCLI); return err })
			step("DeleteTeam", true, func() error { return db.DeleteTeam(ctx, team) })
			step("DeleteCommits", true, func() error { _, err := db.DeleteCommits(ctx, r.ID, []string{sha("b")}); return err })
			step("DeleteCommits of nothing stored", false, func() error { _, err := db.DeleteCommits(ctx, r.ID, []string{sha("zz")}); return err })
			step("ResetRepository", true, func() error { return db.ResetRepository(ctx, r.ID) })
		})
	}
}

// TestAggregateCache: cached answers equal computed ones; a write from
// another connection (another process, as far as the cache can tell) is
// seen at once; concurrent callers of one query share one computation;
// the size bound holds.
func TestAggregateCache(t *testing.T) {
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db := open(t, dsn)
			other := open(t, dsn) // a second handle: its writes reach db only through the database
			r := repo(t, db, "cache")
			at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
			var cs []store.Commit
			for i := range 20 {
				c := commit("c"+string(rune('a'+i)), at.Add(time.Duration(i)*25*time.Hour), 1)
				c.HALOC, c.NewWork = i+1, i+1
				cs = append(cs, c)
			}
			if err := db.SaveBatch(ctx, r.ID, cs, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			queries := []store.AggregateQuery{
				{By: store.GroupOrg},
				{By: store.GroupPerson, Interval: store.IntervalWeek},
				{By: store.GroupRepo, Since: at.Add(48 * time.Hour)},
				{By: store.GroupOrg, Since: at, Until: at.Add(240 * time.Hour), IncludeOutliers: true},
			}
			want := make([][]store.AggregateRow, len(queries))
			for i, q := range queries {
				var err error
				if want[i], err = db.Aggregate(ctx, q); err != nil || len(want[i]) == 0 {
					t.Fatalf("uncached %+v: %v, %v", q, want[i], err)
				}
			}
			db.EnableCache(1 << 20)
			for round := range 2 {
				for i, q := range queries {
					got, err := db.Aggregate(ctx, q)
					if err != nil || !reflect.DeepEqual(got, want[i]) {
						t.Errorf("round %d, %+v: %v, %v; want %v", round, q, got, err, want[i])
					}
				}
			}
			// The two org queries also computed (and keep) their rows by
			// person, which they sum.
			if s, _ := db.CacheStats(); s.Misses != 6 || s.Hits != 4 || s.Entries != 6 {
				t.Errorf("stats after two rounds = %+v; want 6 misses, 4 hits, 6 entries", s)
			}
			// A caller changing its copy does not change the cache's.
			got, _ := db.Aggregate(ctx, queries[0])
			got[0].Commits = -1
			if again, _ := db.Aggregate(ctx, queries[0]); again[0].Commits != 20 {
				t.Errorf("cached org commits = %d after a caller changed its copy; want 20", again[0].Commits)
			}

			// A commit saved through the other handle.
			late := commit("late", at.Add(30*time.Hour), 1)
			late.HALOC, late.NewWork = 100, 100
			if err := other.SaveBatch(ctx, r.ID, []store.Commit{late}, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			org, err := db.Aggregate(ctx, queries[0])
			if err != nil || org[0].Commits != 21 || org[0].HALOC != 310 {
				t.Errorf("org after another handle's write = %+v, %v; want 21 commits, HALOC 310", org, err)
			}
			if counts, err := db.CommitCounts(ctx); err != nil || counts[r.ID] != 21 {
				t.Errorf("commit counts after another handle's write = %v, %v; want 21", counts, err)
			}
			if n, err := db.CountCommits(ctx, r.ID); err != nil || n != 21 {
				t.Errorf("CountCommits = %d, %v; want 21", n, err)
			}
			if teams, _ := db.Teams(ctx); len(teams) != 0 {
				t.Fatalf("teams = %v", teams)
			}
			if _, err := other.CreateTeam(ctx, "Core", 0, store.SourceCLI); err != nil {
				t.Fatal(err)
			}
			if teams, err := db.Teams(ctx); err != nil || len(teams) != 1 || teams[0].Name != "Core" {
				t.Errorf("teams after another handle made one = %v, %v", teams, err)
			}

			// A person excluded through the other handle.
			people, _ := other.People(ctx)
			yes := true
			if err := other.SetPersonFlags(ctx, people[0].ID, &yes, nil); err != nil {
				t.Fatal(err)
			}
			if org, err := db.Aggregate(ctx, queries[0]); err != nil || len(org) != 0 {
				t.Errorf("org after excluding its only person = %+v, %v; want no rows", org, err)
			}
			if ps, err := db.People(ctx); err != nil || len(ps) == 0 || ps[0].Key != people[0].Key || !ps[0].Excluded {
				t.Errorf("people after another handle excluded one = %+v, %v", ps, err)
			}
			if s, _ := db.CacheStats(); s.Invalidations != 3 {
				t.Errorf("invalidations = %d; want 3", s.Invalidations)
			}

			no := false
			if err := other.SetPersonFlags(ctx, people[0].ID, &no, nil); err != nil {
				t.Fatal(err)
			}

			// Concurrent callers of one query: one computation.
			db.EnableCache(1 << 20)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if _, err := db.Aggregate(ctx, queries[1]); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if s, _ := db.CacheStats(); s.Misses != 1 || s.Hits+s.Shared != 7 {
				t.Errorf("8 concurrent callers: %+v; want 1 computation", s)
			}

			// A bound smaller than two one-row answers keeps the last.
			db.EnableCache(400)
			for _, q := range []store.AggregateQuery{queries[0], queries[2], queries[3]} {
				if _, err := db.Aggregate(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if s, _ := db.CacheStats(); s.Bytes > 400 || s.Entries != 1 {
				t.Errorf("bounded cache holds %+v; want one answer, ≤ 400 bytes", s)
			}
			if _, err := db.Aggregate(ctx, queries[3]); err != nil {
				t.Fatal(err)
			}
			if s, _ := db.CacheStats(); s.Hits != 1 {
				t.Errorf("the last answer was not kept: %+v", s)
			}
		})
	}
}
