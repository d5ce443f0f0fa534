package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const repositoryColumns = `id, name, url, local_path, mirror_path, branch, excludes, source, created_at, last_synced_at`

// UpsertRepository inserts r, or updates the row with the same Name, and
// returns the stored row (with ID and CreatedAt set). It never changes
// CreatedAt or LastSyncedAt of an existing row.
func (db *DB) UpsertRepository(ctx context.Context, r Repository) (Repository, error) {
	if r.Name == "" {
		return Repository{}, errors.New("upsert repository: empty name")
	}
	var source sql.NullString
	if r.Source != "" {
		source = sql.NullString{String: CleanText(r.Source), Valid: true}
	}
	row := db.w.QueryRowContext(ctx, `
		INSERT INTO repositories (name, url, local_path, mirror_path, branch, excludes, source, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (name) DO UPDATE SET
			url = excluded.url,
			local_path = excluded.local_path,
			mirror_path = excluded.mirror_path,
			branch = excluded.branch,
			excludes = excluded.excludes,
			source = excluded.source
		RETURNING `+repositoryColumns,
		CleanText(r.Name), CleanText(r.URL), CleanText(r.LocalPath), CleanText(r.MirrorPath),
		CleanText(r.Branch), r.Excludes, source, time.Now().Unix())
	out, err := scanRepository(row)
	if err != nil {
		return Repository{}, fmt.Errorf("upsert repository %q: %w", r.Name, err)
	}
	return out, nil
}

// RepositoryByName returns the repository with that name or ErrNotFound.
func (db *DB) RepositoryByName(ctx context.Context, name string) (Repository, error) {
	row := db.r.QueryRowContext(ctx, `SELECT `+repositoryColumns+` FROM repositories WHERE name = $1`, CleanText(name))
	r, err := scanRepository(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Repository{}, fmt.Errorf("repository %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Repository{}, fmt.Errorf("look up repository %q: %w", name, err)
	}
	return r, nil
}

// Repositories lists all repositories ordered by name.
func (db *DB) Repositories(ctx context.Context) ([]Repository, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+repositoryColumns+` FROM repositories ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	defer rows.Close()
	var out []Repository
	for rows.Next() {
		r, err := scanRepository(rows)
		if err != nil {
			return nil, fmt.Errorf("list repositories: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRepository(s scanner) (Repository, error) {
	var (
		r          Repository
		source     sql.NullString
		created    int64
		lastSynced sql.NullInt64
	)
	if err := s.Scan(&r.ID, &r.Name, &r.URL, &r.LocalPath, &r.MirrorPath, &r.Branch, &r.Excludes, &source, &created, &lastSynced); err != nil {
		return Repository{}, err
	}
	r.Source = source.String
	r.CreatedAt = time.Unix(created, 0).UTC()
	if lastSynced.Valid {
		r.LastSyncedAt = time.Unix(lastSynced.Int64, 0).UTC()
	}
	return r, nil
}

// Location is where the repository is read from: its URL, or its local path.
func (r Repository) Location() string {
	if r.URL != "" {
		return r.URL
	}
	return r.LocalPath
}
