package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, connectError(dsn, err)
	}
	// Bounded so that many concurrent web requests cannot exhaust the
	// server's max_connections; idle connections are kept for reuse.
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, connectError(dsn, err)
	}
	return &DB{engine: Postgres, w: db, r: db}, nil
}

// safeError is an error whose message has had secrets removed. It unwraps
// only to context errors, so the original (possibly secret-bearing) driver
// error cannot be printed by a caller that unwraps it.
type safeError struct {
	msg   string
	cause error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.cause }

// connectError describes a failed PostgreSQL connection without the DSN's
// password, and says what to check.
func connectError(dsn string, err error) error {
	where := "PostgreSQL"
	if u, perr := url.Parse(dsn); perr == nil {
		where = fmt.Sprintf("PostgreSQL at %s%s", u.Host, u.Path)
		if u.User != nil && u.User.Username() != "" {
			where += " as " + u.User.Username()
		}
	}
	hint := "check that the server is running and reachable, and the host, port, database name, user and password in the DSN (or PGPASSWORD)"
	var perr *pgconn.ParseConfigError
	if errors.As(err, &perr) {
		hint = "check the DSN's syntax (postgres://user:password@host:port/database?sslmode=…)"
	}
	e := &safeError{msg: fmt.Sprintf("connect to %s: %s; %s", where, redact(dsn, err.Error()), hint)}
	switch {
	case errors.Is(err, context.Canceled):
		e.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.cause = context.DeadlineExceeded
	}
	return e
}

// redact removes every password found in dsn from s.
func redact(dsn, s string) string {
	var secrets []string
	if u, err := url.Parse(dsn); err == nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
		q := u.Query()
		secrets = append(secrets, q.Get("password"), q.Get("sslpassword"))
	} else if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		// Unparsable URL: treat everything after the user name as secret.
		userinfo := dsn[i+3 : j]
		if k := strings.Index(userinfo, ":"); k >= 0 {
			secrets = append(secrets, userinfo[k+1:])
		}
	}
	for _, p := range secrets {
		if p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
	}
	return s
}
