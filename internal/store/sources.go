package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Source is a server Sluice reaches, as configured in sluice.yaml (the
// source of truth); the table records which sources exist so that data can
// name them. Credentials are never stored.
type Source struct {
	ID        int64
	Name      string
	Kind      string
	URL       string // without credentials
	CreatedAt time.Time
}

// UpsertSource inserts s, or updates the kind and URL of the source with the
// same name, and returns the stored row.
func (db *DB) UpsertSource(ctx context.Context, s Source) (Source, error) {
	if s.Name == "" {
		return Source{}, errors.New("upsert source: empty name")
	}
	var out Source
	var created int64
	err := db.w.QueryRowContext(ctx, `
		INSERT INTO sources (name, kind, url, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url
		RETURNING id, name, kind, url, created_at`,
		CleanText(s.Name), CleanText(s.Kind), CleanText(s.URL), time.Now().Unix()).
		Scan(&out.ID, &out.Name, &out.Kind, &out.URL, &created)
	if err != nil {
		return Source{}, fmt.Errorf("upsert source %q: %w", s.Name, err)
	}
	out.CreatedAt = time.Unix(created, 0).UTC()
	return out, nil
}

// Sources lists the recorded sources ordered by name.
func (db *DB) Sources(ctx context.Context) ([]Source, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, kind, url, created_at FROM sources ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var s Source
		var created int64
		if err := rows.Scan(&s.ID, &s.Name, &s.Kind, &s.URL, &created); err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		s.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}
