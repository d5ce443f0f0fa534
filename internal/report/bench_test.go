package report_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// BenchmarkReportByPerson is `sluice report --by person` (open range) on a
// store of 100 000 commits by 500 authors in 50 repositories, on each
// engine (PostgreSQL when SLUICE_TEST_POSTGRES_URL is set). Target: ≤ 200 ms
// per report (docs/performance.md).
//
//	go test ./internal/report -run '^$' -bench ReportByPerson -benchtime 20x
func BenchmarkReportByPerson(b *testing.B) {
	const commits, authors, repos = 100_000, 500, 50
	for engine, dsn := range storetest.DSNs(b) {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			generate(b, db, commits, authors, repos)
			for _, by := range []report.By{report.ByPerson} {
				b.ResetTimer()
				for b.Loop() {
					rep, err := report.Build(ctx, db, report.Options{By: by})
					if err != nil {
						b.Fatal(err)
					}
					if len(rep.Rows) < authors-5 {
						b.Fatalf("%d rows", len(rep.Rows))
					}
				}
			}
		})
	}
}

// generate stores n synthetic commits (about one in twelve a merge, one in
// fifty an outlier, 2% by bots) by authors people over a year, spread over
// repos repositories.
func generate(b testing.TB, db *store.DB, n, people, repos int) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	offsets := []int{-8 * 3600, -5 * 3600, 0, 3600, 2 * 3600, 5*3600 + 1800, 9 * 3600}
	const batch = 2000
	per := n / repos
	for r := range repos {
		repo, err := db.UpsertRepository(ctx, store.Repository{Name: fmt.Sprintf("repo%02d", r), LocalPath: fmt.Sprintf("/src/%d", r), Excludes: true})
		if err != nil {
			b.Fatal(err)
		}
		var cs []store.Commit
		for i := range per {
			p := rng.IntN(people)
			name, email := fmt.Sprintf("Author %d", p), fmt.Sprintf("author%d@example.com", p)
			if rng.IntN(50) == 0 {
				name, email = "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"
			}
			at := start.Add(time.Duration(rng.Int64N(365*86400)) * time.Second).In(time.FixedZone("", offsets[p%len(offsets)]))
			h := rng.IntN(200)
			c := store.Commit{
				SHA: fmt.Sprintf("%08x%032x", r, i), AuthorName: name, AuthorEmail: email, AuthorTime: at,
				CommitterName: name, CommitterEmail: email, CommitterTime: at, Subject: "change",
				Additions: h, Deletions: h / 2, FilesChanged: 1 + rng.IntN(6), Hunks: 1 + rng.IntN(10),
				HALOC: h, NewWork: h / 2, LegacyRefactor: h / 8, HelpOthers: h / 8, Rework: h - h/2 - h/8 - h/8,
				Outlier: rng.IntN(50) == 0,
			}
			if i%12 == 11 {
				c = store.Commit{SHA: c.SHA, AuthorName: name, AuthorEmail: email, AuthorTime: at,
					CommitterName: name, CommitterEmail: email, CommitterTime: at, Subject: "merge", IsMerge: true,
					Parents: []string{fmt.Sprintf("%040x", i), fmt.Sprintf("%040x", i+1)}}
			}
			cs = append(cs, c)
			if len(cs) == batch || i == per-1 {
				if err := db.SaveBatch(ctx, repo.ID, cs, store.Checkpoint{RepositoryID: repo.ID}); err != nil {
					b.Fatal(err)
				}
				cs = cs[:0]
			}
		}
	}
}
