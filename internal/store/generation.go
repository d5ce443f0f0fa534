package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// generationTables are the tables, besides commits, that aggregates and
// the pages read, with the columns whose change matters: a sync's
// last_synced_at, or an upsert that changes nothing, keeps the generation.
var generationTables = []struct{ table, columns string }{
	{"identities", "name, email, person_key, person_id"},
	{"people", "key, name, excluded, hidden, excluded_cli, hidden_cli, bot"},
	{"person_keys", "key, person_id, source"},
	{"teams", "name, parent_id, source"},
	{"team_members", "team_id, person_id, since_day, until_day, source"},
	{"repositories", "name, url, local_path, mirror_path, branch, excludes, source"},
}

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
		var olds, news []string
		for c := range strings.SplitSeq(t.columns, ", ") {
			olds, news = append(olds, "OLD."+c), append(news, "NEW."+c)
		}
		changed := fmt.Sprintf("(%s) IS NOT (%s)", strings.Join(olds, ", "), strings.Join(news, ", "))
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			name := "generation_" + t.table + "_" + strings.ToLower(op)
			event, when := op, ""
			if op == "UPDATE" {
				event, when = "UPDATE OF "+t.columns, "WHEN "+changed
			}
			if engine == Postgres {
				if when != "" {
					when = "WHEN (" + strings.Replace(changed, "IS NOT", "IS DISTINCT FROM", 1) + ")"
				}
				stmts = append(stmts, fmt.Sprintf(`CREATE CONSTRAINT TRIGGER %s AFTER %s ON %s
					DEFERRABLE INITIALLY DEFERRED FOR EACH ROW %s EXECUTE FUNCTION sluice_bump_generation()`, name, event, t.table, when))
			} else {
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER %s AFTER %s ON %s %s
					BEGIN UPDATE data_generation SET n = n + 1 WHERE id = 1; END`, name, event, t.table, when))
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
