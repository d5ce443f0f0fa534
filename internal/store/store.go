// Package store persists Sluice's data in SQLite (the embedded default) or
// PostgreSQL. Both engines share one schema and one set of migrations; every
// write is an idempotent upsert on a natural key, and a sync's checkpoint is
// saved in the same transaction as the data it covers.
//
// DSNs: postgres://user:password@host:port/db?sslmode=… (or postgresql://)
// selects PostgreSQL through pgx; anything else is a SQLite file path,
// optionally prefixed "sqlite:", "sqlite://" or "file:" (no query parameters;
// in-memory databases are not supported because reads and writes use separate
// connection pools).
//
// Concurrency: a DB is safe for concurrent use. On SQLite all writes go
// through one connection (they queue; other processes wait up to the 10s busy
// timeout) while reads use a pool of read-only connections, so a
// ForEachCommit callback may itself read or write. On PostgreSQL a pool of at
// most 25 connections serves both, and any number of processes may share a
// database; migrations are serialised by an advisory lock.
//
// Queries are written once, by hand, with $1, $2 … placeholders, which both
// drivers accept; only generated multi-row lists differ (see placeholders).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Engine names reported by DB.Engine.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is an open, migrated Sluice database. It is safe for concurrent use.
type DB struct {
	engine string
	// w runs every write. On SQLite it holds a single connection, so writers
	// queue in Go instead of spinning on SQLITE_BUSY.
	w *sql.DB
	// r runs reads. On SQLite it is a separate pool of read-only connections
	// (WAL lets them read while w writes), so a slow reader such as a
	// ForEachCommit callback never blocks or deadlocks a writer. On
	// PostgreSQL it is the same pool as w.
	r *sql.DB
	// identities caches committed identity ids (identityKey -> int64);
	// identities are never deleted, so an id once committed stays valid.
	identities sync.Map
	// stmts holds the full-size multi-row statements of SaveBatch,
	// prepared once on w: parsing them each time cost as much CPU as
	// running them.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	// cache, when set (EnableCache), keeps the answers of reads.
	cache *readCache
}

// Open opens the database named by dsn and runs pending migrations.
// A dsn starting with postgres:// or postgresql:// selects PostgreSQL;
// anything else is a SQLite file path (an optional "sqlite:" or "file:"
// prefix is accepted). The SQLite file's directory is created if missing.
// libpq key=value settings ("host=db user=sluice") are refused rather than
// taken for a file name.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case isPostgres(dsn):
		db, err = openPostgres(ctx, dsn)
	case looksLikeKeyValueDSN(dsn):
		// Never echo the DSN: it may hold a password.
		return nil, errors.New("the database setting looks like a PostgreSQL key=value connection string; write it as a URL: postgres://USER@HOST:PORT/DBNAME")
	default:
		db, err = openSQLite(ctx, dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// keyValueDSN matches a libpq connection keyword followed by "=" at the
// start of the DSN or after a space ("host=db port=5432 …").
var keyValueDSN = regexp.MustCompile(`(?i)(?:^|\s)(?:host|hostaddr|port|dbname|user|password|sslmode)\s*=`)

// looksLikeKeyValueDSN reports whether dsn is libpq key=value connection
// settings rather than a SQLite path, which it would otherwise be taken for.
func looksLikeKeyValueDSN(dsn string) bool {
	return strings.Contains(dsn, "=") && keyValueDSN.MatchString(dsn)
}

func isPostgres(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Close closes the database.
func (db *DB) Close() error {
	if db == nil || db.w == nil {
		return nil
	}
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.stmtMu.Unlock()
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Engine reports "sqlite" or "postgres".
func (db *DB) Engine() string { return db.engine }

// inTx runs fn in a write transaction, committing if fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// unixTime turns stored unix seconds and an offset east of UTC back into the
// time as its author saw it.
func unixTime(sec int64, offset int) time.Time {
	if offset == 0 {
		return time.Unix(sec, 0).UTC()
	}
	return time.Unix(sec, 0).In(time.FixedZone("", offset))
}

// zoneOffset is t's offset east of UTC in seconds.
func zoneOffset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// Repository is one analysed Git repository.
type Repository struct {
	ID int64
	// Name is the unique, user-facing name (e.g. "team/service").
	Name string
	// URL is the remote URL without credentials, or "" for a local repository.
	URL string
	// LocalPath is the directory of a local repository read in place, or "".
	LocalPath string
	// MirrorPath is the bare mirror clone under the data dir for a remote, or "".
	MirrorPath string
	// Branch restricts analysis to one ref; "" means all branches.
	Branch string
	// Excludes is false when the user turned default file excludes off.
	Excludes bool
	// Source is the configured source name used for credentials, or "".
	Source       string
	CreatedAt    time.Time
	LastSyncedAt time.Time // zero if never synced to completion
}

// Commit is one Git commit with its numstat totals.
type Commit struct {
	SHA     string
	Parents []string
	// AuthorName and AuthorEmail are mailmap-resolved; AuthorEmail is stored
	// as git printed it, identities compare it lowercased.
	AuthorName  string
	AuthorEmail string
	// AuthorTime keeps the author's own UTC offset (time.FixedZone).
	AuthorTime     time.Time
	CommitterName  string
	CommitterEmail string
	CommitterTime  time.Time
	Subject        string
	IsMerge        bool
	// Additions, Deletions and FilesChanged are numstat totals over
	// non-excluded, non-binary files (metrics.md §4).
	Additions    int
	Deletions    int
	FilesChanged int
	// Hunks, HALOC and the four work types (NewWork + LegacyRefactor +
	// HelpOthers + Rework == HALOC) are the line-provenance figures of
	// metrics.md §3, over the -U0 hunks of non-excluded files; all zero for
	// merge commits. Outlier is HALOC > the configured threshold
	// (analysis.outlier_haloc).
	Hunks          int
	HALOC          int
	NewWork        int
	LegacyRefactor int
	HelpOthers     int
	Rework         int
	Outlier        bool
	// Impact is the commit's impact in hundredths (ImpactHundredths of the
	// figures above) and Person the key of the author's person
	// (PersonKey, after merges); both are set by reads, and Impact is
	// computed, not taken, on writes.
	Impact int64
	Person string
	// Files is every numstat entry, excluded ones included, in git's order.
	// ForEachCommit does not load it.
	Files []FileChange
}

// FileChange is one numstat entry of a commit.
type FileChange struct {
	Path      string
	OldPath   string // set on renames and copies
	Additions int
	Deletions int
	Binary    bool
	Excluded  bool
}

// Checkpoint records how far a repository's sync got.
type Checkpoint struct {
	RepositoryID int64
	// Tips are ref -> commit SHA as of the last completed sync.
	Tips map[string]string
	// Pending are the tips of a sync in progress (nil when none).
	Pending map[string]string
	// Stored is the running count of commits this repository's syncs have
	// stored, updated with every batch (informational: progress and resumes).
	Stored int64
	// Settings fingerprints what, besides the commits, decided the stored
	// rows (exclude rules, mailmap); the syncer re-imports when it changes.
	Settings  string
	UpdatedAt time.Time
}

// CommitFilter selects commits for ForEachCommit. Zero fields do not filter.
type CommitFilter struct {
	Repo  string    // repository name
	Since time.Time // author time >= Since
	Until time.Time // author time < Until
	// PersonID keeps the commits whose author belongs to this person
	// (after merges); 0 keeps all.
	PersonID int64
}

// CommitRow is a stored commit with its repository's name.
type CommitRow struct {
	Commit
	Repo string
}
