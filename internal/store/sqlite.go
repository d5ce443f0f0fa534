package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqlitePragmas apply to every pooled connection: database/sql opens
// connections lazily, so per-connection settings must live in the DSN.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"

// sqlitePath turns a SQLite dsn into a file path.
func sqlitePath(dsn string) (string, error) {
	p := dsn
	switch {
	case strings.HasPrefix(p, "sqlite://"):
		p = strings.TrimPrefix(p, "sqlite://")
	case strings.HasPrefix(p, "sqlite:"):
		p = strings.TrimPrefix(p, "sqlite:")
	}
	p = strings.TrimPrefix(p, "file:")
	switch {
	case p == "":
		return "", fmt.Errorf("empty SQLite database path; set a file path such as /var/lib/sluice/sluice.db")
	case p == ":memory:" || strings.Contains(p, "mode=memory"):
		return "", fmt.Errorf("in-memory SQLite databases are not supported; use a file path")
	case strings.ContainsAny(p, "?#"):
		return "", fmt.Errorf("SQLite database path %q: query parameters and '?' or '#' in the path are not supported", p)
	}
	return p, nil
}

func openSQLite(ctx context.Context, dsn string) (*DB, error) {
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	// BEGIN IMMEDIATE takes the write lock up front, so a transaction never
	// fails half-way trying to upgrade a read lock held by another process.
	w, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_pragma=journal_mode(WAL)&_pragma=cache_size(-32768)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	// The writer connects first so that WAL mode is set before any reader
	// opens the file. Switching a new file to WAL needs an exclusive lock
	// and SQLite may answer SQLITE_BUSY at once, without its busy handler,
	// when other processes open the file at the same moment: retry.
	if err := pingBusy(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", path+"?"+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	r.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	return &DB{engine: SQLite, w: w, r: r}, nil
}

// busyWait bounds how long pingBusy retries, like busy_timeout.
const busyWait = 10 * time.Second

// pingBusy connects db, retrying for up to busyWait while SQLite answers
// SQLITE_BUSY.
func pingBusy(ctx context.Context, db *sql.DB) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Since(start) > busyWait {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(time.Duration(attempt)*5*time.Millisecond, 100*time.Millisecond)):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code()&0xff == 5
	}
	return strings.Contains(err.Error(), "SQLITE_BUSY")
}
