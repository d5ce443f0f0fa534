package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// GroupBy selects the groups of an aggregate (metrics.md §5).
type GroupBy string

// Groupings.
const (
	GroupPerson GroupBy = "person"
	GroupTeam   GroupBy = "team"
	GroupRepo   GroupBy = "repo"
	GroupOrg    GroupBy = "org"
)

// Interval buckets an aggregate by the author's own calendar day
// (commits.author_day).
type Interval string

// Intervals. IntervalNone gives one bucket per group.
const (
	IntervalNone  Interval = ""
	IntervalDay   Interval = "day"
	IntervalWeek  Interval = "week"  // ISO weeks, starting on Monday
	IntervalMonth Interval = "month" // calendar months of the local date
)

// AggregateQuery selects and groups included commits (metrics.md §2): non-merge
// commits whose author's person is neither a bot (unless IncludeBots), nor
// excluded or hidden, and that are not outliers (unless IncludeOutliers).
// Zero fields do not filter.
type AggregateQuery struct {
	By GroupBy
	// Since and Until bound the commits' author time (instants): [Since,
	// Until).
	Since, Until time.Time
	// TeamID keeps the commits of the team's members (sub-teams included)
	// made on days within their membership. With By GroupTeam it selects
	// the team and its sub-teams as the groups.
	TeamID int64
	// PersonIDs keeps these people's commits.
	PersonIDs []int64
	// RepoID keeps one repository's commits.
	RepoID   int64
	Interval Interval
	// IncludeOutliers and IncludeBots widen the included commits.
	IncludeOutliers, IncludeBots bool
}

// Totals are the sums a group's figures are computed from. Every one is a
// sum over the group's people of that person's figure: CodingDays is the
// number of distinct (person, author day) pairs, so a team's coding days
// are the sum of its members' coding days.
type Totals struct {
	Commits        int64
	CodingDays     int64
	People         int64 // distinct people with an included commit
	HALOC          int64
	NewWork        int64
	LegacyRefactor int64
	HelpOthers     int64
	Rework         int64
	Hunks          int64
	Additions      int64
	Deletions      int64
	Impact         int64 // hundredths (commits.impact)
	// First and Last are the author times (UTC) of the earliest and latest
	// included commit.
	First, Last time.Time
}

// AggregateRow is one group's (and bucket's) totals.
type AggregateRow struct {
	// ID is the person's, team's or repository's id; 0 for the org.
	ID int64
	// Key is the person's key, the team's or repository's name, or "org".
	Key string
	// Name is the person's name, the team's or repository's name, or "all
	// people".
	Name string
	// Bucket is the first day of the bucket (AuthorDay's numbering); 0
	// without an interval.
	Bucket int
	Totals
}

// BucketEnd returns the first day after the bucket that starts on day
// start.
func BucketEnd(iv Interval, start int) int {
	switch iv {
	case IntervalDay:
		return start + 1
	case IntervalWeek:
		return start + 7
	case IntervalMonth:
		t := DayTime(start)
		return AuthorDay(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	}
	return start
}

// bucketExpr is the SQL for the first day of day's bucket.
func (db *DB) bucketExpr(iv Interval, day string) (string, error) {
	switch iv {
	case IntervalNone:
		return "0", nil
	case IntervalDay:
		return day, nil
	case IntervalWeek:
		// Day 0 (1970-01-01) was a Thursday; Monday is 3 days before.
		return fmt.Sprintf("(%[1]s - ((%[1]s + 3) %% 7 + 7) %% 7)", day), nil
	case IntervalMonth:
		if db.engine == Postgres {
			return fmt.Sprintf("(%[1]s - (CAST(EXTRACT(DAY FROM DATE '1970-01-01' + CAST(%[1]s AS INTEGER)) AS INTEGER) - 1))", day), nil
		}
		return fmt.Sprintf("(%[1]s - (CAST(strftime('%%d', %[1]s * 86400, 'unixepoch') AS INTEGER) - 1))", day), nil
	}
	return "", fmt.Errorf("interval %q: use day, week or month", iv)
}

// Aggregate sums the included commits per group (and bucket) in SQL,
// ordered by group key and bucket. Groups without an included commit are
// left out.
func (db *DB) Aggregate(ctx context.Context, q AggregateQuery) ([]AggregateRow, error) {
	bucket, err := db.bucketExpr(q.Interval, "c.author_day")
	if err != nil {
		return nil, err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var with []string
	// tree(root, id): every team (or with TeamID, the team and its
	// sub-teams) as root, with itself and all its sub-teams as id. UNION
	// (not ALL) stops at a cycle of parents.
	treeCTE := func(rootCond string) string {
		return `tree(root, id) AS (SELECT id, id FROM teams` + rootCond + `
			UNION SELECT tree.root, t.id FROM teams t JOIN tree ON t.parent_id = tree.id)`
	}
	memCTE := `mem(root, person_id, since_day, until_day) AS (
			SELECT tree.root, m.person_id, m.since_day, m.until_day FROM team_members m JOIN tree ON tree.id = m.team_id)`
	inPeriod := func(root string) string {
		return `EXISTS (SELECT 1 FROM mem m WHERE m.root = ` + root + ` AND m.person_id = i.person_id
			AND (m.since_day IS NULL OR c.author_day >= m.since_day) AND (m.until_day IS NULL OR c.author_day < m.until_day))`
	}

	where := []string{"NOT c.is_merge", "NOT p.excluded", "NOT p.hidden"}
	if !q.IncludeBots {
		where = append(where, "NOT p.bot")
	}
	if !q.IncludeOutliers {
		where = append(where, "NOT c.outlier")
	}
	if !q.Since.IsZero() {
		where = append(where, "c.author_time >= "+arg(ceilUnix(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, "c.author_time < "+arg(ceilUnix(q.Until)))
	}
	if q.RepoID != 0 {
		where = append(where, "c.repository_id = "+arg(q.RepoID))
	}
	if len(q.PersonIDs) > 0 {
		ph := make([]string, len(q.PersonIDs))
		for i, id := range q.PersonIDs {
			ph[i] = arg(id)
		}
		where = append(where, "i.person_id IN ("+strings.Join(ph, ", ")+")")
	}

	from := `commits c JOIN identities i ON i.id = c.author_identity_id JOIN people p ON p.id = i.person_id`
	var group, names string
	switch q.By {
	case GroupPerson, "":
		group = "i.person_id"
		names = `SELECT a.*, p.key AS gkey, p.name AS gname FROM agg a JOIN people p ON p.id = a.g`
	case GroupRepo:
		group = "c.repository_id"
		names = `SELECT a.*, r.name AS gkey, r.name AS gname FROM agg a JOIN repositories r ON r.id = a.g`
	case GroupOrg:
		group = "0"
		names = `SELECT a.*, 'org' AS gkey, 'all people' AS gname FROM agg a`
	case GroupTeam:
		group = "ts.root"
		names = `SELECT a.*, t.name AS gkey, t.name AS gname FROM agg a JOIN teams t ON t.id = a.g`
	default:
		return nil, fmt.Errorf("cannot group by %q; use person, team, repo or org", q.By)
	}

	switch {
	case q.By == GroupTeam:
		rootCond := ""
		if q.TeamID != 0 {
			// The team and its sub-teams are the groups; a commit counted in
			// a sub-team is within a membership of the team too.
			with = append(with, `sub(id) AS (SELECT id FROM teams WHERE id = `+arg(q.TeamID)+`
				UNION SELECT t.id FROM teams t JOIN sub ON t.parent_id = sub.id)`)
			rootCond = " WHERE id IN (SELECT id FROM sub)"
		}
		with = append(with, treeCTE(rootCond), memCTE)
		from += ` JOIN (SELECT DISTINCT root, person_id FROM mem) ts ON ts.person_id = i.person_id`
		where = append(where, inPeriod("ts.root"))
	case q.TeamID != 0:
		with = append(with, treeCTE(" WHERE id = "+arg(q.TeamID)), memCTE)
		where = append(where, inPeriod(arg(q.TeamID)))
	}

	// One pass, no per-(person, day) subtotals: coding days are the
	// distinct (person, day) pairs, counted as one number (author_day is
	// far within ±2^21).
	var groupBy []string
	if q.By != GroupOrg {
		groupBy = append(groupBy, group)
	}
	if q.Interval != IntervalNone {
		groupBy = append(groupBy, bucket)
	}
	agg := `SELECT ` + group + ` AS g, ` + bucket + ` AS bucket,
			COUNT(*) AS n, COUNT(DISTINCT i.person_id * 4194304 + c.author_day) AS days,
			COUNT(DISTINCT i.person_id) AS people,
			CAST(COALESCE(SUM(c.haloc), 0) AS BIGINT) AS haloc, CAST(COALESCE(SUM(c.new_work), 0) AS BIGINT) AS new_work,
			CAST(COALESCE(SUM(c.legacy_refactor), 0) AS BIGINT) AS legacy, CAST(COALESCE(SUM(c.help_others), 0) AS BIGINT) AS help,
			CAST(COALESCE(SUM(c.rework), 0) AS BIGINT) AS rework, CAST(COALESCE(SUM(c.hunks), 0) AS BIGINT) AS hunks,
			CAST(COALESCE(SUM(c.additions), 0) AS BIGINT) AS additions, CAST(COALESCE(SUM(c.deletions), 0) AS BIGINT) AS deletions,
			CAST(COALESCE(SUM(c.impact), 0) AS BIGINT) AS impact,
			COALESCE(MIN(c.author_time), 0) AS first, COALESCE(MAX(c.author_time), 0) AS last
		FROM ` + from + `
		WHERE ` + strings.Join(where, " AND ")
	if len(groupBy) > 0 {
		agg += " GROUP BY " + strings.Join(groupBy, ", ")
	}
	with = append(with, "agg AS ("+agg+")")

	sqlText := `WITH RECURSIVE ` + strings.Join(with, ",\n") + `
		SELECT x.g, x.gkey, x.gname, x.bucket, x.n, x.days, x.people, x.haloc, x.new_work, x.legacy, x.help,
			x.rework, x.hunks, x.additions, x.deletions, x.impact, x.first, x.last
		FROM (` + names + `) x WHERE x.n > 0 ORDER BY x.gkey, x.bucket`
	rows, err := db.r.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("aggregate commits: %w", err)
	}
	defer rows.Close()
	var out []AggregateRow
	for rows.Next() {
		var (
			r           AggregateRow
			first, last int64
		)
		if err := rows.Scan(&r.ID, &r.Key, &r.Name, &r.Bucket, &r.Commits, &r.CodingDays, &r.People,
			&r.HALOC, &r.NewWork, &r.LegacyRefactor, &r.HelpOthers, &r.Rework, &r.Hunks,
			&r.Additions, &r.Deletions, &r.Impact, &first, &last); err != nil {
			return nil, fmt.Errorf("aggregate commits: %w", err)
		}
		r.First, r.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("aggregate commits: %w", err)
	}
	return out, nil
}
