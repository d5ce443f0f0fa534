package store

import (
	"context"
	"database/sql"
	"fmt"
)

// deleteChunk bounds the IN list of one delete.
const deleteChunk = 500

// DeleteCommits deletes the repository's commits with these SHAs, and
// their file changes, in one transaction; SHAs not stored are ignored. It
// returns how many commits were deleted.
func (db *DB) DeleteCommits(ctx context.Context, repoID int64, shas []string) (int64, error) {
	if len(shas) == 0 {
		return 0, nil
	}
	var deleted int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		deleted = 0
		args := make([]any, 0, deleteChunk+1)
		for start := 0; start < len(shas); start += deleteChunk {
			chunk := shas[start:min(start+deleteChunk, len(shas))]
			args = append(args[:0], repoID)
			for _, sha := range chunk {
				args = append(args, CleanText(sha))
			}
			in := db.placeholders(len(chunk), 1, 2)
			if _, err := tx.ExecContext(ctx, `DELETE FROM file_changes WHERE commit_id IN
				(SELECT id FROM commits WHERE repository_id = `+db.placeholders(1, 1, 1)+` AND sha IN (`+in+`))`, args...); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM commits WHERE repository_id = `+db.placeholders(1, 1, 1)+` AND sha IN (`+in+`)`, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted += n
		}
		if deleted == 0 {
			return nil
		}
		return bumpGeneration(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("delete commits of repository %d: %w", repoID, err)
	}
	return deleted, nil
}

// ResetRepository deletes every stored commit of the repository, their
// file changes and its sync checkpoint, in one transaction, so that the
// next sync imports it anew. The repository row stays.
func (db *DB) ResetRepository(ctx context.Context, repoID int64) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM file_changes WHERE commit_id IN (SELECT id FROM commits WHERE repository_id = $1)`,
			`DELETE FROM commits WHERE repository_id = $1`,
			`DELETE FROM sync_checkpoints WHERE repository_id = $1`,
			`UPDATE repositories SET last_synced_at = NULL WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, repoID); err != nil {
				return err
			}
		}
		return bumpGeneration(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("reset repository %d: %w", repoID, err)
	}
	return nil
}

// ForEachCommitSHA calls fn with the SHA of every stored commit of the
// repository, in no particular order, stopping at fn's first error.
func (db *DB) ForEachCommitSHA(ctx context.Context, repoID int64, fn func(sha string) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT sha FROM commits WHERE repository_id = $1`, repoID)
	if err != nil {
		return fmt.Errorf("list commits of repository %d: %w", repoID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return fmt.Errorf("list commits of repository %d: %w", repoID, err)
		}
		if err := fn(sha); err != nil {
			return err
		}
	}
	return rows.Err()
}
