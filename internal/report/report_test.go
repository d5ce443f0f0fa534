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

var (
	plus2  = time.FixedZone("", 2*3600)
	minus8 = time.FixedZone("", -8*3600)
)

// c is a commit of the fixtures: work figures as line provenance would
// store them.
type c struct {
	repo, name, email string
	at                time.Time
	haloc, newWork    int
	legacy, help      int
	rework            int
	files, hunks      int
	add, del          int
	merge, outlier    bool
}

// seed stores commits (SHAs made up from their index).
func seed(t testing.TB, db *store.DB, commits []c) {
	t.Helper()
	ctx := context.Background()
	byRepo := map[string][]store.Commit{}
	var order []string
	for i, x := range commits {
		sc := store.Commit{
			SHA: fmt.Sprintf("%040x", i+1), AuthorName: x.name, AuthorEmail: x.email, AuthorTime: x.at,
			CommitterName: x.name, CommitterEmail: x.email, CommitterTime: x.at, Subject: "s",
			IsMerge: x.merge, Additions: x.add, Deletions: x.del, FilesChanged: x.files,
			Hunks: x.hunks, HALOC: x.haloc, NewWork: x.newWork, LegacyRefactor: x.legacy, HelpOthers: x.help,
			Rework: x.rework, Outlier: x.outlier,
		}
		if x.merge {
			sc.Parents = []string{fmt.Sprintf("%040x", 100000+i), fmt.Sprintf("%040x", 200000+i)}
		}
		if byRepo[x.repo] == nil {
			order = append(order, x.repo)
		}
		byRepo[x.repo] = append(byRepo[x.repo], sc)
	}
	for _, name := range order {
		r, err := db.UpsertRepository(ctx, store.Repository{Name: name, LocalPath: "/src/" + name, Excludes: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SaveBatch(ctx, r.ID, byRepo[name], store.Checkpoint{RepositoryID: r.ID}); err != nil {
			t.Fatal(err)
		}
	}
}

func personID(t testing.TB, db *store.DB, ref string) int64 {
	t.Helper()
	id, err := db.FindPersonID(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func day(y int, m time.Month, d int) *int {
	n := store.AuthorDay(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	return &n
}

// Week of the fixture: Monday 2024-05-06 to Monday 2024-05-13, UTC.
var (
	monday = time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	utc    = func(d, h int) time.Time { return time.Date(2024, 5, d, h, 0, 0, 0, time.UTC) }
)

// fixture stores the commits of TestFigures and its people and teams:
//
//   - Ada commits as ada@example.com, ADA@Example.com (one person: emails
//     compare lowercased) and ada.l@home.example (merged into her, as an
//     alias does), at +02:00; one of her commits is an outlier, one a merge,
//     one at the range's (exclusive) end.
//   - Grace commits at −08:00, twice on her Tuesday (once on Wednesday UTC).
//   - Linus joins team backend on Wednesday.
//   - dependabot is a bot; Hidden is hidden.
//   - Teams: eng ⊃ backend. backend: Ada (open), Linus (from Wednesday).
//     eng: Grace (open) and Ada again, Monday to Thursday (her commits count
//     once in eng).
func fixture(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	seed(t, db, []c{
		// A1: impact √100 × (1 + ln 2 ÷ 2) × (1 + ln 4 ÷ 4) × 1.25 = 22.67
		{repo: "api", name: "Ada", email: "ada@example.com", at: time.Date(2024, 5, 6, 10, 0, 0, 0, plus2),
			haloc: 100, newWork: 60, legacy: 25, help: 5, rework: 10, files: 2, hunks: 4, add: 80, del: 30},
		// A2: Monday 23:30 +02:00; impact √20 = 4.47
		{repo: "api", name: "Ada Lovelace", email: "ADA@Example.com", at: time.Date(2024, 5, 6, 23, 30, 0, 0, plus2),
			haloc: 20, newWork: 20, files: 1, hunks: 1, add: 20},
		// A3: Wednesday 01:00 +02:00 (Tuesday 23:00 UTC); impact √10 × (1 + ln 2 ÷ 4) = 3.71
		{repo: "web", name: "Ada", email: "ada.l@home.example", at: time.Date(2024, 5, 8, 1, 0, 0, 0, plus2),
			haloc: 10, rework: 10, files: 1, hunks: 2, add: 5, del: 5},
		// A4: outlier; impact √2000 × (1 + ln 10 ÷ 2) × (1 + ln 10 ÷ 4) = 151.59
		{repo: "api", name: "Ada", email: "ada@example.com", at: utc(9, 12),
			haloc: 2000, newWork: 2000, files: 10, hunks: 10, add: 2000, outlier: true},
		// A5: a merge, never counted.
		{repo: "api", name: "Ada", email: "ada@example.com", at: utc(9, 13), merge: true},
		// A6: at until, outside [since, until).
		{repo: "api", name: "Ada", email: "ada@example.com", at: utc(13, 0), haloc: 7, newWork: 7, files: 1, hunks: 1, add: 7},
		// G1: Tuesday 10:00 −08:00; impact √40 × (1 + ln 3 ÷ 2) × (1 + ln 3 ÷ 4) = 12.49
		{repo: "api", name: "Grace", email: "grace@example.com", at: time.Date(2024, 5, 7, 10, 0, 0, 0, minus8),
			haloc: 40, newWork: 10, help: 30, files: 3, hunks: 3, add: 30, del: 20},
		// G2: Tuesday 20:00 −08:00 (Wednesday 04:00 UTC); impact √10 × 2 = 6.32
		{repo: "web", name: "Grace", email: "grace@example.com", at: time.Date(2024, 5, 7, 20, 0, 0, 0, minus8),
			haloc: 10, legacy: 10, files: 1, hunks: 1, del: 10},
		// B1: a bot; impact √50 = 7.07
		{repo: "api", name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com", at: utc(7, 9),
			haloc: 50, newWork: 50, files: 1, hunks: 1, add: 50},
		// L1: Monday, before joining backend; impact √30 = 5.48
		{repo: "api", name: "Linus", email: "linus@example.com", at: utc(6, 12),
			haloc: 30, newWork: 30, files: 1, hunks: 1, add: 30},
		// L2: Wednesday; impact √20 × (1 + ln 2 ÷ 2) × (1 + ln 2 ÷ 4) = 7.07
		{repo: "web", name: "Linus", email: "linus@example.com", at: utc(8, 12),
			haloc: 20, newWork: 10, rework: 10, files: 2, hunks: 2, add: 15, del: 5},
		// L3: Friday; impact √50 = 7.07
		{repo: "api", name: "Linus", email: "linus@example.com", at: utc(10, 9),
			haloc: 50, newWork: 50, files: 1, hunks: 1, add: 50},
		// H1: hidden person.
		{repo: "api", name: "Hidden", email: "hidden@example.com", at: utc(7, 9),
			haloc: 5, newWork: 5, files: 1, hunks: 1, add: 5},
	})
	ada := personID(t, db, "ada@example.com")
	if err := db.MergePeople(ctx, ada, []int64{personID(t, db, "ada.l@home.example")}, store.SourceConfig); err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := db.SetPersonFlags(ctx, personID(t, db, "hidden@example.com"), nil, &yes); err != nil {
		t.Fatal(err)
	}
	eng, err := db.CreateTeam(ctx, "eng", 0, store.SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := db.CreateTeam(ctx, "backend", eng, store.SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		team         int64
		ref          string
		since, until *int
	}{
		{backend, "ada@example.com", nil, nil},
		{backend, "linus@example.com", day(2024, 5, 8), nil},
		{eng, "grace@example.com", nil, nil},
		{eng, "ada@example.com", day(2024, 5, 6), day(2024, 5, 9)},
	} {
		if err := db.AddTeamMember(ctx, m.team, personID(t, db, m.ref), m.since, m.until, store.SourceCLI); err != nil {
			t.Fatal(err)
		}
	}
}

// want is a row's expected figures; -1 for a ratio means null.
type want struct {
	key                                   string
	commits, days, people                 int
	haloc, newWork, legacy, help, rework  int
	hunks, add, del                       int
	impact                                float64
	perWeek, perDay                       float64
	newPct, legacyPct, helpPct, reworkPct float64
	eff, raw, productive                  float64
}

func f(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func check(t *testing.T, r report.Row, w want) {
	t.Helper()
	got := want{r.Key, r.Commits, r.CodingDays, r.People, r.HALOC, r.NewWork, r.LegacyRefactor, r.HelpOthers, r.Rework,
		r.Hunks, r.Additions, r.Deletions, r.Impact, f(r.CodingDaysPerWeek), f(r.CommitsPerCodingDay),
		f(r.NewWorkPct), f(r.LegacyRefactorPct), f(r.HelpOthersPct), f(r.ReworkPct), f(r.EfficiencyPct),
		f(r.TT100Raw), f(r.TT100Productive)}
	if got != w {
		t.Errorf("row %s:\n got %+v\nwant %+v", w.key, got, w)
	}
}

// Expected rows over the week [Monday, next Monday), 7 days. Ratios:
// per week = days ÷ (7 ÷ 7); shares = type ÷ HALOC × 100; efficiency =
// (1 − rework ÷ HALOC) × 100; tt100 raw = days × 8 ÷ (HALOC ÷ 100);
// productive = days × 8 ÷ ((HALOC − rework) ÷ 100).
var (
	// A1+A2+A3: days Monday and Wednesday (her offset); 16 ÷ 1.3, 16 ÷ 1.1.
	wAda = want{"ada@example.com", 3, 2, 1, 130, 80, 25, 5, 20, 7, 105, 35, 30.85,
		2, 1.5, 61.54, 19.23, 3.85, 15.38, 84.62, 12.31, 14.55}
	// G1+G2: one day (Tuesday −08:00); 8 ÷ 0.5.
	wGrace = want{"grace@example.com", 2, 1, 1, 50, 10, 10, 30, 0, 4, 30, 30, 18.81,
		1, 2, 20, 20, 60, 0, 100, 16, 16}
	// L1+L2+L3: Monday, Wednesday, Friday; 24 ÷ 1, 24 ÷ 0.9.
	wLinus = want{"linus@example.com", 3, 3, 1, 100, 90, 0, 0, 10, 4, 95, 5, 19.62,
		3, 1, 90, 0, 0, 10, 90, 24, 26.67}
	// Ada + L2 + L3 (Linus from Wednesday): days 2 + 2; 32 ÷ 2, 32 ÷ 1.7.
	wBackend = want{"backend", 5, 4, 2, 200, 140, 25, 5, 30, 10, 170, 40, 44.99,
		4, 1.25, 70, 12.5, 2.5, 15, 85, 16, 18.82}
	// backend + Grace (Ada's commits once): 40 ÷ 2.5, 40 ÷ 2.2.
	wEng = want{"eng", 7, 5, 3, 250, 150, 35, 35, 30, 14, 200, 70, 63.80,
		5, 1.4, 60, 14, 14, 12, 88, 16, 18.18}
	// Ada + Grace + Linus (no bot, no hidden): 48 ÷ 2.8, 48 ÷ 2.5.
	wOrg = want{"org", 8, 6, 3, 280, 180, 35, 35, 30, 15, 230, 70, 69.28,
		6, 1.33, 64.29, 12.5, 12.5, 10.71, 89.29, 17.14, 19.2}
	// A1, A2, G1, L1, L3: days Ada Mon, Grace Tue, Linus Mon + Fri; 32 ÷ 2.4, 32 ÷ 2.3.
	wAPI = want{"api", 5, 4, 3, 240, 170, 25, 35, 10, 10, 210, 50, 52.18,
		4, 1.25, 70.83, 10.42, 14.58, 4.17, 95.83, 13.33, 13.91}
	// A3, G2, L2: 24 ÷ 0.4, 24 ÷ 0.2.
	wWeb = want{"web", 3, 3, 3, 40, 10, 10, 0, 20, 5, 20, 20, 17.10,
		3, 1, 25, 25, 0, 50, 50, 60, 120}
	// Ada with A4 (Thursday): 24 ÷ 21.3, 24 ÷ 21.1.
	wAdaOutliers = want{"ada@example.com", 4, 3, 1, 2130, 2080, 25, 5, 20, 17, 2105, 35, 182.44,
		3, 1.33, 97.65, 1.17, 0.23, 0.94, 99.06, 1.13, 1.14}
	// Within backend: L2 + L3 only.
	wLinusBackend = want{"linus@example.com", 2, 2, 1, 70, 60, 0, 0, 10, 3, 65, 5, 14.14,
		2, 1, 85.71, 0, 0, 14.29, 85.71, 22.86, 26.67}
	wBot = want{"github:dependabot[bot]", 1, 1, 1, 50, 50, 0, 0, 0, 1, 50, 0, 7.07,
		1, 1, 100, 0, 0, 0, 100, 16, 16}
)

func TestFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		ctx := context.Background()
		week := report.Options{Since: monday, Until: monday.AddDate(0, 0, 7)}
		with := func(mod func(*report.Options)) report.Options {
			o := week
			mod(&o)
			return o
		}
		grace := personID(t, db, "grace@example.com")
		for _, x := range []struct {
			name string
			o    report.Options
			rows []want
		}{
			{"person", with(func(o *report.Options) { o.By = report.ByPerson }), []want{wAda, wLinus, wGrace}},
			{"team", with(func(o *report.Options) { o.By = report.ByTeam }), []want{wEng, wBackend}},
			{"team backend only", with(func(o *report.Options) { o.By = report.ByTeam; o.Team = "backend" }), []want{wBackend}},
			{"org", with(func(o *report.Options) { o.By = report.ByOrg }), []want{wOrg}},
			{"repo", with(func(o *report.Options) { o.By = report.ByRepo }), []want{wAPI, wWeb}},
			{"outliers", with(func(o *report.Options) {
				o.IncludeOutliers = true
				o.PersonIDs = []int64{personID(t, db, "ADA@example.com")}
			}), []want{wAdaOutliers}},
			{"person filter", with(func(o *report.Options) { o.PersonIDs = []int64{grace} }), []want{wGrace}},
			{"team filter", with(func(o *report.Options) { o.Team = "backend" }), []want{wAda, wLinusBackend}},
			{"team filter by org", with(func(o *report.Options) { o.By = report.ByOrg; o.Team = "backend" }),
				[]want{{"org", 5, 4, 2, 200, 140, 25, 5, 30, 10, 170, 40, 44.99, 4, 1.25, 70, 12.5, 2.5, 15, 85, 16, 18.82}}},
			{"bots", with(func(o *report.Options) { o.IncludeBots = true; o.By = report.ByPerson }), []want{wAda, wLinus, wGrace, wBot}},
		} {
			t.Run(x.name, func(t *testing.T) {
				rep, err := report.Build(ctx, db, x.o)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Rows) != len(x.rows) {
					t.Fatalf("rows = %+v, want %d", rep.Rows, len(x.rows))
				}
				for i := range x.rows {
					check(t, rep.Rows[i], x.rows[i])
				}
			})
		}
	})
}

// TestIntervals buckets Ada's week by her own days: per-week figures use
// the bucket's days within the range.
func TestIntervals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		ada := personID(t, db, "ada@example.com")
		o := report.Options{Since: monday, Until: monday.AddDate(0, 0, 7), PersonIDs: []int64{ada}}
		for _, x := range []struct {
			iv      store.Interval
			buckets []string
			commits []int
			perWeek []float64
		}{
			// Monday: A1, A2 (1 day: 1 ÷ (1 ÷ 7) = 7); Wednesday: A3.
			{report.Day, []string{"2024-05-06", "2024-05-08"}, []int{2, 1}, []float64{7, 7}},
			{report.Week, []string{"2024-05-06"}, []int{3}, []float64{2}},
			// May, cut to the range's 7 days.
			{report.Month, []string{"2024-05-01"}, []int{3}, []float64{2}},
		} {
			o.Interval = x.iv
			rep, err := report.Build(context.Background(), db, o)
			if err != nil {
				t.Fatal(err)
			}
			var buckets []string
			var commits []int
			var perWeek []float64
			for _, r := range rep.Rows {
				buckets, commits, perWeek = append(buckets, r.Bucket), append(commits, r.Commits), append(perWeek, f(r.CodingDaysPerWeek))
			}
			if fmt.Sprint(buckets, commits, perWeek) != fmt.Sprint(x.buckets, x.commits, x.perWeek) {
				t.Errorf("%s: %v %v %v, want %v %v %v", x.iv, buckets, commits, perWeek, x.buckets, x.commits, x.perWeek)
			}
		}
	})
}

// TestBoundaryInsideLocalDay: since falls inside Grace's Sunday (−08:00);
// only the commit after it counts, on her Sunday.
func TestBoundaryInsideLocalDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed(t, db, []c{
			// 22:00 −08:00 = Monday 06:00 UTC: before since.
			{repo: "api", name: "Grace", email: "grace@example.com", at: time.Date(2024, 5, 5, 22, 0, 0, 0, minus8),
				haloc: 1, newWork: 1, files: 1, hunks: 1, add: 1},
			// 23:30 −08:00 = Monday 07:30 UTC: after since, on Sunday locally.
			{repo: "api", name: "Grace", email: "grace@example.com", at: time.Date(2024, 5, 5, 23, 30, 0, 0, minus8),
				haloc: 4, newWork: 4, files: 1, hunks: 1, add: 4},
		})
		// Monday 07:00 UTC = the next UTC midnight after Sunday's start
		// in −08:00 (08:00 UTC) − 1 h.
		since := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
		o := report.Options{Since: since, Until: since.AddDate(0, 0, 1)}
		rep, err := report.Build(context.Background(), db, o)
		if err != nil {
			t.Fatal(err)
		}
		// 1 day in range: 1 ÷ (1 ÷ 7) = 7; tt100 = 8 ÷ 0.04 = 200 h.
		if len(rep.Rows) != 1 {
			t.Fatalf("rows = %+v", rep.Rows)
		}
		check(t, rep.Rows[0], want{"grace@example.com", 1, 1, 1, 4, 4, 0, 0, 0, 1, 4, 0, 2,
			7, 1, 100, 0, 0, 0, 100, 200, 200})
		o.Interval = report.Day
		rep, err = report.Build(context.Background(), db, o)
		if err != nil {
			t.Fatal(err)
		}
		// Sunday's bucket lies before the range's first UTC day: it still has
		// its one day.
		if len(rep.Rows) != 1 || rep.Rows[0].Bucket != "2024-05-05" || f(rep.Rows[0].CodingDaysPerWeek) != 7 {
			t.Errorf("by day = %+v", rep.Rows)
		}
	})
}

// TestOpenRange: open ends default to the first included commit's UTC day
// and the day after the last one.
func TestOpenRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		rep, err := report.Build(context.Background(), db, report.Options{By: report.ByOrg})
		if err != nil {
			t.Fatal(err)
		}
		// First: A1 (08:00 UTC Monday); last: A6 (00:00 Monday 13th).
		if !rep.Since.Equal(monday) || !rep.Until.Equal(utc(14, 0)) {
			t.Errorf("range = %s – %s", rep.Since, rep.Until)
		}
		// 9 commits (A6 too), days 7 over 8 days: 7 ÷ (8 ÷ 7) = 6.13.
		if r := rep.Rows[0]; r.Commits != 9 || r.CodingDays != 7 || f(r.CodingDaysPerWeek) != 6.13 {
			t.Errorf("org = %+v", r)
		}
	})
}

func TestBadOptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, o := range []report.Options{
			{By: "nope"},
			{Interval: "year"},
			{Team: "nope"},
			{Repo: "nope"},
			{Since: monday, Until: monday},
		} {
			if _, err := report.Build(ctx, db, o); err == nil {
				t.Errorf("%+v: no error", o)
			}
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
		if got := store.IsBot(x.name, x.email, nil); got != x.want {
			t.Errorf("IsBot(%q, %q) = %v", x.name, x.email, got)
		}
	}
}
