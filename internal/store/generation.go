package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The data generation is a number that changes with every committed
// change to what aggregates read: commits, identities, people and their
// keys, teams, memberships and repositories. A cache of aggregates keyed by
// it (CacheAggregates) is therefore never stale, whichever process wrote.
//
// Writes to commits bump it explicitly, once per transaction (bumpGeneration,
// in SaveBatch, DeleteCommits and ResetRepository): a per-row trigger
// would cost the import about 1 µs per row on SQLite. Every other table
// bumps it from triggers. On PostgreSQL those are deferred to the commit,
// and the explicit bumps are a transaction's last statement, so concurrent
// writers (two processes syncing) hold the generation's row lock only
// while they commit.

// generationTables are the tables, besides commits, that aggregates read.
var generationTables = []string{"identities", "people", "person_keys", "teams", "team_members", "repositories"}

// schemaGeneration adds the data generation and its triggers.
func schemaGeneration(ctx context.Context, tx *sql.Tx, engine string) error {
	stmts := []string{
		`CREATE TABLE data_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)`,
		`INSERT INTO data_generation (id, n) VALUES (1, 1)`,
	}
	if engine == Postgres {
		stmts = append(stmts, `CREATE FUNCTION sluice_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE data_generation SET n = n + 1 WHERE id = 1;
	RETURN NULL;
END $$`)
	}
	for _, t := range generationTables {
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			name := "generation_" + t + "_" + op
			if engine == Postgres {
				stmts = append(stmts, fmt.Sprintf(`CREATE CONSTRAINT TRIGGER %s AFTER %s ON %s
					DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sluice_bump_generation()`, name, op, t))
			} else {
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER %s AFTER %s ON %s
					BEGIN UPDATE data_generation SET n = n + 1 WHERE id = 1; END`, name, op, t))
			}
		}
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	return nil
}

// bumpGeneration marks a change to commits; it is the last statement of
// the transaction that made it.
func bumpGeneration(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE data_generation SET n = n + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump data generation: %w", err)
	}
	return nil
}

// Generation returns the data generation: equal values mean nothing that
// aggregates read has changed in between.
func (db *DB) Generation(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, `SELECT n FROM data_generation WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read data generation: %w", err)
	}
	return n, nil
}
