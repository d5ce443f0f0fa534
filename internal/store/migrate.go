package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migrations are applied in order, each in its own transaction; version i+1
// is migrations[i]. Append only: never edit or reorder a released entry.
var migrations = []func(ctx context.Context, tx *sql.Tx, engine string) error{
	schemaV1,
	schemaV2,
	schemaV3,
	schemaV4,
	schemaAggregate,
	schemaUsers,
	schemaGeneration,
	schemaDismissedSuggestions,
}

// migrationLock keys the PostgreSQL advisory lock that serialises concurrent
// Opens of one database ("sluice" in ASCII).
const migrationLock = 0x736c75696365

func (db *DB) migrate(ctx context.Context) error {
	if err := db.migrationTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`)
		return err
	}); err != nil {
		return fmt.Errorf("migrate database: create schema_migrations: %w", err)
	}

	var current int
	if err := db.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate database: read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this sluice supports (%d); upgrade sluice", current, len(migrations))
	}
	for i := current; i < len(migrations); i++ {
		version := i + 1
		err := db.migrationTx(ctx, func(tx *sql.Tx) error {
			// Another process may have applied it since we looked.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := migrations[i](ctx, tx, db.engine); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate database to version %d: %w", version, err)
		}
	}
	return nil
}

// migrationTx runs fn in a transaction that, on PostgreSQL, first takes the
// migration advisory lock (SQLite's BEGIN IMMEDIATE already excludes other
// writers).
func (db *DB) migrationTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		return fn(tx)
	})
}

// execSchema runs the ;-separated statements of schema, with {{id}} replaced
// by the engine's auto-increment primary key.
func execSchema(ctx context.Context, tx *sql.Tx, engine, schema string) error {
	id := "INTEGER PRIMARY KEY"
	if engine == Postgres {
		id = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	schema = strings.ReplaceAll(schema, "{{id}}", id)
	for stmt := range strings.SplitSeq(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", firstLine(stmt), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// schemaV1 is the initial schema. Times are unix seconds; commit times keep
// the author's and committer's UTC offset (seconds east) beside them.
// repositories.source names a source in sluice.yaml, the source of truth for
// sources, so it is not a foreign key.
func schemaV1(ctx context.Context, tx *sql.Tx, engine string) error {
	return execSchema(ctx, tx, engine, `
CREATE TABLE sources (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE TABLE repositories (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	url TEXT NOT NULL DEFAULT '',
	local_path TEXT NOT NULL DEFAULT '',
	mirror_path TEXT NOT NULL DEFAULT '',
	branch TEXT NOT NULL DEFAULT '',
	excludes BOOLEAN NOT NULL DEFAULT TRUE,
	source TEXT,
	created_at BIGINT NOT NULL,
	last_synced_at BIGINT
);
CREATE TABLE identities (
	id {{id}},
	name TEXT NOT NULL,
	email TEXT NOT NULL,
	UNIQUE (email, name)
);
CREATE TABLE commits (
	id {{id}},
	repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
	sha TEXT NOT NULL CHECK (sha <> ''),
	parents TEXT NOT NULL DEFAULT '',
	author_identity_id BIGINT NOT NULL REFERENCES identities (id),
	author_name TEXT NOT NULL,
	author_email TEXT NOT NULL,
	author_time BIGINT NOT NULL,
	author_tz_offset INTEGER NOT NULL,
	committer_identity_id BIGINT NOT NULL REFERENCES identities (id),
	committer_name TEXT NOT NULL,
	committer_email TEXT NOT NULL,
	committer_time BIGINT NOT NULL,
	committer_tz_offset INTEGER NOT NULL,
	subject TEXT NOT NULL,
	is_merge BOOLEAN NOT NULL,
	additions INTEGER NOT NULL,
	deletions INTEGER NOT NULL,
	files_changed INTEGER NOT NULL,
	UNIQUE (repository_id, sha)
);
CREATE INDEX commits_author_time ON commits (author_time, sha);
CREATE INDEX commits_repository_author_time ON commits (repository_id, author_time, sha);
CREATE INDEX commits_author_identity ON commits (author_identity_id);
CREATE TABLE file_changes (
	commit_id BIGINT NOT NULL REFERENCES commits (id) ON DELETE CASCADE,
	idx INTEGER NOT NULL,
	path TEXT NOT NULL,
	old_path TEXT NOT NULL DEFAULT '',
	additions INTEGER NOT NULL,
	deletions INTEGER NOT NULL,
	is_binary BOOLEAN NOT NULL,
	is_excluded BOOLEAN NOT NULL,
	PRIMARY KEY (commit_id, idx)
);
CREATE TABLE sync_checkpoints (
	repository_id BIGINT PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
	tips TEXT NOT NULL DEFAULT '{}',
	pending TEXT,
	stored BIGINT NOT NULL DEFAULT 0,
	updated_at BIGINT NOT NULL
)`)
}

// SchemaVersion returns the highest applied migration version.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// LatestSchemaVersion is the schema version this build of sluice migrates to.
func LatestSchemaVersion() int { return len(migrations) }

// schemaV2 records the settings fingerprint of each repository's sync.
func schemaV2(ctx context.Context, tx *sql.Tx, engine string) error {
	return execSchema(ctx, tx, engine, `ALTER TABLE sync_checkpoints ADD COLUMN settings TEXT NOT NULL DEFAULT ''`)
}

// schemaV3 adds the line-provenance figures of metrics.md §3-§4 to every
// commit: hunks, HALOC, the four work types and the outlier flag. Commits
// stored before it read as zero (and not outliers) until re-analysed.
func schemaV3(ctx context.Context, tx *sql.Tx, engine string) error {
	return execSchema(ctx, tx, engine, `
ALTER TABLE commits ADD COLUMN hunks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN haloc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN new_work INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN legacy_refactor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN help_others INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN rework INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN outlier BOOLEAN NOT NULL DEFAULT FALSE`)
}

// schemaV4 adds people and teams (metrics.md §1, §5) and what person and
// team figures are aggregated from in SQL:
//
//   - people groups identities: excluded and hidden are the flags in
//     force, excluded_cli and hidden_cli what `sluice people` set (the
//     configured lists are added at every start, so that leaving them
//     clears their flags); person_keys maps an identity key (its
//     lowercased email, or github:LOGIN for a GitHub noreply address) to a
//     person; identities.person_id is that mapping, kept denormalised for
//     the report joins. source says who made a mapping or team: auto (an
//     identity's own key), config (sluice.yaml, re-applied at every start)
//     or cli (`sluice people merge|split`, `sluice teams …`).
//   - teams nest through parent_id; team_members may start and end (days
//     since 1970-01-01, in the author's offset, like author_day; NULL is
//     open).
//   - commits.author_day is the author's calendar day (days since
//     1970-01-01 in the author's own UTC offset) and commits.impact the
//     commit's impact in hundredths (docs/metrics.md), both computed at
//     insert; existing rows are filled here.
func schemaV4(ctx context.Context, tx *sql.Tx, engine string) error {
	if err := execSchema(ctx, tx, engine, `
CREATE TABLE people (
	id {{id}},
	key TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	excluded BOOLEAN NOT NULL DEFAULT FALSE,
	hidden BOOLEAN NOT NULL DEFAULT FALSE,
	excluded_cli BOOLEAN NOT NULL DEFAULT FALSE,
	hidden_cli BOOLEAN NOT NULL DEFAULT FALSE,
	bot BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL
);
CREATE TABLE person_keys (
	key TEXT PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	source TEXT NOT NULL DEFAULT 'auto'
);
CREATE INDEX person_keys_person ON person_keys (person_id);
ALTER TABLE identities ADD COLUMN person_key TEXT NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN person_id BIGINT REFERENCES people (id);
CREATE INDEX identities_person ON identities (person_id);
CREATE TABLE teams (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	parent_id BIGINT REFERENCES teams (id) ON DELETE CASCADE,
	source TEXT NOT NULL DEFAULT 'cli',
	created_at BIGINT NOT NULL
);
CREATE TABLE team_members (
	team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	since_day INTEGER,
	until_day INTEGER,
	source TEXT NOT NULL DEFAULT 'cli'
);
CREATE INDEX team_members_team ON team_members (team_id, person_id);
ALTER TABLE commits ADD COLUMN author_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commits ADD COLUMN impact INTEGER NOT NULL DEFAULT 0;
UPDATE commits SET author_day = (author_time + author_tz_offset
	- CASE WHEN author_time + author_tz_offset < 0 THEN 86399 ELSE 0 END) / 86400;
CREATE INDEX commits_report ON commits (author_time, author_identity_id)`); err != nil {
		return err
	}
	if err := fillImpact(ctx, tx); err != nil {
		return err
	}
	return fillPeople(ctx, tx)
}

// schemaAggregate adds the index person, team, repository and org reports
// (Aggregate) read instead of the commits table: per author identity and
// day, every column they filter on or sum. SQLite then aggregates 100 000
// commits without touching the table (docs/performance.md). It starts
// with author_identity_id, so it replaces commits_author_identity (which
// SQLite's planner would otherwise prefer, being narrower).
func schemaAggregate(ctx context.Context, tx *sql.Tx, engine string) error {
	return execSchema(ctx, tx, engine, `
DROP INDEX commits_author_identity;
CREATE INDEX commits_aggregate ON commits (author_identity_id, author_day, is_merge, outlier, author_time,
	repository_id, haloc, new_work, legacy_refactor, help_others, rework, hunks, additions, deletions, impact)`)
}

// schemaUsers adds the logins of the web UI and API: users with a bcrypt
// password hash and a role, and their API tokens, stored as the hex
// SHA-256 of the token (the token itself is shown once and never stored).
// password_changed_at versions a user's sessions: setting a password ends
// them.
func schemaUsers(ctx context.Context, tx *sql.Tx, engine string) error {
	return execSchema(ctx, tx, engine, `
CREATE TABLE users (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
	created_at BIGINT NOT NULL,
	password_changed_at BIGINT NOT NULL
);
CREATE TABLE api_tokens (
	id {{id}},
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id)`)
}

// schemaDismissedSuggestions records the suggested merges (SuggestedMerges)
// answered "not the same person" (DismissSuggestion): one row per pair of
// identity keys (person_keys.key), key_a before key_b in byte order. Keys,
// unlike people rows, outlive merges and splits, so a dismissal keeps
// holding for the identities it was made for. Aggregates do not read it,
// so it has no data-generation trigger.
func schemaDismissedSuggestions(ctx context.Context, tx *sql.Tx, engine string) error {
	return execSchema(ctx, tx, engine, `
CREATE TABLE dismissed_suggestions (
	id {{id}},
	key_a TEXT NOT NULL,
	key_b TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (key_a, key_b)
)`)
}
