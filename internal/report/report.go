// Package report aggregates stored commits into per-person and per-repository
// figures (metrics.md §5).
package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// By selects the grouping of a report.
type By string

// Groupings.
const (
	ByPerson By = "person"
	ByRepo   By = "repo"
)

// Options select and group commits. Zero Since/Until leave the range open.
type Options struct {
	By    By
	Since time.Time
	Until time.Time
	Repo  string
	// BotPatterns are extra globs (path.Match syntax, matched against the
	// lowercased name and email) for bots.
	BotPatterns []string
	// IncludeBots counts bot commits in the figures.
	IncludeBots bool
}

// Row is one person's or repository's figures over the range.
type Row struct {
	// Key is the lowercased email (person) or the repository name.
	Key string `json:"key"`
	// Name is the person's most recent name, or the repository name.
	Name string `json:"name"`
	// Commits counts included commits (non-merge, non-bot).
	Commits int `json:"commits"`
	// MergeCommits counts merge commits (not included in other figures).
	MergeCommits int `json:"merge_commits"`
	// CodingDays: distinct calendar days, in the author's own UTC offset,
	// with at least one included commit.
	CodingDays int `json:"coding_days"`
	// CodingDaysPerWeek = CodingDays ÷ (days in range ÷ 7).
	CodingDaysPerWeek float64 `json:"coding_days_per_week"`
	// CommitsPerCodingDay = Commits ÷ CodingDays.
	CommitsPerCodingDay float64 `json:"commits_per_coding_day"`
	Additions           int     `json:"additions"`
	Deletions           int     `json:"deletions"`
	// People (ByRepo) counts distinct included authors; Repos (ByPerson)
	// counts the repositories a person committed to.
	People int       `json:"people,omitempty"`
	Repos  int       `json:"repos,omitempty"`
	First  time.Time `json:"first"` // earliest included author time
	Last   time.Time `json:"last"`  // latest included author time
}

// Report is the result of Build.
type Report struct {
	// Rows is never nil, so that JSON shows an empty report as [].
	Rows []Row `json:"rows"`
	// Since and Until are the range the per-week figures use: the options'
	// bounds, or where open, the first included commit's day and the day
	// after the last one. Either is zero (and left out of JSON) when its
	// bound is open and no commit is included.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// IsBot reports whether an author is a bot (metrics.md §1); see
// store.IsBot.
func IsBot(name, email string, patterns []string) bool { return store.IsBot(name, email, patterns) }

type acc struct {
	row    Row
	days   map[string]bool
	others map[string]bool // repos of a person, people of a repo
	named  time.Time       // author time the Name was taken from
}

// Build computes the report.
func Build(ctx context.Context, db *store.DB, o Options) (*Report, error) {
	if o.By == "" {
		o.By = ByPerson
	}
	if o.By != ByPerson && o.By != ByRepo {
		return nil, fmt.Errorf("cannot group by %q; use person or repo", o.By)
	}
	groups := map[string]*acc{}
	var first, last time.Time
	err := db.ForEachCommit(ctx, store.CommitFilter{Repo: o.Repo, Since: o.Since, Until: o.Until}, func(c store.CommitRow) error {
		if !o.IncludeBots && IsBot(c.AuthorName, c.AuthorEmail, o.BotPatterns) {
			return nil
		}
		email := strings.ToLower(c.AuthorEmail)
		key, name, other := email, c.AuthorName, c.Repo
		if o.By == ByRepo {
			key, name, other = c.Repo, c.Repo, email
		}
		g := groups[key]
		if g == nil {
			g = &acc{row: Row{Key: key, Name: name}, days: map[string]bool{}, others: map[string]bool{}}
			groups[key] = g
		}
		if c.IsMerge {
			g.row.MergeCommits++
			return nil
		}
		if o.By == ByPerson && !c.AuthorTime.Before(g.named) {
			g.row.Name, g.named = name, c.AuthorTime
		}
		g.row.Commits++
		g.row.Additions += c.Additions
		g.row.Deletions += c.Deletions
		// The calendar day in the author's own offset, kept in AuthorTime.
		g.days[c.AuthorTime.Format("2006-01-02")] = true
		g.others[other] = true
		if g.row.First.IsZero() || c.AuthorTime.Before(g.row.First) {
			g.row.First = c.AuthorTime
		}
		if c.AuthorTime.After(g.row.Last) {
			g.row.Last = c.AuthorTime
		}
		if first.IsZero() || c.AuthorTime.Before(first) {
			first = c.AuthorTime
		}
		if c.AuthorTime.After(last) {
			last = c.AuthorTime
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &Report{Rows: make([]Row, 0, len(groups)), Since: o.Since, Until: o.Until}
	if rep.Since.IsZero() && !first.IsZero() {
		y, m, d := first.UTC().Date()
		rep.Since = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if rep.Until.IsZero() && !last.IsZero() {
		y, m, d := last.UTC().Date()
		rep.Until = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	}
	weeks := rep.Until.Sub(rep.Since).Hours() / 24 / 7
	for _, g := range groups {
		r := g.row
		r.CodingDays = len(g.days)
		if weeks > 0 {
			r.CodingDaysPerWeek = round2(float64(r.CodingDays) / weeks)
		}
		if r.CodingDays > 0 {
			r.CommitsPerCodingDay = round2(float64(r.Commits) / float64(r.CodingDays))
		}
		if o.By == ByPerson {
			r.Repos = len(g.others)
		} else {
			r.People = len(g.others)
		}
		rep.Rows = append(rep.Rows, r)
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		a, b := rep.Rows[i], rep.Rows[j]
		if a.Commits != b.Commits {
			return a.Commits > b.Commits
		}
		return a.Key < b.Key
	})
	return rep, nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
