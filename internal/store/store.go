// Package store persists Sluice's data in SQLite (the embedded default) or
// PostgreSQL. Both engines share one schema and one set of migrations; every
// write is an idempotent upsert on a natural key, and a sync's checkpoint is
// saved in the same transaction as the data it covers.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// DB is an open, migrated Sluice database.
type DB struct {
	// implementation fields are private to the store package
	impl any
}

// Open opens the database named by dsn and runs pending migrations.
// A dsn starting with postgres:// or postgresql:// selects PostgreSQL;
// anything else is a SQLite file path (an optional "sqlite:" or "file:"
// prefix is accepted). The SQLite file's directory is created if missing.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return nil, errors.New("store.Open: not implemented")
}

// Close closes the database.
func (db *DB) Close() error { return nil }

// Engine reports "sqlite" or "postgres".
func (db *DB) Engine() string { return "" }

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

// UpsertRepository inserts r, or updates the row with the same Name, and
// returns the stored row (with ID and CreatedAt set).
func (db *DB) UpsertRepository(ctx context.Context, r Repository) (Repository, error) {
	return Repository{}, errors.New("not implemented")
}

// RepositoryByName returns the repository with that name or ErrNotFound.
func (db *DB) RepositoryByName(ctx context.Context, name string) (Repository, error) {
	return Repository{}, errors.New("not implemented")
}

// Repositories lists all repositories ordered by name.
func (db *DB) Repositories(ctx context.Context) ([]Repository, error) {
	return nil, errors.New("not implemented")
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
	// Stored counts commits stored by the sync in progress.
	Stored    int64
	UpdatedAt time.Time
}

// Checkpoint returns the repository's checkpoint; a zero Checkpoint (with
// RepositoryID set and nil maps) if it was never synced.
func (db *DB) Checkpoint(ctx context.Context, repoID int64) (Checkpoint, error) {
	return Checkpoint{}, errors.New("not implemented")
}

// SaveBatch upserts commits (their files and author/committer identities)
// and cp in one transaction. Re-saving a stored commit changes nothing.
func (db *DB) SaveBatch(ctx context.Context, repoID int64, commits []Commit, cp Checkpoint) error {
	return errors.New("not implemented")
}

// CompleteSync saves cp (Tips = the synced tips, Pending nil) and sets the
// repository's LastSyncedAt, in one transaction.
func (db *DB) CompleteSync(ctx context.Context, repoID int64, cp Checkpoint) error {
	return errors.New("not implemented")
}

// HaveCommits returns which of shas are already stored for the repository.
func (db *DB) HaveCommits(ctx context.Context, repoID int64, shas []string) (map[string]bool, error) {
	return nil, errors.New("not implemented")
}

// CountCommits returns the number of stored commits of a repository.
func (db *DB) CountCommits(ctx context.Context, repoID int64) (int64, error) {
	return 0, errors.New("not implemented")
}

// CommitFilter selects commits for ForEachCommit. Zero fields do not filter.
type CommitFilter struct {
	Repo  string    // repository name
	Since time.Time // author time >= Since
	Until time.Time // author time < Until
}

// CommitRow is a stored commit with its repository's name.
type CommitRow struct {
	Commit
	Repo string
}

// ForEachCommit streams matching commits ordered by author time then SHA
// (Files not loaded). It stops at and returns fn's first error.
func (db *DB) ForEachCommit(ctx context.Context, f CommitFilter, fn func(CommitRow) error) error {
	return errors.New("not implemented")
}
