package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
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
//
// Team memberships are resolved first, in Go: each team's members,
// sub-teams included, with their periods merged per person (see aggregate
// for how they are counted).
//
// With EnableCache, answers come from the cache while the data generation
// stays the same.
func (db *DB) Aggregate(ctx context.Context, q AggregateQuery) ([]AggregateRow, error) {
	if q.By == "" {
		q.By = GroupPerson // before the cache key, so both spellings share one answer
	}
	rows, err := cached(ctx, db, q.key(), func(ctx context.Context) ([]AggregateRow, int64, error) {
		rows, err := db.aggregate(ctx, q)
		return rows, aggregateSize(rows), err
	})
	return slices.Clone(rows), err
}

// aggregate answers q, as one SQL GROUP BY, except the figures of the org
// and of every team without buckets (the overview's headline, the teams
// list). Those are
// sums over people (metrics.md §5: a team's figures sum its members';
// coding days are distinct (person, day) pairs, so they add up over people
// too): a member for the whole of time adds their row of the same query
// grouped by person, which the cache shares with the people list; only
// members for a period are joined to the commits in SQL, by their days.
// A nested team counts each commit once per ancestor, which in SQL cost
// twice as much as summing person rows. (With a filter to one team, or
// weekly buckets, the SQL join measured as fast or faster: it reads only
// the members' commits.)
func (db *DB) aggregate(ctx context.Context, q AggregateQuery) ([]AggregateRow, error) {
	switch q.By {
	case GroupPerson, GroupRepo, GroupOrg, GroupTeam:
	default:
		return nil, fmt.Errorf("cannot group by %q; use person, team, repo or org", q.By)
	}
	if _, err := db.bucketExpr(q.Interval, "0"); err != nil {
		return nil, err
	}
	if q.By == GroupOrg && q.Interval == IntervalNone {
		// The sum of the rows by person, which the cache shares with the
		// people list (and the teams list); as fast as its own GROUP BY.
		base := q
		base.By = GroupPerson
		rows, err := db.Aggregate(ctx, base)
		if err != nil || len(rows) == 0 {
			return nil, err
		}
		org := AggregateRow{Key: "org", Name: "all people", Totals: rows[0].Totals}
		for _, r := range rows[1:] {
			org.Totals = org.Totals.plus(r.Totals)
		}
		return []AggregateRow{org}, nil
	}
	if q.By != GroupTeam && q.TeamID == 0 {
		return db.aggregateSQL(ctx, q, nil)
	}
	spans, err := db.teamSpans(ctx, q.By == GroupTeam, q.TeamID)
	if err != nil || len(spans) == 0 {
		return nil, err // no members: no included commit
	}
	if q.By != GroupTeam || q.Interval != IntervalNone {
		return db.aggregateSQL(ctx, q, spans)
	}
	var partial []span
	always := map[int64][]span{} // person → their memberships for all time
	for _, sp := range spans {
		if sp.lo == dayMin && sp.hi == dayMax {
			always[sp.person] = append(always[sp.person], sp)
		} else {
			partial = append(partial, sp)
		}
	}
	type groupKey struct {
		id     int64
		bucket int
	}
	sums := map[groupKey]*AggregateRow{}
	add := func(r AggregateRow) {
		k := groupKey{r.ID, r.Bucket}
		a := sums[k]
		if a == nil {
			sums[k] = &r
			return
		}
		a.Totals = a.Totals.plus(r.Totals)
	}
	if len(always) > 0 {
		base := q
		base.TeamID, base.By = 0, GroupPerson
		rows, err := db.Aggregate(ctx, base)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			for _, sp := range always[r.ID] {
				r.ID, r.Key, r.Name = sp.root, sp.rootName, sp.rootName
				add(r)
			}
		}
	}
	if len(partial) > 0 {
		rows, err := db.aggregateSQL(ctx, q, partial)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			add(r)
		}
	}
	out := make([]AggregateRow, 0, len(sums))
	for _, r := range sums {
		if r.Commits > 0 {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b AggregateRow) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), cmp.Compare(a.Bucket, b.Bucket))
	})
	return out, nil
}

// plus returns the sums of two disjoint sets of commits (by different
// people, so their coding days and people add up).
func (t Totals) plus(o Totals) Totals {
	t.Commits += o.Commits
	t.CodingDays += o.CodingDays
	t.People += o.People
	t.HALOC += o.HALOC
	t.NewWork += o.NewWork
	t.LegacyRefactor += o.LegacyRefactor
	t.HelpOthers += o.HelpOthers
	t.Rework += o.Rework
	t.Hunks += o.Hunks
	t.Additions += o.Additions
	t.Deletions += o.Deletions
	t.Impact += o.Impact
	if o.First.Before(t.First) {
		t.First = o.First
	}
	if o.Last.After(t.Last) {
		t.Last = o.Last
	}
	return t
}

// aggregateSQL runs q as one SQL GROUP BY. With a team (q.By GroupTeam or
// q.TeamID), spans are the memberships to count, joined to the commits as
// a VALUES list (so a commit counts once per team however many
// memberships cover it).
func (db *DB) aggregateSQL(ctx context.Context, q AggregateQuery, spans []span) ([]AggregateRow, error) {
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
		// "+ 0" keeps SQLite on the covering commits_aggregate: for the
		// GROUP BY's order it would read the commits through
		// commits_repository_author_time, a table lookup per commit
		// (1.5 times slower).
		group = "c.repository_id + 0"
		names = `SELECT a.*, r.name AS gkey, r.name AS gname FROM agg a JOIN repositories r ON r.id = a.g`
	case GroupOrg:
		group = "0"
		names = `SELECT a.*, 'org' AS gkey, 'all people' AS gname FROM agg a`
	case GroupTeam:
		group = "m.root"
		names = `SELECT a.*, t.name AS gkey, t.name AS gname FROM agg a JOIN teams t ON t.id = a.g`
	default:
		return nil, fmt.Errorf("cannot group by %q; use person, team, repo or org", q.By)
	}

	if q.By == GroupTeam || q.TeamID != 0 {
		if len(spans) == 0 {
			return nil, nil // no members: no included commit
		}
		var vals strings.Builder
		for k, sp := range spans {
			if k > 0 {
				vals.WriteString(", ")
			}
			// Integers the store made, written inline: a large org's
			// memberships would pass the engines' parameter limits.
			fmt.Fprintf(&vals, "(%d, %d, %d, %d)", sp.root, sp.person, sp.lo, sp.hi)
		}
		with = append(with, "m(root, person_id, lo, hi) AS (VALUES "+vals.String()+")")
		// From the memberships to their identities and to their commits
		// in the period, through commits_aggregate (identity, day). SQLite
		// would otherwise scan the list once per commit, which with a
		// repository filter measured 12 times slower; CROSS JOIN fixes its
		// join order (PostgreSQL plans it well as it is).
		join := "JOIN"
		if db.engine == SQLite {
			join = "CROSS JOIN"
		}
		from = `m ` + join + ` identities i ON i.person_id = m.person_id
			` + join + ` commits c ON c.author_identity_id = i.id AND c.author_day >= m.lo AND c.author_day < m.hi
			JOIN people p ON p.id = i.person_id`
	}

	// One pass: coding days are the distinct (person, day) pairs, counted
	// as one number (author_day is far within ±2^21). (A first GROUP BY
	// per person and day measured 2-4 times slower on SQLite.)
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

	sqlText := `WITH ` + strings.Join(with, ",\n") + `
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

// span is a person's merged membership of a team (root, named rootName),
// sub-teams included: author days [lo, hi).
type span struct {
	root, person int64
	lo, hi       int64
	rootName     string
}

// Open ends of a membership, as days.
const (
	dayMin = -1 << 40
	dayMax = 1 << 40
)

// teamSpans returns the merged memberships of the teams reports group or
// filter by: with all, every team (or, with team, the team and its
// sub-teams) as a root of its own; else the one team. Each root counts
// the members of its sub-teams, and one person's overlapping or adjacent
// periods become one.
func (db *DB) teamSpans(ctx context.Context, all bool, team int64) ([]span, error) {
	teams, err := db.Teams(ctx)
	if err != nil {
		return nil, err
	}
	children := map[int64][]int64{}
	byID := map[int64]*Team{}
	for i := range teams {
		t := &teams[i]
		byID[t.ID] = t
		children[t.ParentID] = append(children[t.ParentID], t.ID)
	}
	if team != 0 && byID[team] == nil {
		return nil, fmt.Errorf("team %d: %w", team, ErrNotFound)
	}
	// subtree lists a team and its sub-teams (a cycle of parents, which the
	// store refuses, would stop at a team seen already).
	subtree := func(root int64) []int64 {
		seen := map[int64]bool{}
		var out []int64
		var walk func(int64)
		walk = func(id int64) {
			if seen[id] {
				return
			}
			seen[id] = true
			out = append(out, id)
			for _, c := range children[id] {
				walk(c)
			}
		}
		walk(root)
		return out
	}
	var roots []int64
	switch {
	case all && team != 0:
		roots = subtree(team)
	case all:
		for _, t := range teams {
			roots = append(roots, t.ID)
		}
	default:
		roots = []int64{team}
	}
	var spans []span
	for _, root := range roots {
		per := map[int64][][2]int64{}
		for _, id := range subtree(root) {
			for _, m := range byID[id].Members {
				lo, hi := int64(dayMin), int64(dayMax)
				if m.Since != nil {
					lo = int64(*m.Since)
				}
				if m.Until != nil {
					hi = int64(*m.Until)
				}
				per[m.PersonID] = append(per[m.PersonID], [2]int64{lo, hi})
			}
		}
		for _, person := range slices.Sorted(maps.Keys(per)) {
			ps := per[person]
			slices.SortFunc(ps, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
			cur := ps[0]
			for _, p := range ps[1:] {
				if p[0] <= cur[1] {
					cur[1] = max(cur[1], p[1])
					continue
				}
				spans = append(spans, span{root, person, cur[0], cur[1], byID[root].Name})
				cur = p
			}
			spans = append(spans, span{root, person, cur[0], cur[1], byID[root].Name})
		}
	}
	return spans, nil
}
