// Package report aggregates stored commits into per-person and per-repository
// figures (metrics.md §5).
package report

import (
	"context"
	"errors"
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
	// BotPatterns are extra globs (matched against name and email) for bots.
	BotPatterns []string
	// IncludeBots counts bot commits in the figures.
	IncludeBots bool
}

// Row is one person's or repository's figures over the range.
type Row struct {
	// Key is the lowercased email (person) or the repository name.
	Key string
	// Name is the person's most recent name, or the repository name.
	Name string
	// Commits counts included commits (non-merge, non-bot).
	Commits int
	// MergeCommits counts merge commits (not included in other figures).
	MergeCommits int
	// CodingDays: distinct calendar days, in the author's own UTC offset,
	// with at least one included commit.
	CodingDays          int
	CodingDaysPerWeek   float64 // 0 when the range is unknown
	CommitsPerCodingDay float64
	Additions           int
	Deletions           int
	First               time.Time // earliest included author time
	Last                time.Time // latest included author time
}

// Build computes the report.
func Build(ctx context.Context, db *store.DB, o Options) ([]Row, error) {
	return nil, errors.New("not implemented")
}
