// Package storetest gives tests a fresh database on every engine Sluice
// supports, so that one test body can run against SQLite and PostgreSQL:
//
//	for engine, dsn := range storetest.DSNs(t) {
//		t.Run(engine, func(t *testing.T) {
//			db, err := store.Open(ctx, dsn)
//			…
//		})
//	}
//
// PostgreSQL is used when SLUICE_TEST_POSTGRES_URL names a server (an admin
// URL such as postgres://sluice@127.0.0.1:5432/postgres?sslmode=disable, as
// scripts/test sets); each call creates a new database there and drops it when
// the test ends. Without it PostgreSQL is skipped with a log line, except in
// CI (CI set), where that is a test failure.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/sluicehq/sluice/internal/store"
)

// PostgresEnv names the environment variable holding the PostgreSQL admin URL.
const PostgresEnv = "SLUICE_TEST_POSTGRES_URL"

// DSNs returns engine name ("sqlite", "postgres") -> DSN of a new, empty
// database for store.Open. Every call returns new databases, removed when t
// ends.
func DSNs(t testing.TB) map[string]string {
	t.Helper()
	dsns := map[string]string{
		"sqlite": filepath.Join(t.TempDir(), "sluice.db"),
	}
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(PostgresEnv + " must be set in CI; run scripts/test")
		}
		t.Log("PostgreSQL not tested: " + PostgresEnv + " is unset (scripts/test sets it)")
		return dsns
	}
	dsns["postgres"] = createDatabase(t, admin)
	return dsns
}

// createDatabase creates a uniquely named database on the server of the
// admin URL, drops it when t ends, and returns its URL.
func createDatabase(t testing.TB, admin string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "sluice_t_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database on %s (%s): %v", u.Host, PostgresEnv, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Each runs fn as a subtest once per engine of DSNs, each with a freshly
// opened and migrated database that is closed when the subtest ends.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for engine, dsn := range DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fn(t, db)
		})
	}
}
