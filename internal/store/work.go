package store

import (
	"context"
	"fmt"
)

// NonMergeCommitSHAs returns the SHAs of the repository's stored non-merge
// commits (those with work-type figures, metrics.md §3), sorted.
func (db *DB) NonMergeCommitSHAs(ctx context.Context, repoID int64) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT sha FROM commits WHERE repository_id = $1 AND NOT is_merge ORDER BY sha`, repoID)
	if err != nil {
		return nil, fmt.Errorf("list non-merge commits of repository %d: %w", repoID, err)
	}
	defer rows.Close()
	shas := []string{}
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, fmt.Errorf("list non-merge commits of repository %d: %w", repoID, err)
		}
		shas = append(shas, sha)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list non-merge commits of repository %d: %w", repoID, err)
	}
	return shas, nil
}

// CommitsBySHA returns the repository's stored commits named by shas, with
// their Files loaded (in git's order), in the order of shas; a SHA given
// more than once is returned once. missing lists, in the same order, the
// SHAs the repository has not stored.
//
// It is what `sluice verify` audits: a commit's stored figures beside the
// exclusion decision (Excluded, Binary) that ingest made for each file.
func (db *DB) CommitsBySHA(ctx context.Context, repoID int64, shas []string) (commits []Commit, missing []string, err error) {
	var distinct []string
	seen := make(map[string]bool, len(shas))
	for _, sha := range shas {
		sha = CleanText(sha)
		if !seen[sha] {
			seen[sha] = true
			distinct = append(distinct, sha)
		}
	}
	found := make(map[string]*Commit, len(distinct))
	for start := 0; start < len(distinct); start += haveChunk {
		if err := db.loadCommits(ctx, repoID, distinct[start:min(start+haveChunk, len(distinct))], found); err != nil {
			return nil, nil, fmt.Errorf("read commits of repository %d: %w", repoID, err)
		}
	}
	commits = make([]Commit, 0, len(found))
	for _, sha := range distinct {
		if c, ok := found[sha]; ok {
			commits = append(commits, *c)
		} else {
			missing = append(missing, sha)
		}
	}
	return commits, missing, nil
}

// loadCommits reads the commits named by shas (at most haveChunk) and their
// files into found.
func (db *DB) loadCommits(ctx context.Context, repoID int64, shas []string, found map[string]*Commit) error {
	args := make([]any, 0, len(shas)+1)
	args = append(args, repoID)
	for _, sha := range shas {
		args = append(args, sha)
	}
	// The repository is the first parameter, as in HaveCommits.
	q := `SELECT c.id, ` + commitSelect + ` FROM commits c WHERE c.repository_id = ` + db.placeholders(1, 1, 1) +
		` AND c.sha IN (` + db.placeholders(len(shas), 1, 2) + `)`
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	byID := map[int64]*Commit{}
	for rows.Next() {
		var (
			id int64
			c  Commit
		)
		if err := scanCommit(rows, &c, &id); err != nil {
			rows.Close()
			return err
		}
		c.Files = []FileChange{}
		byID[id] = &c
		found[c.SHA] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(byID) == 0 {
		return nil
	}
	ids := make([]any, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT commit_id, path, old_path, additions, deletions, is_binary, is_excluded
		FROM file_changes WHERE commit_id IN (`+db.placeholders(len(ids), 1, 1)+`) ORDER BY commit_id, idx`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			f  FileChange
		)
		if err := rows.Scan(&id, &f.Path, &f.OldPath, &f.Additions, &f.Deletions, &f.Binary, &f.Excluded); err != nil {
			return err
		}
		c := byID[id]
		c.Files = append(c.Files, f)
	}
	return rows.Err()
}
