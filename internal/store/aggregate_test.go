package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// TestAggregateBuckets: buckets follow the author's own date — ISO weeks
// from Monday across a year's end, months from the local date — in SQL on
// every engine, and agree with BucketEnd.
func TestAggregateBuckets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := repo(t, db, "r")
		var cs []store.Commit
		for i, at := range []time.Time{
			time.Date(2023, 12, 31, 23, 30, 0, 0, pst), // Sunday locally (Monday 07:30 UTC)
			time.Date(2024, 1, 1, 0, 30, 0, 0, ist),    // Monday locally (Sunday 19:00 UTC)
			time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC),
			time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), // day −1, a Wednesday
		} {
			c := commit(fmt.Sprint("b", i), at, 1)
			c.HALOC, c.NewWork = 10, 10
			cs = append(cs, c)
		}
		if err := db.SaveBatch(ctx, r.ID, cs, store.Checkpoint{RepositoryID: r.ID}); err != nil {
			t.Fatal(err)
		}
		for _, x := range []struct {
			iv   store.Interval
			want string
		}{
			{store.IntervalDay, "1969-12-31:1 2023-12-31:1 2024-01-01:1 2024-02-29:1"},
			{store.IntervalWeek, "1969-12-29:1 2023-12-25:1 2024-01-01:1 2024-02-26:1"},
			{store.IntervalMonth, "1969-12-01:1 2023-12-01:1 2024-01-01:1 2024-02-01:1"},
			{store.IntervalNone, "1970-01-01:4"},
		} {
			rows, err := db.Aggregate(ctx, store.AggregateQuery{By: store.GroupOrg, Interval: x.iv})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for i, row := range rows {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("%s:%d", store.DayTime(row.Bucket).Format(time.DateOnly), row.Commits)
				if end := store.BucketEnd(x.iv, row.Bucket); x.iv != store.IntervalNone && end <= row.Bucket {
					t.Errorf("%s: BucketEnd(%d) = %d", x.iv, row.Bucket, end)
				}
				if row.Key != "org" || row.CodingDays != row.Commits || row.HALOC != 10*row.Commits {
					t.Errorf("%s: row %+v", x.iv, row)
				}
			}
			if got != x.want {
				t.Errorf("%s: %s, want %s", x.iv, got, x.want)
			}
		}
		if e := store.BucketEnd(store.IntervalMonth, store.AuthorDay(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))); store.DayTime(e).Format(time.DateOnly) != "2024-03-01" {
			t.Errorf("end of February 2024 = %s", store.DayTime(e))
		}
		if _, err := db.Aggregate(ctx, store.AggregateQuery{By: "nope"}); err == nil {
			t.Error("unknown grouping accepted")
		}
		if _, err := db.Aggregate(ctx, store.AggregateQuery{Interval: "year"}); err == nil {
			t.Error("unknown interval accepted")
		}
	})
}
