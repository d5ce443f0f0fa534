package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// withWork sets a commit's line-provenance figures.
func withWork(c store.Commit, hunks, newWork, legacy, help, rework int) store.Commit {
	c.Hunks, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework = hunks, newWork, legacy, help, rework
	c.HALOC = newWork + legacy + help + rework
	c.Outlier = c.HALOC > 1000
	return c
}

func TestWorkFigures(t *testing.T) {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := repo(t, db, "a")
		batch := []store.Commit{
			withWork(commit("c1", base, 3), 2, 10, 0, 0, 0),
			withWork(commit("c2", base.Add(time.Hour), 2, sha("c1")), 4, 1, 2, 3, 4),
			withWork(commit("big", base.Add(2*time.Hour), 1, sha("c2")), 1, 1500, 0, 0, 1),
			commit("m", base.Add(3*time.Hour), 0, sha("c2"), sha("big")),
		}
		if err := db.SaveBatch(ctx, r.ID, batch, store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		rows := all(t, db, store.CommitFilter{Repo: "a"})
		if len(rows) != len(batch) {
			t.Fatalf("%d commits stored", len(rows))
		}
		for i, c := range batch {
			want := readBack(c)
			if !reflect.DeepEqual(rows[i].Commit, want) {
				t.Errorf("commit %d:\n got %+v\nwant %+v", i, rows[i].Commit, want)
			}
		}
		if !rows[2].Outlier || rows[1].Outlier {
			t.Errorf("outlier flags: %v %v", rows[1].Outlier, rows[2].Outlier)
		}

		// The exported shape carries them, in CommitColumns order.
		rec := rows[1].Record()
		if rec.Hunks != 4 || rec.HALOC != 10 || rec.NewWork != 1 || rec.LegacyRefactor != 2 || rec.HelpOthers != 3 || rec.Rework != 4 || rec.Outlier {
			t.Errorf("Record = %+v", rec)
		}
		csv := rec.CSV()
		if len(csv) != len(store.CommitColumns) {
			t.Fatalf("CSV has %d fields, CommitColumns %d", len(csv), len(store.CommitColumns))
		}
		got := map[string]string{}
		for i, col := range store.CommitColumns {
			got[col] = csv[i]
		}
		for col, want := range map[string]string{"files_changed": "2", "hunks": "4", "haloc": "10", "new_work": "1", "legacy_refactor": "2", "help_others": "3", "rework": "4", "outlier": "false",
			// √10 × (1 + ln 2 ÷ 2) × (1 + ln 4 ÷ 4) × (1 + 2 ÷ 10) = 6.8808…
			"impact": "6.88"} {
			if got[col] != want {
				t.Errorf("CSV %s = %q, want %q", col, got[col], want)
			}
		}
		if i := slices.Index(store.CommitColumns, "files_changed"); strings.Join(store.CommitColumns[i+1:], ",") != "hunks,haloc,new_work,legacy_refactor,help_others,rework,outlier,person,impact" {
			t.Errorf("CommitColumns = %v", store.CommitColumns)
		}

		// Re-saving updates the figures, and only them.
		filesBefore := snap(t, db, r).Files
		again := slices.Clone(batch)
		again[1] = withWork(again[1], 5, 2, 0, 0, 9)
		again[1].Subject = "rewritten"
		again[1].Additions = 99
		again[1].Files = again[1].Files[:1]
		again[2] = withWork(again[2], 1, 3, 0, 0, 0) // no longer an outlier
		if err := db.SaveBatch(ctx, r.ID, again[1:3], store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		after := snap(t, db, r)
		if !reflect.DeepEqual(after.Files, filesBefore) {
			t.Errorf("re-saving changed files:\n got %+v\nwant %+v", after.Files, filesBefore)
		}
		c2 := after.Commits[1]
		if c2.Subject != "change c2" || c2.Additions != batch[1].Additions {
			t.Errorf("re-saving changed other columns: %+v", c2.Commit)
		}
		if c2.Hunks != 5 || c2.HALOC != 11 || c2.NewWork != 2 || c2.LegacyRefactor != 0 || c2.HelpOthers != 0 || c2.Rework != 9 {
			t.Errorf("figures not updated: %+v", c2.Commit)
		}
		if big := after.Commits[2]; big.Outlier || big.HALOC != 3 {
			t.Errorf("outlier not updated: %+v", big.Commit)
		}
		if c1 := after.Commits[0]; c1.Hunks != 2 || c1.HALOC != 10 {
			t.Errorf("another commit changed: %+v", c1.Commit)
		}
		// The same figures again change nothing.
		if err := db.SaveBatch(ctx, r.ID, again[1:3], store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		if again := snap(t, db, r); !reflect.DeepEqual(again.Commits, after.Commits) {
			t.Errorf("re-saving the same figures changed the store")
		}

		// Many stored commits updated in one batch (more than one UPDATE).
		var many []store.Commit
		for i := range 450 {
			many = append(many, commit(fmt.Sprintf("n%d", i), base.Add(time.Duration(i)*time.Minute), 0))
		}
		if err := db.SaveBatch(ctx, r.ID, many, store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		for i := range many {
			many[i] = withWork(many[i], 1, i, 0, 0, 0)
		}
		if err := db.SaveBatch(ctx, r.ID, many, store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		stored, missing, err := db.CommitsBySHA(ctx, r.ID, shasOf(many))
		if err != nil || len(missing) != 0 || len(stored) != len(many) {
			t.Fatalf("CommitsBySHA: %d commits, missing %v, %v", len(stored), missing, err)
		}
		for i, c := range stored {
			if c.SHA != many[i].SHA || c.HALOC != i || c.Hunks != 1 {
				t.Fatalf("commit %d after the update: %+v", i, c)
			}
		}
	})
}

func shasOf(cs []store.Commit) []string {
	var s []string
	for _, c := range cs {
		s = append(s, c.SHA)
	}
	return s
}

func TestCommitsBySHA(t *testing.T) {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, other := repo(t, db, "a"), repo(t, db, "b")
		c1 := withWork(commit("c1", base, 3), 2, 10, 0, 0, 0)
		c1.Files[0].Excluded = true
		c2 := withWork(commit("c2", base.Add(time.Hour), 0, sha("c1")), 4, 1, 2, 3, 4)
		m := commit("m", base.Add(2*time.Hour), 2, sha("c1"), sha("c2"))
		if err := db.SaveBatch(ctx, r.ID, []store.Commit{m, c2, c1}, store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveBatch(ctx, other.ID, []store.Commit{commit("o", base, 1)}, store.Checkpoint{}); err != nil {
			t.Fatal(err)
		}

		shas, err := db.NonMergeCommitSHAs(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{sha("c1"), sha("c2")}
		slices.Sort(want)
		if !slices.Equal(shas, want) {
			t.Errorf("NonMergeCommitSHAs = %v, want %v", shas, want)
		}
		if shas, err := db.NonMergeCommitSHAs(ctx, r.ID+100); err != nil || len(shas) != 0 {
			t.Errorf("NonMergeCommitSHAs of a missing repository = %v, %v", shas, err)
		}

		got, missing, err := db.CommitsBySHA(ctx, r.ID, []string{sha("c2"), sha("nope"), sha("c1"), sha("c2"), sha("o"), sha("m")})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(missing, []string{sha("nope"), sha("o")}) {
			t.Errorf("missing = %v", missing)
		}
		if len(got) != 3 || got[0].SHA != sha("c2") || got[1].SHA != sha("c1") || got[2].SHA != sha("m") {
			t.Fatalf("CommitsBySHA order: %v", shasOf(got))
		}
		for i, w := range []store.Commit{c2, c1, m} {
			if w.Files == nil {
				w.Files = []store.FileChange{}
			}
			files := w.Files
			w = readBack(w)
			w.Files = files
			if !reflect.DeepEqual(got[i], w) {
				t.Errorf("commit %d:\n got %+v\nwant %+v", i, got[i], w)
			}
		}
		if !got[1].Files[0].Excluded || !got[1].Files[2].Binary {
			t.Errorf("files of c1: %+v", got[1].Files)
		}
		if got, missing, err := db.CommitsBySHA(ctx, r.ID, nil); err != nil || len(got) != 0 || len(missing) != 0 {
			t.Errorf("CommitsBySHA(nil) = %v, %v, %v", got, missing, err)
		}
	})
}

// TestMigrateV3 upgrades a database an older sluice (schema 2) filled:
// its commits read as zero figures and not outliers.
func TestMigrateV3(t *testing.T) {
	ctx := context.Background()
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			old, err := store.OpenAtVersion(ctx, dsn, 2)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := old.SchemaVersion(ctx); err != nil || v != 2 {
				t.Fatalf("SchemaVersion = %d, %v", v, err)
			}
			r := repo(t, old, "a")
			for _, q := range []string{
				`INSERT INTO identities (name, email) VALUES ('Ada', 'ada@example.com')`,
				`INSERT INTO commits (repository_id, sha, parents, author_identity_id, author_name, author_email, author_time, author_tz_offset,
					committer_identity_id, committer_name, committer_email, committer_time, committer_tz_offset,
					subject, is_merge, additions, deletions, files_changed)
				SELECT $1, 'aaaa', '', id, 'Ada', 'ada@example.com', 1700000000, 0, id, 'Ada', 'ada@example.com', 1700000000, 0, 'old', FALSE, 3, 1, 1
				FROM identities`,
			} {
				var args []any
				if strings.Contains(q, "$1") {
					args = append(args, r.ID)
				}
				if err := old.Exec(ctx, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()

			db := open(t, dsn)
			if v, err := db.SchemaVersion(ctx); err != nil || v != store.LatestSchemaVersion() || v < 3 {
				t.Fatalf("SchemaVersion = %d, %v", v, err)
			}
			rows := all(t, db, store.CommitFilter{})
			if len(rows) != 1 {
				t.Fatalf("%d commits", len(rows))
			}
			c := rows[0]
			if c.Subject != "old" || c.Additions != 3 || c.Hunks != 0 || c.HALOC != 0 || c.NewWork != 0 || c.LegacyRefactor != 0 || c.HelpOthers != 0 || c.Rework != 0 || c.Outlier {
				t.Errorf("migrated commit: %+v", c.Commit)
			}
			// And it can be re-saved with figures.
			in := withWork(store.Commit{SHA: "aaaa", AuthorName: "Ada", AuthorEmail: "ada@example.com", AuthorTime: c.AuthorTime,
				CommitterName: "Ada", CommitterEmail: "ada@example.com", CommitterTime: c.CommitterTime, Subject: "old"}, 1, 2, 0, 0, 1)
			if err := db.SaveBatch(ctx, r.ID, []store.Commit{in}, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			if c := all(t, db, store.CommitFilter{})[0]; c.HALOC != 3 || c.Rework != 1 || c.Additions != 3 {
				t.Errorf("re-saved: %+v", c.Commit)
			}
		})
	}
}
