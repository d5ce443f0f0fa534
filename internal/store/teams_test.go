package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func TestTeamsEdit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authored(t, db, [2]string{"Ann", "ann@example.com"}, [2]string{"Bob", "bob@example.com"})
		ann, bob := find(t, db, "ann@example.com"), find(t, db, "bob@example.com")
		eng, _ := db.CreateTeam(ctx, "Eng", 0, store.SourceCLI)
		plat, _ := db.CreateTeam(ctx, "Platform", eng, store.SourceCLI)
		stor, err := db.CreateTeam(ctx, "Storage", plat, store.SourceCLI)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []int64{eng, plat, stor} {
			if err := db.SetTeamParent(ctx, eng, bad); err == nil || !strings.Contains(err.Error(), "own ancestor") {
				t.Errorf("SetTeamParent(Eng, %d): %v", bad, err)
			}
		}
		if err := db.SetTeamParent(ctx, stor, eng); err != nil {
			t.Fatal(err)
		}
		if err := db.AddTeamMember(ctx, plat, ann.ID, nil, nil, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
		if err := db.RemoveTeamMember(ctx, plat, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("remove non-member: %v", err)
		}
		if err := db.RemoveTeamMember(ctx, plat, ann.ID); err != nil {
			t.Fatal(err)
		}
		// Deleting Eng moves its subteams to the top level.
		if err := db.DeleteTeam(ctx, eng); err != nil {
			t.Fatal(err)
		}
		teams, err := db.Teams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(teams) != 2 || teams[0].Name != "Platform" || teams[0].ParentID != 0 || teams[1].ParentID != 0 || len(teams[0].Members) != 0 {
			t.Errorf("teams = %+v", teams)
		}

		// Config teams replace only config teams and memberships.
		d := func(v int) *int { return &v }
		specs := []store.TeamSpec{
			{Name: "Core", Members: []store.MemberSpec{{PersonID: ann.ID}}},
			{Name: "Storage", Parent: "Core", Members: []store.MemberSpec{{PersonID: bob.ID, Since: d(20500), Until: d(20600)}}},
		}
		for range 2 {
			if err := db.ReplaceConfigTeams(ctx, specs); err != nil {
				t.Fatal(err)
			}
		}
		teams, _ = db.Teams(ctx)
		if len(teams) != 3 {
			t.Fatalf("teams = %+v", teams)
		}
		byName := map[string]store.Team{}
		for _, t := range teams {
			byName[t.Name] = t
		}
		if s := byName["Storage"]; s.Source != store.SourceConfig || s.ParentID != byName["Core"].ID || len(s.Members) != 1 || *s.Members[0].Since != 20500 || *s.Members[0].Until != 20600 {
			t.Errorf("Storage = %+v", s)
		}
		if c := byName["Core"]; len(c.Members) != 1 || c.Members[0].PersonID != ann.ID {
			t.Errorf("Core = %+v", c)
		}
		if p := byName["Platform"]; p.Source != store.SourceCLI {
			t.Errorf("Platform = %+v", p)
		}
		if err := db.ReplaceConfigTeams(ctx, specs[1:2]); err == nil {
			t.Error("a parent defined after its subteam was accepted")
		}
		if err := db.ReplaceConfigTeams(ctx, nil); err != nil {
			t.Fatal(err)
		}
		teams, _ = db.Teams(ctx)
		if len(teams) != 1 || teams[0].Name != "Platform" {
			t.Errorf("after removing config teams: %+v", teams)
		}
	})
}
