package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Roles of a web user. An admin may change settings; a viewer only reads.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// Errors of the user and token writes. They are wrapped with the user's
// name; test with errors.Is.
var (
	// ErrUserExists is returned by CreateUser for a name already taken.
	ErrUserExists = errors.New("a user with this name already exists")
	// ErrLastAdmin is returned when a delete or demotion would leave no
	// admin, and with it nobody able to manage users from the web.
	ErrLastAdmin = errors.New("it is the last admin")
)

// User is a login of the web UI and API. PasswordHash is a bcrypt hash;
// the store never sees a password.
type User struct {
	ID           int64
	Name         string
	PasswordHash string
	Role         string // RoleAdmin or RoleViewer
	CreatedAt    time.Time
	// PasswordChangedAt is when the password was last set. Sessions carry
	// a version derived from it, so setting a password ends them.
	PasswordChangedAt time.Time
}

// APIToken is a stored API token. Only the SHA-256 of the token is kept.
type APIToken struct {
	ID        int64
	UserID    int64
	UserName  string
	Name      string
	TokenHash string // hex SHA-256 of the token
	CreatedAt time.Time
	// LastUsedAt and RevokedAt are zero for never.
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Revoked reports whether the token has been revoked.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

func validRole(role string) error {
	if role != RoleAdmin && role != RoleViewer {
		return fmt.Errorf("role %q is not valid; use %s or %s", role, RoleAdmin, RoleViewer)
	}
	return nil
}

// usersLock keys the PostgreSQL advisory lock that serialises the writes
// guarding "at least one admin" ("users" in ASCII). SQLite's single writer
// already serialises them.
const usersLock = 0x7573657273

// usersTx runs fn in a write transaction that no other user write can
// interleave with, so that the last-admin checks hold.
func (db *DB) usersTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.engine == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(usersLock)); err != nil {
				return fmt.Errorf("take users lock: %w", err)
			}
		}
		return fn(tx)
	})
}

// CreateUser stores a new user with a bcrypt passwordHash and returns it.
func (db *DB) CreateUser(ctx context.Context, name, passwordHash, role string) (User, error) {
	name = CleanText(name)
	if name == "" {
		return User{}, errors.New("create user: the name is empty")
	}
	if passwordHash == "" {
		return User{}, fmt.Errorf("create user %q: no password hash", name)
	}
	if err := validRole(role); err != nil {
		return User{}, fmt.Errorf("create user %q: %w", name, err)
	}
	now := time.Now().Unix()
	u := User{Name: name, PasswordHash: passwordHash, Role: role, CreatedAt: time.Unix(now, 0), PasswordChangedAt: time.Unix(now, 0)}
	err := db.usersTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrUserExists
		}
		return tx.QueryRowContext(ctx, `INSERT INTO users (name, password_hash, role, created_at, password_changed_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, name, passwordHash, role, now).Scan(&u.ID)
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", name, err)
	}
	return u, nil
}

const userColumns = `id, name, password_hash, role, created_at, password_changed_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, changed int64
	if err := row.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.Role, &created, &changed); err != nil {
		return User{}, err
	}
	u.CreatedAt, u.PasswordChangedAt = time.Unix(created, 0), time.Unix(changed, 0)
	return u, nil
}

// UserByName returns the user called name, or ErrNotFound.
func (db *DB) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, CleanText(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %q: %w", name, err)
	}
	return u, nil
}

// UserByID returns the user with this id, or ErrNotFound.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// Users returns every user ordered by name.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("read users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return out, nil
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// otherAdmins counts the admins other than user id.
func otherAdmins(ctx context.Context, tx *sql.Tx, id int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1 AND id <> $2`, RoleAdmin, id).Scan(&n)
	return n, err
}

// userInTx returns the role of the user called name inside tx.
func userInTx(ctx context.Context, tx *sql.Tx, name string) (id int64, role string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT id, role FROM users WHERE name = $1`, name).Scan(&id, &role)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return id, role, err
}

// DeleteUser deletes the user called name and their API tokens. It
// refuses (ErrLastAdmin) to delete the last admin.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	name = CleanText(name)
	err := db.usersTx(ctx, func(tx *sql.Tx) error {
		id, role, err := userInTx(ctx, tx, name)
		if err != nil {
			return err
		}
		if role == RoleAdmin {
			n, err := otherAdmins(ctx, tx, id)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrLastAdmin
			}
		}
		// Tokens go by ON DELETE CASCADE; deleting them here as well keeps
		// that true whatever a connection's foreign_keys setting.
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	return nil
}

// SetUserPassword replaces the user's password hash and moves
// PasswordChangedAt to now, which ends the user's sessions.
func (db *DB) SetUserPassword(ctx context.Context, name, passwordHash string) error {
	name = CleanText(name)
	if passwordHash == "" {
		return fmt.Errorf("set password of %q: no password hash", name)
	}
	res, err := db.w.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE name = $3`,
		passwordHash, time.Now().Unix(), name)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("set password of %q: %w", name, ErrNotFound)
	}
	return nil
}

// SetUserRole changes the user's role. It refuses (ErrLastAdmin) to demote
// the last admin.
func (db *DB) SetUserRole(ctx context.Context, name, role string) error {
	name = CleanText(name)
	if err := validRole(role); err != nil {
		return fmt.Errorf("set role of %q: %w", name, err)
	}
	err := db.usersTx(ctx, func(tx *sql.Tx) error {
		id, old, err := userInTx(ctx, tx, name)
		if err != nil {
			return err
		}
		if old == role {
			return nil
		}
		if old == RoleAdmin {
			n, err := otherAdmins(ctx, tx, id)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrLastAdmin
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET role = $1 WHERE id = $2`, role, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("set role of %q: %w", name, err)
	}
	return nil
}

// CreateAPIToken stores a token of the user, given as the hex SHA-256 of
// the token, under a name the user chose.
func (db *DB) CreateAPIToken(ctx context.Context, userID int64, name, tokenHash string) (APIToken, error) {
	name = CleanText(name)
	if name == "" {
		return APIToken{}, errors.New("create API token: the name is empty")
	}
	if len(tokenHash) != 64 {
		return APIToken{}, fmt.Errorf("create API token %q: the hash is not a hex SHA-256", name)
	}
	now := time.Now().Unix()
	t := APIToken{UserID: userID, Name: name, TokenHash: tokenHash, CreatedAt: time.Unix(now, 0)}
	err := db.w.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, userID, name, tokenHash, now).Scan(&t.ID)
	if err != nil {
		return APIToken{}, fmt.Errorf("create API token %q: %w", name, err)
	}
	if u, err := db.UserByID(ctx, userID); err == nil {
		t.UserName = u.Name
	}
	return t, nil
}

const tokenColumns = `t.id, t.user_id, u.name, t.name, t.token_hash, t.created_at, t.last_used_at, t.revoked_at`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var created int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.UserID, &t.UserName, &t.Name, &t.TokenHash, &created, &used, &revoked); err != nil {
		return APIToken{}, err
	}
	t.CreatedAt = time.Unix(created, 0)
	if used.Valid {
		t.LastUsedAt = time.Unix(used.Int64, 0)
	}
	if revoked.Valid {
		t.RevokedAt = time.Unix(revoked.Int64, 0)
	}
	return t, nil
}

// APITokenByHash returns the token with this hex SHA-256, revoked or not,
// or ErrNotFound.
func (db *DB) APITokenByHash(ctx context.Context, tokenHash string) (APIToken, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, `SELECT `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, fmt.Errorf("API token: %w", ErrNotFound)
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("read API token: %w", err)
	}
	return t, nil
}

// APITokens returns the tokens of the user with userID, or of every user
// when userID is 0, revoked ones included, ordered by id.
func (db *DB) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	query := `SELECT ` + tokenColumns + ` FROM api_tokens t JOIN users u ON u.id = t.user_id`
	var args []any
	if userID != 0 {
		query += ` WHERE t.user_id = $1`
		args = append(args, userID)
	}
	rows, err := db.r.QueryContext(ctx, query+` ORDER BY t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("read API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read API tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken revokes the token with this id; revoking it again keeps
// the first revocation time. It returns ErrNotFound for an unknown id.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, time.Now().Unix(), id)
	if err != nil {
		return fmt.Errorf("revoke API token %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("revoke API token %d: %w", id, ErrNotFound)
	}
	return nil
}

// TouchAPIToken records that the token was used at.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, at.Unix(), id); err != nil {
		return fmt.Errorf("record use of API token %d: %w", id, err)
	}
	return nil
}
