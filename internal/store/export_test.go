package store

import "context"

// OpenAtVersion opens dsn migrated up to version only, as an older sluice
// left it, for migration tests. It must not run concurrently with Open.
func OpenAtVersion(ctx context.Context, dsn string, version int) (*DB, error) {
	all := migrations
	migrations = migrations[:version]
	defer func() { migrations = all }()
	return Open(ctx, dsn)
}

// Exec runs a statement on the write pool.
func (db *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, q, args...)
	return err
}
