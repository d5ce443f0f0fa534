package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"
	"time"
)

// Sources of a person mapping, a team or a membership (schemaV4).
const (
	SourceAuto   = "auto"
	SourceConfig = "config"
	SourceCLI    = "cli"
)

// githubNoreply matches GitHub's commit e-mail addresses,
// ID+LOGIN@users.noreply.github.com and the older LOGIN@users.noreply.github.com.
var githubNoreply = regexp.MustCompile(`^(?:[0-9]+\+)?([^@+]+)@users\.noreply\.github\.com$`)

// PersonKey is the key that joins an identity to a person (metrics.md §1):
// the lowercased e-mail; github:LOGIN for a GitHub noreply address, so that
// it meets the provider account LOGIN; name:NAME (lowercased) for an
// identity without e-mail.
func PersonKey(name, email string) string {
	e := strings.ToLower(strings.TrimSpace(email))
	if m := githubNoreply.FindStringSubmatch(e); m != nil {
		return "github:" + m[1]
	}
	if e == "" {
		return "name:" + strings.ToLower(strings.TrimSpace(name))
	}
	return e
}

// AuthorDay is the calendar day of t in its own UTC offset, as days since
// 1970-01-01 (commits.author_day).
func AuthorDay(t time.Time) int {
	_, off := t.Zone()
	s := t.Unix() + int64(off)
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return int(d)
}

// DayTime is the start of day (AuthorDay's numbering) as a UTC time, for
// printing.
func DayTime(day int) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// Impact is a commit's impact (docs/metrics.md): with H = HALOC, F = files
// changed, K = hunks and L = legacy refactor,
//
//	impact = √H × (1 + ln F ÷ 2) × (1 + ln K ÷ 4) × (1 + L ÷ H)
//
// and 0 when H is 0. It grows with HALOC (sub-linearly), with the number of
// files and of edit locations (logarithmically) and with the share of
// legacy refactor (up to twice). ImpactHundredths is what is stored.
func Impact(haloc, files, hunks, legacy int) float64 {
	if haloc <= 0 {
		return 0
	}
	f, k := float64(max(files, 1)), float64(max(hunks, 1))
	return math.Sqrt(float64(haloc)) * (1 + math.Log(f)/2) * (1 + math.Log(k)/4) * (1 + float64(legacy)/float64(haloc))
}

// ImpactHundredths is Impact in hundredths, rounded half away from zero:
// stored as an integer so that sums over commits are exact.
func ImpactHundredths(haloc, files, hunks, legacy int) int64 {
	return int64(math.Round(Impact(haloc, files, hunks, legacy) * 100))
}

// fillImpact computes commits.impact for rows stored before schemaV4.
func fillImpact(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, haloc, files_changed, hunks, legacy_refactor FROM commits WHERE haloc > 0`)
	if err != nil {
		return fmt.Errorf("fill impact: %w", err)
	}
	type upd struct{ id, impact int64 }
	var ups []upd
	for rows.Next() {
		var id int64
		var h, f, k, l int
		if err := rows.Scan(&id, &h, &f, &k, &l); err != nil {
			rows.Close()
			return fmt.Errorf("fill impact: %w", err)
		}
		ups = append(ups, upd{id, ImpactHundredths(h, f, k, l)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fill impact: %w", err)
	}
	for _, u := range ups {
		if _, err := tx.ExecContext(ctx, `UPDATE commits SET impact = $1 WHERE id = $2`, u.impact, u.id); err != nil {
			return fmt.Errorf("fill impact: %w", err)
		}
	}
	return nil
}

// fillPeople gives every identity without a person its key and its person:
// the person that key already maps to, or a new one named after the
// identity (SourceAuto).
func fillPeople(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, email FROM identities WHERE person_id IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("assign people: %w", err)
	}
	type ident struct {
		id          int64
		name, email string
	}
	var ids []ident
	for rows.Next() {
		var i ident
		if err := rows.Scan(&i.id, &i.name, &i.email); err != nil {
			rows.Close()
			return fmt.Errorf("assign people: %w", err)
		}
		ids = append(ids, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("assign people: %w", err)
	}
	for _, i := range ids {
		key := PersonKey(i.name, i.email)
		pid, err := personForKey(ctx, tx, key, i.name)
		if err != nil {
			return fmt.Errorf("assign people: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET person_key = $1, person_id = $2 WHERE id = $3`, key, pid, i.id); err != nil {
			return fmt.Errorf("assign people: %w", err)
		}
	}
	return nil
}

// personForKey returns the person key maps to, creating the person (named
// name, with key as its own key) and the mapping if there is none. It is
// safe against a concurrent transaction doing the same (PostgreSQL).
func personForKey(ctx context.Context, tx *sql.Tx, key, name string) (int64, error) {
	var pid int64
	err := tx.QueryRowContext(ctx, `SELECT person_id FROM person_keys WHERE key = $1`, key).Scan(&pid)
	if err == nil {
		return pid, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	// A person whose own key this is may exist without the mapping (its
	// key was merged away and split off again): reuse it.
	err = tx.QueryRowContext(ctx, `INSERT INTO people (key, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING RETURNING id`, key, name, time.Now().Unix()).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT id FROM people WHERE key = $1`, key).Scan(&pid)
	}
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO person_keys (key, person_id, source) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, pid, SourceAuto); err != nil {
		return 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT person_id FROM person_keys WHERE key = $1`, key).Scan(&pid)
	return pid, err
}

// IsBot reports whether an author is a bot (metrics.md §1): names ending in
// [bot], dependabot*, renovate*, github-actions*, or a configured pattern
// (path.Match syntax, matched against the lowercased name and e-mail).
func IsBot(name, email string, patterns []string) bool {
	n, e := strings.ToLower(name), strings.ToLower(email)
	local := e
	if i := strings.IndexByte(e, '@'); i >= 0 {
		local = e[:i]
	}
	if strings.HasSuffix(n, "[bot]") || strings.HasSuffix(local, "[bot]") {
		return true
	}
	for _, p := range []string{"dependabot", "renovate", "github-actions"} {
		if strings.HasPrefix(n, p) || strings.HasPrefix(local, p) {
			return true
		}
	}
	for _, p := range patterns {
		p = strings.ToLower(p)
		if ok, _ := path.Match(p, n); ok {
			return true
		}
		if ok, _ := path.Match(p, e); ok {
			return true
		}
	}
	return false
}

// RefreshBots sets people.bot: a person is a bot when any of its
// identities is (IsBot with the configured patterns). Run it after a sync
// and whenever the patterns may have changed; it is cheap (one pass over
// the identities).
func (db *DB) RefreshBots(ctx context.Context, patterns []string) error {
	rows, err := db.w.QueryContext(ctx, `SELECT person_id, name, email FROM identities WHERE person_id IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("refresh bots: %w", err)
	}
	bots := map[int64]bool{}
	for rows.Next() {
		var pid int64
		var name, email string
		if err := rows.Scan(&pid, &name, &email); err != nil {
			rows.Close()
			return fmt.Errorf("refresh bots: %w", err)
		}
		if IsBot(name, email, patterns) {
			bots[pid] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("refresh bots: %w", err)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE people SET bot = FALSE WHERE bot`); err != nil {
			return fmt.Errorf("refresh bots: %w", err)
		}
		for id := range bots {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET bot = TRUE WHERE id = $1`, id); err != nil {
				return fmt.Errorf("refresh bots: %w", err)
			}
		}
		return nil
	})
}
