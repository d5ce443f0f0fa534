package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
)

// haveChunk bounds the IN list of one HaveCommits query, well under both
// engines' parameter limits.
const haveChunk = 500

// HaveCommits returns which of shas are already stored for the repository.
func (db *DB) HaveCommits(ctx context.Context, repoID int64, shas []string) (map[string]bool, error) {
	have := make(map[string]bool)
	args := make([]any, 0, haveChunk+1)
	for start := 0; start < len(shas); start += haveChunk {
		chunk := shas[start:min(start+haveChunk, len(shas))]
		args = append(args[:0], repoID)
		for _, sha := range chunk {
			args = append(args, CleanText(sha))
		}
		// The repository is the first parameter so that SQLite's anonymous
		// "?" numbering lines up (see placeholders).
		q := `SELECT sha FROM commits WHERE repository_id = ` + db.placeholders(1, 1, 1) +
			` AND sha IN (` + db.placeholders(len(chunk), 1, 2) + `)`
		if err := db.collectSHAs(ctx, q, args, have); err != nil {
			return nil, fmt.Errorf("look up stored commits of repository %d: %w", repoID, err)
		}
	}
	return have, nil
}

func (db *DB) collectSHAs(ctx context.Context, q string, args []any, into map[string]bool) error {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return err
		}
		into[sha] = true
	}
	return rows.Err()
}

// CountCommits returns the number of stored commits of a repository.
func (db *DB) CountCommits(ctx context.Context, repoID int64) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM commits WHERE repository_id = $1`, repoID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count commits of repository %d: %w", repoID, err)
	}
	return n, nil
}

// CommitCounts returns the number of stored commits (merges included) of
// every repository that has any, by repository id. With EnableCache the
// answer is cached.
func (db *DB) CommitCounts(ctx context.Context) (map[int64]int64, error) {
	counts, err := cached(ctx, db, "commit-counts", func(ctx context.Context) (map[int64]int64, int64, error) {
		rows, err := db.r.QueryContext(ctx, `SELECT repository_id, COUNT(*) FROM commits GROUP BY repository_id`)
		if err != nil {
			return nil, 0, fmt.Errorf("count commits: %w", err)
		}
		defer rows.Close()
		counts := map[int64]int64{}
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				return nil, 0, fmt.Errorf("count commits: %w", err)
			}
			counts[id] = n
		}
		if err := rows.Err(); err != nil {
			return nil, 0, fmt.Errorf("count commits: %w", err)
		}
		return counts, int64(len(counts)) * 48, nil
	})
	return maps.Clone(counts), err
}

// CommitFiles returns the stored numstat entries of one commit in git's
// order, or ErrNotFound if the repository has no such commit.
func (db *DB) CommitFiles(ctx context.Context, repoID int64, sha string) ([]FileChange, error) {
	var commitID int64
	err := db.r.QueryRowContext(ctx, `SELECT id FROM commits WHERE repository_id = $1 AND sha = $2`, repoID, CleanText(sha)).Scan(&commitID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("commit %s of repository %d: %w", sha, repoID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up commit %s of repository %d: %w", sha, repoID, err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT path, old_path, additions, deletions, is_binary, is_excluded
		FROM file_changes WHERE commit_id = $1 ORDER BY idx`, commitID)
	if err != nil {
		return nil, fmt.Errorf("read files of commit %s: %w", sha, err)
	}
	defer rows.Close()
	files := []FileChange{}
	for rows.Next() {
		var f FileChange
		if err := rows.Scan(&f.Path, &f.OldPath, &f.Additions, &f.Deletions, &f.Binary, &f.Excluded); err != nil {
			return nil, fmt.Errorf("read files of commit %s: %w", sha, err)
		}
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read files of commit %s: %w", sha, err)
	}
	return files, nil
}

// ForEachCommit streams matching commits ordered by author time then SHA
// (then repository name, for a SHA stored in several repositories); Files
// is not loaded. It stops at and returns fn's first error. fn may use db,
// including for writes: rows are read on their own connection.
func (db *DB) ForEachCommit(ctx context.Context, f CommitFilter, fn func(CommitRow) error) error {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Repo != "" {
		where = append(where, "r.name = "+arg(CleanText(f.Repo)))
	}
	if !f.Since.IsZero() {
		where = append(where, "c.author_time >= "+arg(ceilUnix(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "c.author_time < "+arg(ceilUnix(f.Until)))
	}
	if f.PersonID != 0 {
		where = append(where, "c.author_identity_id IN (SELECT id FROM identities WHERE person_id = "+arg(f.PersonID)+")")
	}
	q := `SELECT r.name, ` + commitSelect + ` FROM commits c JOIN repositories r ON r.id = c.repository_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.author_time, c.sha, r.name"

	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read commits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CommitRow
		if err := scanCommit(rows, &c.Commit, &c.Repo); err != nil {
			return fmt.Errorf("read commits: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read commits: %w", err)
	}
	return nil
}

// commitSelect lists the columns of a Commit (without its files) from
// commits aliased c, in scanCommit's order.
const commitSelect = `c.sha, c.parents, c.author_name, c.author_email, c.author_time, c.author_tz_offset,
	c.committer_name, c.committer_email, c.committer_time, c.committer_tz_offset,
	c.subject, c.is_merge, c.additions, c.deletions, c.files_changed,
	c.hunks, c.haloc, c.new_work, c.legacy_refactor, c.help_others, c.rework, c.outlier, c.impact,
	COALESCE((SELECT p.key FROM identities i JOIN people p ON p.id = i.person_id WHERE i.id = c.author_identity_id), '')`

// scanCommit scans the columns before (selected ahead of commitSelect),
// then commitSelect into c.
func scanCommit(s scanner, c *Commit, before ...any) error {
	var (
		parents          string
		aTime, cTime     int64
		aOffset, cOffset int
	)
	dest := append(before, &c.SHA, &parents, &c.AuthorName, &c.AuthorEmail, &aTime, &aOffset,
		&c.CommitterName, &c.CommitterEmail, &cTime, &cOffset,
		&c.Subject, &c.IsMerge, &c.Additions, &c.Deletions, &c.FilesChanged,
		&c.Hunks, &c.HALOC, &c.NewWork, &c.LegacyRefactor, &c.HelpOthers, &c.Rework, &c.Outlier, &c.Impact, &c.Person)
	if err := s.Scan(dest...); err != nil {
		return err
	}
	if parents != "" {
		c.Parents = strings.Fields(parents)
	}
	c.AuthorTime = unixTime(aTime, aOffset)
	c.CommitterTime = unixTime(cTime, cOffset)
	return nil
}

// ceilUnix is the first whole second at or after t: stored times are whole
// seconds, so "author time >= t" and "< t" compare against it exactly.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// RepositoryStats returns the number of stored commits of a repository and
// of their distinct (lowercased) author emails.
func (db *DB) RepositoryStats(ctx context.Context, repoID int64) (commits int64, authors int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT LOWER(author_email)) FROM commits WHERE repository_id = $1`, repoID).
		Scan(&commits, &authors)
	if err != nil {
		return 0, 0, fmt.Errorf("count commits of repository %d: %w", repoID, err)
	}
	return commits, authors, nil
}
