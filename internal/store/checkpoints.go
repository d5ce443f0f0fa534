package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Checkpoint returns the repository's checkpoint; a zero Checkpoint (with
// RepositoryID set and nil maps) if it was never synced. Tips is nil when no
// tips are stored; Pending is non-nil whenever a sync is in progress.
func (db *DB) Checkpoint(ctx context.Context, repoID int64) (Checkpoint, error) {
	cp := Checkpoint{RepositoryID: repoID}
	var (
		tips    string
		pending sql.NullString
		updated int64
	)
	err := db.r.QueryRowContext(ctx, `SELECT tips, pending, stored, settings, updated_at FROM sync_checkpoints WHERE repository_id = $1`, repoID).
		Scan(&tips, &pending, &cp.Stored, &cp.Settings, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint of repository %d: %w", repoID, err)
	}
	if err := json.Unmarshal([]byte(tips), &cp.Tips); err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint of repository %d: tips: %w", repoID, err)
	}
	if len(cp.Tips) == 0 {
		cp.Tips = nil
	}
	if pending.Valid {
		if err := json.Unmarshal([]byte(pending.String), &cp.Pending); err != nil {
			return Checkpoint{}, fmt.Errorf("read checkpoint of repository %d: pending: %w", repoID, err)
		}
		if cp.Pending == nil {
			cp.Pending = map[string]string{}
		}
	}
	cp.UpdatedAt = time.Unix(updated, 0).UTC()
	return cp, nil
}

// CompleteSync saves cp (Tips = the synced tips, Pending nil) and sets the
// repository's LastSyncedAt, in one transaction. cp.Pending is ignored.
func (db *DB) CompleteSync(ctx context.Context, repoID int64, cp Checkpoint) error {
	if cp.RepositoryID != 0 && cp.RepositoryID != repoID {
		return fmt.Errorf("complete sync of repository %d: checkpoint is for repository %d", repoID, cp.RepositoryID)
	}
	cp.Pending = nil
	tips, pending, err := encodeCheckpoint(cp)
	if err != nil {
		return fmt.Errorf("complete sync of repository %d: %w", repoID, err)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE repositories SET last_synced_at = $2 WHERE id = $1`, repoID, time.Now().Unix())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return saveCheckpoint(ctx, tx, repoID, tips, pending, cp.Stored, cp.Settings)
	})
	if err != nil {
		return fmt.Errorf("complete sync of repository %d: %w", repoID, err)
	}
	return nil
}

// encodeCheckpoint returns cp's tips and pending maps as stored: JSON
// objects, pending NULL (invalid) when no sync is in progress. Refs and
// SHAs go through CleanText like every stored string.
func encodeCheckpoint(cp Checkpoint) (tips string, pending sql.NullString, err error) {
	b, err := json.Marshal(cleanMap(cp.Tips))
	if err != nil {
		return "", pending, fmt.Errorf("encode tips: %w", err)
	}
	tips = string(b)
	if cp.Pending != nil {
		b, err := json.Marshal(cleanMap(cp.Pending))
		if err != nil {
			return "", pending, fmt.Errorf("encode pending tips: %w", err)
		}
		pending = sql.NullString{String: string(b), Valid: true}
	}
	return tips, pending, nil
}

func cleanMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[CleanText(k)] = CleanText(v)
	}
	return out
}

func saveCheckpoint(ctx context.Context, tx *sql.Tx, repoID int64, tips string, pending sql.NullString, stored int64, settings string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sync_checkpoints (repository_id, tips, pending, stored, settings, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (repository_id) DO UPDATE SET
			tips = excluded.tips,
			pending = excluded.pending,
			stored = excluded.stored,
			settings = excluded.settings,
			updated_at = excluded.updated_at`,
		repoID, tips, pending, stored, CleanText(settings), time.Now().Unix())
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}
