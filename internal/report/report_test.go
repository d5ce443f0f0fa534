package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

var plus2 = time.FixedZone("", 2*3600)

type c struct {
	repo, name, email string
	at                time.Time
	add, del          int
	merge             bool
}

// seed stores commits (SHAs made up from their index).
func seed(t *testing.T, db *store.DB, commits []c) {
	t.Helper()
	ctx := context.Background()
	byRepo := map[string][]store.Commit{}
	for i, x := range commits {
		sc := store.Commit{
			SHA: fmt.Sprintf("%040x", i+1), AuthorName: x.name, AuthorEmail: x.email, AuthorTime: x.at,
			CommitterName: x.name, CommitterEmail: x.email, CommitterTime: x.at, Subject: "s",
			IsMerge: x.merge, Additions: x.add, Deletions: x.del,
		}
		if x.merge {
			sc.Parents = []string{fmt.Sprintf("%040x", 1000+i), fmt.Sprintf("%040x", 2000+i)}
		}
		byRepo[x.repo] = append(byRepo[x.repo], sc)
	}
	for name, cs := range byRepo {
		r, err := db.UpsertRepository(ctx, store.Repository{Name: name, LocalPath: "/src/" + name, Excludes: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SaveBatch(ctx, r.ID, cs, store.Checkpoint{RepositoryID: r.ID}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkedExample is docs/metrics.md's worked example: coding days are
// taken in the author's own offset.
func TestWorkedExample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		monday := time.Date(2024, 5, 6, 0, 0, 0, 0, plus2)
		seed(t, db, []c{
			{"svc", "Ada", "ada@example.com", monday.Add(9 * time.Hour), 10, 1, false},
			{"svc", "Ada", "ada@example.com", monday.Add(23*time.Hour + 30*time.Minute), 5, 0, false},
			// Wednesday 01:00 +02:00 is Tuesday 23:00 UTC: a Wednesday.
			{"svc", "Ada L.", "ADA@example.com", monday.Add(49 * time.Hour), 1, 1, false},
		})
		rep, err := report.Build(context.Background(), db, report.Options{
			By: report.ByPerson, Since: monday, Until: monday.AddDate(0, 0, 7),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 {
			t.Fatalf("rows = %+v, want one person (emails compare lowercased)", rep.Rows)
		}
		r := rep.Rows[0]
		if r.Key != "ada@example.com" || r.Name != "Ada L." || r.Commits != 3 || r.CodingDays != 2 ||
			r.CodingDaysPerWeek != 2 || r.CommitsPerCodingDay != 1.5 || r.Additions != 16 || r.Deletions != 2 || r.Repos != 1 {
			t.Errorf("row = %+v", r)
		}
	})
}

func TestPeopleReposBotsMerges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := func(day, hour int) time.Time { return time.Date(2024, 1, day, hour, 0, 0, 0, time.UTC) }
		seed(t, db, []c{
			{"api", "Ada", "ada@example.com", d(1, 10), 10, 0, false},
			{"api", "Ada", "ada@example.com", d(1, 11), 0, 0, true}, // merge: counted apart
			{"web", "Ada", "ada@example.com", d(3, 10), 4, 4, false},
			{"api", "Grace", "grace@example.com", d(2, 10), 7, 3, false},
			{"api", "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", d(2, 12), 100, 100, false},
			{"api", "renovate", "bot@renovateapp.com", d(2, 13), 50, 0, false},
			{"web", "CI Robot", "ci-robot@example.com", d(4, 9), 9, 9, false},
		})
		ctx := context.Background()
		rep, err := report.Build(ctx, db, report.Options{By: report.ByPerson, BotPatterns: []string{"ci-robot@*"}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]report.Row{}
		for _, r := range rep.Rows {
			got[r.Key] = r
		}
		if len(got) != 2 {
			t.Fatalf("people = %v, want Ada and Grace only (bots left out)", rep.Rows)
		}
		if a := got["ada@example.com"]; a.Commits != 2 || a.MergeCommits != 1 || a.CodingDays != 2 || a.Repos != 2 || a.Additions != 14 {
			t.Errorf("ada = %+v", a)
		}
		// Open range: from the first included commit's day to the day after the last.
		if !rep.Since.Equal(d(1, 0)) || !rep.Until.Equal(d(4, 0)) {
			t.Errorf("range = %s – %s", rep.Since, rep.Until)
		}
		if a := got["ada@example.com"]; a.CodingDaysPerWeek != 4.67 {
			t.Errorf("coding days per week = %v, want 2 ÷ (3 days ÷ 7) = 4.67", a.CodingDaysPerWeek)
		}
		rep, err = report.Build(ctx, db, report.Options{By: report.ByRepo, IncludeBots: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 2 || rep.Rows[0].Key != "api" || rep.Rows[0].Commits != 4 || rep.Rows[0].People != 4 || rep.Rows[1].People != 2 {
			t.Errorf("by repo with bots = %+v", rep.Rows)
		}
		rep, err = report.Build(ctx, db, report.Options{By: report.ByRepo, Repo: "web", Since: d(3, 0), Until: d(4, 0)})
		if err != nil || len(rep.Rows) != 1 || rep.Rows[0].Commits != 1 {
			t.Errorf("filtered = %+v %v", rep, err)
		}
		if _, err := report.Build(ctx, db, report.Options{By: "team"}); err == nil {
			t.Error("unknown grouping accepted")
		}
	})
}

// TestEmptyReportJSON: a report with no rows encodes them as [] and leaves
// out the ends of the range it does not know.
func TestEmptyReportJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		since := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
		for _, x := range []struct {
			o    report.Options
			want string
		}{
			{report.Options{}, `{"rows":[]}`},
			{report.Options{Since: since}, `{"rows":[],"since":"2024-03-01T00:00:00Z"}`},
			{report.Options{By: report.ByRepo, Since: since, Until: since.AddDate(0, 1, 0)},
				`{"rows":[],"since":"2024-03-01T00:00:00Z","until":"2024-04-01T00:00:00Z"}`},
		} {
			rep, err := report.Build(context.Background(), db, x.o)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows == nil {
				t.Errorf("%+v: Rows is nil, want an empty slice", x.o)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != x.want {
				t.Errorf("%+v: JSON %s, want %s", x.o, b, x.want)
			}
		}
	})
}

func TestIsBot(t *testing.T) {
	for _, x := range []struct {
		name, email string
		want        bool
	}{
		{"dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", true},
		{"github-actions", "41898282+github-actions[bot]@users.noreply.github.com", true},
		{"Renovate Bot", "bot@renovateapp.com", true},
		{"Ada", "ada@example.com", false},
		{"Robert", "robert@example.com", false},
	} {
		if got := report.IsBot(x.name, x.email, nil); got != x.want {
			t.Errorf("IsBot(%q, %q) = %v", x.name, x.email, got)
		}
	}
}
