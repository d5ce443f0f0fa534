// Package report turns the sums of store.Aggregate into the per-person,
// per-team, per-repository and org figures of metrics.md §5.
package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// By selects the grouping of a report.
type By string

// Groupings.
const (
	ByPerson By = "person"
	ByTeam   By = "team"
	ByRepo   By = "repo"
	ByOrg    By = "org"
)

// Intervals of a bucketed report (the author's own calendar days).
const (
	Day   = store.IntervalDay
	Week  = store.IntervalWeek
	Month = store.IntervalMonth
)

// Options select and group commits. Zero Since/Until leave the range open;
// other zero fields do not filter.
type Options struct {
	By    By
	Since time.Time
	Until time.Time
	// Repo is a repository name, Team a team name (its sub-teams
	// included); either must exist.
	Repo string
	Team string
	// PersonIDs are people's ids (see store.PersonIDByKey).
	PersonIDs []int64
	// Interval buckets each group's figures by day, week or month.
	Interval store.Interval
	// IncludeBots and IncludeOutliers count bots' and outlier commits.
	IncludeBots     bool
	IncludeOutliers bool
}

// Row is one group's (and bucket's) figures over the range. Ratios are
// rounded to two decimals and nil (null in JSON) when their denominator is
// zero.
type Row struct {
	// Key is the person's key (lowercased email, github:LOGIN, …), the
	// team's or repository's name, or "org".
	Key string `json:"key"`
	// Name is the person's name, the team's or repository's name, or "all
	// people".
	Name string `json:"name"`
	// Bucket is the first day of the row's day, week (Monday) or month,
	// with an interval.
	Bucket string `json:"bucket,omitempty"`
	// Commits counts included commits.
	Commits int `json:"commits"`
	// CodingDays sums, over the group's people, the distinct calendar days
	// (in the author's own UTC offset) with at least one included commit.
	CodingDays int `json:"coding_days"`
	// People counts the people with an included commit.
	People int `json:"people"`
	// CodingDaysPerWeek = CodingDays ÷ (days in range ÷ 7).
	CodingDaysPerWeek *float64 `json:"coding_days_per_week"`
	// CommitsPerCodingDay = Commits ÷ CodingDays.
	CommitsPerCodingDay *float64 `json:"commits_per_coding_day"`
	HALOC               int      `json:"haloc"`
	NewWork             int      `json:"new_work"`
	LegacyRefactor      int      `json:"legacy_refactor"`
	HelpOthers          int      `json:"help_others"`
	Rework              int      `json:"rework"`
	// Shares of HALOC, in percent.
	NewWorkPct        *float64 `json:"new_work_pct"`
	LegacyRefactorPct *float64 `json:"legacy_refactor_pct"`
	HelpOthersPct     *float64 `json:"help_others_pct"`
	ReworkPct         *float64 `json:"rework_pct"`
	// EfficiencyPct = (1 − Rework ÷ HALOC) × 100.
	EfficiencyPct *float64 `json:"efficiency_pct"`
	// Impact = Σ commit impact.
	Impact float64 `json:"impact"`
	// TT100Raw = CodingDays × 8 h ÷ (HALOC ÷ 100), in hours;
	// TT100Productive uses HALOC − Rework.
	TT100Raw        *float64 `json:"tt100_raw_hours"`
	TT100Productive *float64 `json:"tt100_productive_hours"`
	Hunks           int      `json:"hunks"`
	Additions       int      `json:"additions"`
	Deletions       int      `json:"deletions"`
	// First and Last are the earliest and latest included author times;
	// zero, and left out of JSON, in a row without commits (Build makes
	// none, but the web pages fill in rows of zeros).
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// Report is the result of Build.
type Report struct {
	// Rows is never nil, so that JSON shows an empty report as [].
	Rows []Row `json:"rows"`
	// Since and Until are the range the per-week figures use: the options'
	// bounds, or where open, the first included commit's day and the day
	// after the last one (00:00 UTC). Either is zero (and left out of JSON)
	// when its bound is open and no commit is included.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// Build computes the report. An unknown team or repository is an error
// wrapping store.ErrNotFound.
func Build(ctx context.Context, db *store.DB, o Options) (*Report, error) {
	if o.By == "" {
		o.By = ByPerson
	}
	switch o.By {
	case ByPerson, ByTeam, ByRepo, ByOrg:
	default:
		return nil, fmt.Errorf("cannot group by %q; use person, team, repo or org", o.By)
	}
	switch o.Interval {
	case "", Day, Week, Month:
	default:
		return nil, fmt.Errorf("interval %q: use day, week or month", o.Interval)
	}
	if !o.Since.IsZero() && !o.Until.IsZero() && !o.Until.After(o.Since) {
		return nil, fmt.Errorf("the range [%s, %s) is empty: until must come after since",
			o.Since.Format(time.RFC3339), o.Until.Format(time.RFC3339))
	}
	q := store.AggregateQuery{
		By: store.GroupBy(o.By), Since: o.Since, Until: o.Until, PersonIDs: o.PersonIDs,
		Interval: o.Interval, IncludeOutliers: o.IncludeOutliers, IncludeBots: o.IncludeBots,
	}
	if o.Repo != "" {
		r, err := db.RepositoryByName(ctx, o.Repo)
		if err != nil {
			return nil, err
		}
		q.RepoID = r.ID
	}
	if o.Team != "" {
		t, err := db.TeamByName(ctx, o.Team)
		if err != nil {
			return nil, err
		}
		q.TeamID = t.ID
	}
	sums, err := db.Aggregate(ctx, q)
	if err != nil {
		return nil, err
	}

	rep := &Report{Rows: make([]Row, 0, len(sums)), Since: o.Since, Until: o.Until}
	var first, last time.Time
	for _, s := range sums {
		if first.IsZero() || s.First.Before(first) {
			first = s.First
		}
		if s.Last.After(last) {
			last = s.Last
		}
	}
	if rep.Since.IsZero() && !first.IsZero() {
		y, m, d := first.UTC().Date()
		rep.Since = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if rep.Until.IsZero() && !last.IsZero() {
		y, m, d := last.UTC().Date()
		rep.Until = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	}
	rangeDays := rep.Until.Sub(rep.Since).Hours() / 24
	groupCommits := map[string]int{}
	for _, s := range sums {
		days := rangeDays
		r := figures(s)
		if o.Interval != "" {
			r.Bucket = store.DayTime(s.Bucket).Format(time.DateOnly)
			days = float64(bucketDays(s.Bucket, store.BucketEnd(o.Interval, s.Bucket), rep.Since, rep.Until))
		}
		r.CodingDaysPerWeek = ratio(float64(s.CodingDays), days/7)
		groupCommits[r.Key] += r.Commits
		rep.Rows = append(rep.Rows, r)
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if ga, gb := groupCommits[a.Key], groupCommits[b.Key]; ga != gb {
			return ga > gb
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Bucket < b.Bucket
	})
	return rep, nil
}

// figures computes a row's figures, except coding days per week, from its
// sums (metrics.md §5).
func figures(s store.AggregateRow) Row {
	r := Row{
		Key: s.Key, Name: s.Name, Commits: int(s.Commits), CodingDays: int(s.CodingDays), People: int(s.People),
		HALOC: int(s.HALOC), NewWork: int(s.NewWork), LegacyRefactor: int(s.LegacyRefactor),
		HelpOthers: int(s.HelpOthers), Rework: int(s.Rework), Impact: float64(s.Impact) / 100,
		Hunks: int(s.Hunks), Additions: int(s.Additions), Deletions: int(s.Deletions),
		First: s.First, Last: s.Last,
	}
	h := float64(s.HALOC)
	r.CommitsPerCodingDay = ratio(float64(s.Commits), float64(s.CodingDays))
	r.NewWorkPct = ratio(100*float64(s.NewWork), h)
	r.LegacyRefactorPct = ratio(100*float64(s.LegacyRefactor), h)
	r.HelpOthersPct = ratio(100*float64(s.HelpOthers), h)
	r.ReworkPct = ratio(100*float64(s.Rework), h)
	r.EfficiencyPct = ratio(100*(h-float64(s.Rework)), h)
	r.TT100Raw = ratio(float64(s.CodingDays)*8, h/100)
	r.TT100Productive = ratio(float64(s.CodingDays)*8, (h-float64(s.Rework))/100)
	return r
}

// bucketDays counts the days [start, end) (AuthorDay numbering) whose UTC
// day overlaps [since, until): the "days in range" of a bucket. It is at
// least 1: a bucket with a commit has that commit's day, even when the day
// (in the author's offset) lies just outside the range's UTC days.
func bucketDays(start, end int, since, until time.Time) int {
	lo := int(math.Floor(float64(since.Unix()) / 86400))
	hi := int(math.Ceil(float64(until.Unix()) / 86400))
	return max(1, min(end, hi)-max(start, lo))
}

// ratio returns num ÷ den rounded to two decimals, or nil when den is not
// positive.
func ratio(num, den float64) *float64 {
	if den <= 0 {
		return nil
	}
	v := math.Round(num/den*100) / 100
	return &v
}
