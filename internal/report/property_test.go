package report_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// TestTeamEqualsExportedRows: for random ranges, each team's figures equal
// the figures recomputed from the `export commits` rows (CommitRow.Record)
// of its members, on the days of their memberships (metrics.md §5).
func TestTeamEqualsExportedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(4, 2))
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		offsets := []int{-8 * 3600, -(3*3600 + 1800), 0, 2 * 3600, 5*3600 + 1800, 13 * 3600}
		people := []string{"p0@example.com", "p1@example.com", "p2@example.com", "p3@example.com", "p4@example.com", "p5@example.com"}
		var commits []c
		for i := range 400 {
			p := rng.IntN(len(people) + 1)
			name, email := fmt.Sprintf("P%d", p), ""
			if p == len(people) {
				name, email = "renovate[bot]", "bot@renovateapp.com"
			} else {
				email = people[p]
			}
			zone := time.FixedZone("", offsets[rng.IntN(len(offsets))])
			at := start.Add(time.Duration(rng.Int64N(60*86400)) * time.Second).In(zone)
			h := rng.IntN(60)
			x := c{repo: []string{"a", "b"}[i%2], name: name, email: email, at: at, haloc: h,
				files: rng.IntN(5), hunks: rng.IntN(6), add: rng.IntN(50), del: rng.IntN(50)}
			x.legacy = rng.IntN(h + 1)
			x.help = rng.IntN(h - x.legacy + 1)
			x.rework = rng.IntN(h - x.legacy - x.help + 1)
			x.newWork = h - x.legacy - x.help - x.rework
			x.merge = rng.IntN(20) == 0
			if x.merge {
				x = c{repo: x.repo, name: name, email: email, at: at, merge: true}
			}
			x.outlier = rng.IntN(15) == 0
			commits = append(commits, x)
		}
		seed(t, db, commits)

		// eng ⊃ backend, frontend; memberships with periods (days since
		// 2024-01-01), some people in several teams or twice in one.
		d0 := store.AuthorDay(start)
		at := func(n int) *int { v := d0 + n; return &v }
		teams := map[string]int64{}
		for _, x := range []struct{ name, parent string }{{"eng", ""}, {"backend", "eng"}, {"frontend", "eng"}} {
			id, err := db.CreateTeam(ctx, x.name, teams[x.parent], store.SourceCLI)
			if err != nil {
				t.Fatal(err)
			}
			teams[x.name] = id
		}
		type membership struct {
			team         string
			person       int
			since, until *int
		}
		members := []membership{
			{"backend", 0, nil, nil},
			{"backend", 1, at(10), at(30)},
			{"backend", 1, at(40), nil},
			{"frontend", 1, at(20), at(45)},
			{"frontend", 2, nil, at(25)},
			{"frontend", 3, at(5), nil},
			{"eng", 4, at(15), at(50)},
			{"eng", 0, at(0), at(20)},
		}
		for _, m := range members {
			if err := db.AddTeamMember(ctx, teams[m.team], personID(t, db, people[m.person]), m.since, m.until, store.SourceCLI); err != nil {
				t.Fatal(err)
			}
		}
		in := map[string][]string{"eng": {"eng", "backend", "frontend"}, "backend": {"backend"}, "frontend": {"frontend"}}
		// member reports whether person key is in team on day.
		member := func(team, key string, day int) bool {
			for _, m := range members {
				for _, sub := range in[team] {
					if m.team == sub && people[m.person] == key &&
						(m.since == nil || day >= *m.since) && (m.until == nil || day < *m.until) {
						return true
					}
				}
			}
			return false
		}
		var rows []store.CommitRecord
		if err := db.ForEachCommit(ctx, store.CommitFilter{}, func(r store.CommitRow) error {
			rows = append(rows, r.Record())
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		nonEmpty := 0
		for round := range 25 {
			since := start.Add(time.Duration(rng.Int64N(50*86400)) * time.Second)
			until := since.Add(time.Duration(1+rng.Int64N(30*86400)) * time.Second)
			rep, err := report.Build(ctx, db, report.Options{By: report.ByTeam, Since: since, Until: until})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]report.Row{}
			for _, r := range rep.Rows {
				got[r.Key] = r
			}
			days := until.Sub(since).Hours() / 24
			for team := range in {
				var w report.Row
				w.Key = team
				var impact float64
				seen, ppl := map[string]bool{}, map[string]bool{}
				for _, r := range rows {
					at, err := time.Parse(time.RFC3339, r.AuthorTime)
					if err != nil {
						t.Fatal(err)
					}
					d := store.AuthorDay(at)
					if r.IsMerge || r.Outlier || at.Before(since) || !at.Before(until) || !member(team, r.Person, d) {
						continue
					}
					w.Commits++
					if k := fmt.Sprint(r.Person, d); !seen[k] {
						seen[k] = true
						w.CodingDays++
					}
					ppl[r.Person] = true
					w.HALOC += r.HALOC
					w.NewWork += r.NewWork
					w.LegacyRefactor += r.LegacyRefactor
					w.HelpOthers += r.HelpOthers
					w.Rework += r.Rework
					w.Hunks += r.Hunks
					w.Additions += r.Additions
					w.Deletions += r.Deletions
					impact += r.Impact
				}
				w.People = len(ppl)
				w.Impact = math.Round(impact*100) / 100
				g, ok := got[team]
				if w.Commits > 0 {
					nonEmpty++
				}
				if w.Commits == 0 {
					if ok {
						t.Errorf("round %d, %s: row %+v, want none", round, team, g)
					}
					continue
				}
				div := func(n, d float64) float64 {
					if d <= 0 {
						return -1
					}
					return math.Round(n/d*100) / 100
				}
				h := float64(w.HALOC)
				wantRatios := []float64{div(float64(w.CodingDays), days/7), div(float64(w.Commits), float64(w.CodingDays)),
					div(100*float64(w.NewWork), h), div(100*float64(w.LegacyRefactor), h), div(100*float64(w.HelpOthers), h),
					div(100*float64(w.Rework), h), div(100*(h-float64(w.Rework)), h),
					div(float64(w.CodingDays)*8, h/100), div(float64(w.CodingDays)*8, (h-float64(w.Rework))/100)}
				gotRatios := []float64{f(g.CodingDaysPerWeek), f(g.CommitsPerCodingDay), f(g.NewWorkPct), f(g.LegacyRefactorPct),
					f(g.HelpOthersPct), f(g.ReworkPct), f(g.EfficiencyPct), f(g.TT100Raw), f(g.TT100Productive)}
				sums := func(r report.Row) string {
					return fmt.Sprint(r.Commits, r.CodingDays, r.People, r.HALOC, r.NewWork, r.LegacyRefactor,
						r.HelpOthers, r.Rework, r.Hunks, r.Additions, r.Deletions, r.Impact)
				}
				if !ok || sums(g) != sums(w) || fmt.Sprint(gotRatios) != fmt.Sprint(wantRatios) {
					t.Errorf("round %d, %s [%s, %s):\n got %s %v\nwant %s %v", round, team,
						since.Format(time.RFC3339), until.Format(time.RFC3339), sums(g), gotRatios, sums(w), wantRatios)
				}
			}
		}
		// A team filter with every other grouping, and teams by week: the
		// sums equal those of the members' commits on their membership
		// days, grouped the same way.
		type sumsOf struct {
			commits, days, people, haloc, newWork, legacy, help, rework, hunks, adds, dels int
			impact                                                                         float64
		}
		for round := range 10 {
			since := start.Add(time.Duration(rng.Int64N(40*86400)) * time.Second)
			until := since.Add(time.Duration(1+rng.Int64N(40*86400)) * time.Second)
			for _, tc := range []struct {
				team string
				by   report.By
				iv   store.Interval
			}{
				{"eng", report.ByOrg, ""}, {"frontend", report.ByOrg, ""}, {"eng", report.ByRepo, ""},
				{"frontend", report.ByRepo, ""}, {"eng", report.ByPerson, ""}, {"backend", report.ByPerson, store.IntervalWeek},
				{"", report.ByTeam, store.IntervalWeek}, {"eng", report.ByTeam, ""},
			} {
				rep, err := report.Build(ctx, db, report.Options{By: tc.by, Team: tc.team, Since: since, Until: until, Interval: tc.iv})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, r := range rep.Rows {
					got[r.Key+" "+r.Bucket] = fmt.Sprint(sumsOf{r.Commits, r.CodingDays, r.People, r.HALOC, r.NewWork, r.LegacyRefactor,
						r.HelpOthers, r.Rework, r.Hunks, r.Additions, r.Deletions, r.Impact})
				}
				type acc struct {
					s         sumsOf
					days, ppl map[string]bool
				}
				want := map[string]*acc{}
				teams := []string{tc.team}
				if tc.by == report.ByTeam {
					teams = in[tc.team]
					if tc.team == "" {
						teams = []string{"eng", "backend", "frontend"}
					}
				}
				for _, r := range rows {
					at, err := time.Parse(time.RFC3339, r.AuthorTime)
					if err != nil {
						t.Fatal(err)
					}
					d := store.AuthorDay(at)
					if r.IsMerge || r.Outlier || at.Before(since) || !at.Before(until) {
						continue
					}
					for _, team := range teams {
						if !member(team, r.Person, d) {
							continue
						}
						key := map[report.By]string{report.ByOrg: "org", report.ByRepo: r.Repo, report.ByPerson: r.Person, report.ByTeam: team}[tc.by]
						bucket := ""
						if tc.iv == store.IntervalWeek {
							bucket = store.DayTime(d - ((d+3)%7+7)%7).Format(time.DateOnly)
						}
						a := want[key+" "+bucket]
						if a == nil {
							a = &acc{days: map[string]bool{}, ppl: map[string]bool{}}
							want[key+" "+bucket] = a
						}
						a.s.commits++
						a.days[fmt.Sprint(r.Person, d)] = true
						a.ppl[r.Person] = true
						a.s.haloc += r.HALOC
						a.s.newWork += r.NewWork
						a.s.legacy += r.LegacyRefactor
						a.s.help += r.HelpOthers
						a.s.rework += r.Rework
						a.s.hunks += r.Hunks
						a.s.adds += r.Additions
						a.s.dels += r.Deletions
						a.s.impact += r.Impact
					}
				}
				for key, a := range want {
					a.s.days, a.s.people = len(a.days), len(a.ppl)
					a.s.impact = math.Round(a.s.impact*100) / 100
					if w := fmt.Sprint(a.s); got[key] != w {
						t.Errorf("round %d, %s by %s %s, %q: got %s, want %s", round, tc.team, tc.by, tc.iv, key, got[key], w)
					}
				}
				if len(got) != len(want) {
					t.Errorf("round %d, %s by %s %s: %d rows, want %d: %v", round, tc.team, tc.by, tc.iv, len(got), len(want), got)
				}
			}
		}

		if nonEmpty < 40 {
			t.Errorf("only %d of 75 team rows had commits: the ranges test too little", nonEmpty)
		}
	})
}
