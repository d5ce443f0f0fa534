package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
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
	// Only changed flags are written: an unchanged person keeps the data
	// generation (and so the web's cached figures).
	return db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, bot FROM people`)
		if err != nil {
			return fmt.Errorf("refresh bots: %w", err)
		}
		changed := map[int64]bool{}
		for rows.Next() {
			var id int64
			var bot bool
			if err := rows.Scan(&id, &bot); err != nil {
				rows.Close()
				return fmt.Errorf("refresh bots: %w", err)
			}
			if bot != bots[id] {
				changed[id] = bots[id]
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("refresh bots: %w", err)
		}
		for id, bot := range changed {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET bot = $1 WHERE id = $2`, bot, id); err != nil {
				return fmt.Errorf("refresh bots: %w", err)
			}
		}
		return nil
	})
}

// PersonKeyEntry is one key mapped to a person and who made the mapping
// (SourceAuto, SourceConfig or SourceCLI).
type PersonKeyEntry struct {
	Key    string
	Source string
}

// Identity is one git identity of a person and how many commits it
// authored.
type Identity struct {
	Name    string
	Email   string
	Commits int
}

// Person is a person with their keys and identities. Commits sums the
// identities' commits.
type Person struct {
	ID         int64
	Key        string
	Name       string
	Excluded   bool
	Hidden     bool
	Bot        bool
	Keys       []PersonKeyEntry
	Identities []Identity
	Commits    int
}

// People returns every person with their keys, identities and commit
// counts, ordered by name and key. With EnableCache the answer may be
// shared: do not modify its elements.
func (db *DB) People(ctx context.Context) ([]Person, error) {
	people, err := cached(ctx, db, "people", func(ctx context.Context) ([]Person, int64, error) {
		people, err := db.loadPeople(ctx, 0)
		size := int64(0)
		for _, p := range people {
			size += 160 + int64(len(p.Key)+len(p.Name))
			for _, k := range p.Keys {
				size += 32 + int64(len(k.Key)+len(k.Source))
			}
			for _, i := range p.Identities {
				size += 40 + int64(len(i.Name)+len(i.Email))
			}
		}
		return people, size, err
	})
	return slices.Clone(people), err
}

// Person returns the person with id, or an error wrapping ErrNotFound.
func (db *DB) Person(ctx context.Context, id int64) (Person, error) {
	ps, err := db.loadPeople(ctx, id)
	if err != nil {
		return Person{}, err
	}
	if len(ps) == 0 {
		return Person{}, fmt.Errorf("person %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// loadPeople reads one person (id != 0) or all of them.
func (db *DB) loadPeople(ctx context.Context, id int64) ([]Person, error) {
	filter := func(col string) (string, []any) {
		if id == 0 {
			return "", nil
		}
		return " WHERE " + col + " = $1", []any{id}
	}
	w, args := filter("id")
	rows, err := db.r.QueryContext(ctx, `SELECT id, key, name, excluded, hidden, bot FROM people`+w+` ORDER BY name, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("read people: %w", err)
	}
	var people []Person
	index := map[int64]int{}
	for rows.Next() {
		var p Person
		if err := rows.Scan(&p.ID, &p.Key, &p.Name, &p.Excluded, &p.Hidden, &p.Bot); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read people: %w", err)
		}
		index[p.ID] = len(people)
		people = append(people, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read people: %w", err)
	}
	if len(people) == 0 {
		return nil, nil
	}

	w, args = filter("person_id")
	rows, err = db.r.QueryContext(ctx, `SELECT person_id, key, source FROM person_keys`+w+` ORDER BY key`, args...)
	if err != nil {
		return nil, fmt.Errorf("read person keys: %w", err)
	}
	for rows.Next() {
		var pid int64
		var k PersonKeyEntry
		if err := rows.Scan(&pid, &k.Key, &k.Source); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read person keys: %w", err)
		}
		if i, ok := index[pid]; ok {
			people[i].Keys = append(people[i].Keys, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read person keys: %w", err)
	}

	q := `SELECT i.person_id, i.name, i.email, COALESCE(c.n, 0) FROM identities i
		LEFT JOIN (SELECT author_identity_id AS id, COUNT(*) AS n FROM commits GROUP BY author_identity_id) c ON c.id = i.id
		WHERE i.person_id IS NOT NULL ORDER BY i.email, i.name`
	args = nil
	if id != 0 {
		q = `SELECT i.person_id, i.name, i.email, (SELECT COUNT(*) FROM commits c WHERE c.author_identity_id = i.id)
			FROM identities i WHERE i.person_id = $1 ORDER BY i.email, i.name`
		args = []any{id}
	}
	rows, err = db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		var ident Identity
		if err := rows.Scan(&pid, &ident.Name, &ident.Email, &ident.Commits); err != nil {
			return nil, fmt.Errorf("read identities: %w", err)
		}
		if i, ok := index[pid]; ok {
			people[i].Identities = append(people[i].Identities, ident)
			people[i].Commits += ident.Commits
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	return people, nil
}

// FindPerson returns the person ref names: a person key (ann@example.com,
// github:ann), any identity's e-mail (case-insensitive) or a person's name
// when exactly one person has it. An unknown ref is an error wrapping
// ErrNotFound; a name several people share is an error listing their keys.
func (db *DB) FindPerson(ctx context.Context, ref string) (Person, error) {
	id, err := db.FindPersonID(ctx, ref)
	if err != nil {
		return Person{}, err
	}
	return db.Person(ctx, id)
}

// FindPersonID is FindPerson returning only the id (cheaper).
func (db *DB) FindPersonID(ctx context.Context, ref string) (int64, error) {
	r := strings.TrimSpace(ref)
	if r == "" {
		return 0, errors.New("empty person: name one by e-mail, key or name (list them with `sluice people list`)")
	}
	l := strings.ToLower(r)
	one := func(q string, arg any) (int64, bool, error) {
		var id int64
		err := db.r.QueryRowContext(ctx, q, arg).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("look up person %q: %w", ref, err)
		}
		return id, true, nil
	}
	keys := []string{l}
	if strings.Contains(l, "@") {
		keys = append(keys, PersonKey("", l))
	}
	if r != l {
		keys = append(keys, r)
	}
	for _, k := range keys {
		if id, ok, err := one(`SELECT person_id FROM person_keys WHERE key = $1`, k); err != nil || ok {
			return id, err
		}
	}
	if strings.Contains(l, "@") {
		if id, ok, err := one(`SELECT person_id FROM identities WHERE email = $1 AND person_id IS NOT NULL ORDER BY id LIMIT 1`, l); err != nil || ok {
			return id, err
		}
	}
	if id, ok, err := one(`SELECT id FROM people WHERE key = $1`, l); err != nil || ok {
		return id, err
	}
	for _, q := range []struct {
		sql string
		arg string
	}{
		{`SELECT id, key FROM people WHERE name = $1 ORDER BY key`, r},
		{`SELECT id, key FROM people WHERE LOWER(name) = $1 ORDER BY key`, l},
	} {
		rows, err := db.r.QueryContext(ctx, q.sql, q.arg)
		if err != nil {
			return 0, fmt.Errorf("look up person %q: %w", ref, err)
		}
		var ids []int64
		var ks []string
		for rows.Next() {
			var id int64
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				rows.Close()
				return 0, fmt.Errorf("look up person %q: %w", ref, err)
			}
			ids, ks = append(ids, id), append(ks, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("look up person %q: %w", ref, err)
		}
		switch {
		case len(ids) == 1:
			return ids[0], nil
		case len(ids) > 1:
			return 0, fmt.Errorf("person %q is ambiguous: %d people have that name (keys %s); name one by its key or e-mail",
				ref, len(ids), strings.Join(ks, ", "))
		}
	}
	return 0, fmt.Errorf("person %q: %w (no such key, e-mail or name); list people with `sluice people list --all`", ref, ErrNotFound)
}

// EnsurePersonKey returns the person key maps to, creating a person named
// name (with key as its own key) when no person has it yet, so that
// identities with that key that arrive later join that person. Unless
// source is SourceAuto, the mapping's source becomes source.
func (db *DB) EnsurePersonKey(ctx context.Context, key, name, source string) (int64, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	if key == "" {
		return 0, errors.New("empty person key")
	}
	if name == "" {
		name = keyName(key)
	}
	var pid int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if pid, err = personForKey(ctx, tx, key, name); err != nil {
			return fmt.Errorf("person key %q: %w", key, err)
		}
		if source != SourceAuto {
			if _, err := tx.ExecContext(ctx, `UPDATE person_keys SET source = $1 WHERE key = $2 AND source <> $1`, source, key); err != nil {
				return fmt.Errorf("person key %q: %w", key, err)
			}
		}
		return nil
	})
	return pid, err
}

// keyName is a display name made from a key: the part of an e-mail before
// @, a login without its provider prefix.
func keyName(key string) string {
	if _, rest, ok := strings.Cut(key, ":"); ok && !strings.Contains(key, "@") {
		return rest
	}
	if local, _, ok := strings.Cut(key, "@"); ok {
		return local
	}
	return key
}

// SetPersonKeySource records who made the mapping of key (SourceConfig for
// the keys of a configured alias).
func (db *DB) SetPersonKeySource(ctx context.Context, key, source string) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE person_keys SET source = $1 WHERE key = $2 AND source <> $1`, source, key); err != nil {
		return fmt.Errorf("set source of person key %q: %w", key, err)
	}
	return nil
}

// PersonKeysBySource returns the keys whose mapping source made.
func (db *DB) PersonKeysBySource(ctx context.Context, source string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key FROM person_keys WHERE source = $1 ORDER BY key`, source)
	if err != nil {
		return nil, fmt.Errorf("read person keys: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("read person keys: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// SetPersonName renames a person.
func (db *DB) SetPersonName(ctx context.Context, id int64, name string) error {
	name = CleanText(strings.TrimSpace(name))
	if name == "" {
		return errors.New("a person's name cannot be empty")
	}
	res, err := db.w.ExecContext(ctx, `UPDATE people SET name = $1 WHERE id = $2`, name, id)
	if err != nil {
		return fmt.Errorf("rename person %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("person %d: %w", id, ErrNotFound)
	}
	return nil
}

// SetPersonFlags sets a person's excluded (left out of metrics) and hidden
// (also left out of lists) flags; a nil flag is left as it is.
func (db *DB) SetPersonFlags(ctx context.Context, id int64, excluded, hidden *bool) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("set person flags: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("person %d: %w", id, ErrNotFound)
		}
		if excluded != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET excluded = $1, excluded_cli = $1 WHERE id = $2`, *excluded, id); err != nil {
				return fmt.Errorf("set person flags: %w", err)
			}
		}
		if hidden != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET hidden = $1, hidden_cli = $1 WHERE id = $2`, *hidden, id); err != nil {
				return fmt.Errorf("set person flags: %w", err)
			}
		}
		return nil
	})
}

// ApplyConfigFlags puts the flags of sluice.yaml's people.exclude and
// people.hide (the ids in exclude and hide; a hidden person is excluded
// too) on top of those SetPersonFlags set, in one transaction: a person no
// longer listed gets back the flags the CLI gave it.
func (db *DB) ApplyConfigFlags(ctx context.Context, exclude, hide []int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE people SET excluded = excluded_cli, hidden = hidden_cli
			WHERE excluded <> excluded_cli OR hidden <> hidden_cli`); err != nil {
			return fmt.Errorf("apply configured flags: %w", err)
		}
		for _, id := range exclude {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET excluded = TRUE WHERE id = $1`, id); err != nil {
				return fmt.Errorf("apply configured flags: %w", err)
			}
		}
		for _, id := range hide {
			if _, err := tx.ExecContext(ctx, `UPDATE people SET excluded = TRUE, hidden = TRUE WHERE id = $1`, id); err != nil {
				return fmt.Errorf("apply configured flags: %w", err)
			}
		}
		return nil
	})
}

// MergePeople merges the people from into the person into, in one
// transaction: their keys (the mappings get source), identities and team
// memberships move to into — a membership overlapping one of into's in the
// same team is dropped, so no day counts twice — their excluded, hidden and
// bot flags are OR-ed into into's, and they are deleted. Ids equal to into
// are ignored.
func (db *DB) MergePeople(ctx context.Context, into int64, from []int64, source string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE id = $1`, into).Scan(&n); err != nil {
			return fmt.Errorf("merge people: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("merge people: person %d: %w", into, ErrNotFound)
		}
		done := map[int64]bool{into: true}
		for _, f := range from {
			if done[f] {
				continue
			}
			done[f] = true
			if err := mergePerson(ctx, tx, into, f, source); err != nil {
				return fmt.Errorf("merge people: %w", err)
			}
		}
		return nil
	})
}

type membership struct {
	team         int64
	since, until sql.NullInt64
	source       string
}

func (m membership) overlaps(o membership) bool {
	// [s1, u1) and [s2, u2) overlap when s1 < u2 and s2 < u1; NULL is open.
	before := func(s, u sql.NullInt64) bool { return !s.Valid || !u.Valid || s.Int64 < u.Int64 }
	return m.team == o.team && before(m.since, o.until) && before(o.since, m.until)
}

func memberships(ctx context.Context, tx *sql.Tx, person int64) ([]membership, error) {
	rows, err := tx.QueryContext(ctx, `SELECT team_id, since_day, until_day, source FROM team_members WHERE person_id = $1`, person)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []membership
	for rows.Next() {
		var m membership
		if err := rows.Scan(&m.team, &m.since, &m.until, &m.source); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

func mergePerson(ctx context.Context, tx *sql.Tx, into, from int64, source string) error {
	var excluded, hidden, excludedCLI, hiddenCLI, bot bool
	err := tx.QueryRowContext(ctx, `SELECT excluded, hidden, excluded_cli, hidden_cli, bot FROM people WHERE id = $1`, from).
		Scan(&excluded, &hidden, &excludedCLI, &hiddenCLI, &bot)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("person %d: %w", from, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE person_keys SET person_id = $1, source = $2 WHERE person_id = $3`, into, source, from); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE identities SET person_id = $1 WHERE person_id = $2`, into, from); err != nil {
		return err
	}
	mine, err := memberships(ctx, tx, into)
	if err != nil {
		return err
	}
	theirs, err := memberships(ctx, tx, from)
	if err != nil {
		return err
	}
	for _, m := range theirs {
		dup := false
		for _, o := range mine {
			if m.overlaps(o) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team_id, person_id, since_day, until_day, source) VALUES ($1, $2, $3, $4, $5)`,
			m.team, into, m.since, m.until, m.source); err != nil {
			return err
		}
		mine = append(mine, m)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE person_id = $1`, from); err != nil {
		return err
	}
	if excluded || hidden || excludedCLI || hiddenCLI || bot {
		if _, err := tx.ExecContext(ctx, `UPDATE people SET excluded = excluded OR $1, hidden = hidden OR $2,
			excluded_cli = excluded_cli OR $3, hidden_cli = hidden_cli OR $4, bot = bot OR $5 WHERE id = $6`,
			excluded, hidden, excludedCLI, hiddenCLI, bot, into); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM people WHERE id = $1`, from)
	return err
}

// SplitPersonKey moves key and the identities that have it off their
// person to a person of their own, named after the identity with the most
// commits, and returns that person's id. The mapping gets source. It is an
// error when key is its person's only key. When key is the person's own key
// (people.key), the person keeps its row — flags and team memberships —
// under another of its keys, and key gets a new person.
func (db *DB) SplitPersonKey(ctx context.Context, key, source string) (int64, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	var newID int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var pid int64
		err := tx.QueryRowContext(ctx, `SELECT person_id FROM person_keys WHERE key = $1`, key).Scan(&pid)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("person key %q: %w; list keys with `sluice people list --all`", key, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		var others []string
		rows, err := tx.QueryContext(ctx, `SELECT key FROM person_keys WHERE person_id = $1 AND key <> $2 ORDER BY key`, pid, key)
		if err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return fmt.Errorf("split %q: %w", key, err)
			}
			others = append(others, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		if len(others) == 0 {
			return fmt.Errorf("%q is the only key of its person; there is nothing to split off", key)
		}
		var own string
		if err := tx.QueryRowContext(ctx, `SELECT key FROM people WHERE id = $1`, pid).Scan(&own); err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		if own == key {
			// The remaining person takes another of its keys as its own.
			var taken int
			for _, k := range others {
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM people WHERE key = $1`, k).Scan(&taken); err != nil {
					return fmt.Errorf("split %q: %w", key, err)
				}
				if taken == 0 {
					if _, err := tx.ExecContext(ctx, `UPDATE people SET key = $1 WHERE id = $2`, k, pid); err != nil {
						return fmt.Errorf("split %q: %w", key, err)
					}
					own = k
					break
				}
			}
			if own == key {
				return fmt.Errorf("split %q: no other key of its person is free to become its own", key)
			}
		}
		name := keyName(key)
		var n string
		err = tx.QueryRowContext(ctx, `SELECT i.name FROM identities i WHERE i.person_key = $1 AND i.person_id = $2
			ORDER BY (SELECT COUNT(*) FROM commits c WHERE c.author_identity_id = i.id) DESC, i.id LIMIT 1`, key, pid).Scan(&n)
		switch {
		case err == nil && strings.TrimSpace(n) != "":
			name = n
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("split %q: %w", key, err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO people (key, name, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO NOTHING RETURNING id`, key, name, time.Now().Unix()).Scan(&newID)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT id FROM people WHERE key = $1`, key).Scan(&newID)
		}
		if err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE person_keys SET person_id = $1, source = $2 WHERE key = $3`, newID, source, key); err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET person_id = $1 WHERE person_key = $2 AND person_id = $3`, newID, key, pid); err != nil {
			return fmt.Errorf("split %q: %w", key, err)
		}
		return nil
	})
	return newID, err
}

// NormalizeName is a person's name as compared for suggested merges:
// lowercased, trimmed, inner runs of spaces collapsed.
func NormalizeName(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), " ")
}

// SuggestedMerges returns groups of two or more different people who are
// not bots and whose names are equal after NormalizeName: likely one
// person under several e-mails. Groups are ordered by name.
//
// Pairs dismissed with DismissSuggestion are left out: a person leaves its
// group once dismissed against every other member, so a group goes when
// all its pairs are dismissed. Someone new with the name brings it back,
// with everyone they may be.
func (db *DB) SuggestedMerges(ctx context.Context) ([][]Person, error) {
	people, err := db.People(ctx)
	if err != nil {
		return nil, err
	}
	dismissed, err := db.dismissedPairs(ctx)
	if err != nil {
		return nil, err
	}
	groups := map[string][]Person{}
	var order []string
	for _, p := range people {
		n := NormalizeName(p.Name)
		if p.Bot || n == "" {
			continue
		}
		if _, ok := groups[n]; !ok {
			order = append(order, n)
		}
		groups[n] = append(groups[n], p)
	}
	var out [][]Person
	for _, n := range order {
		g := groups[n]
		if len(g) > 1 && len(dismissed) > 0 {
			var kept []Person
			for i, p := range g {
				for j, q := range g {
					if i != j && !dismissed.between(p, q) {
						kept = append(kept, p)
						break
					}
				}
			}
			g = kept
		}
		if len(g) > 1 {
			out = append(out, g)
		}
	}
	return out, nil
}

// keyPair is a dismissed pair of identity keys, the smaller (byte order)
// first.
type keyPair [2]string

func pairOf(a, b string) keyPair {
	if b < a {
		a, b = b, a
	}
	return keyPair{a, b}
}

// dismissals is the set of dismissed key pairs.
type dismissals map[keyPair]bool

// between reports whether p and q were dismissed as one person: some key of
// p was dismissed against some key of q. Dismissing p and q stored every
// such pair; one is enough, so that a key merged in later, or one left
// after a split, stays dismissed against the other person.
func (d dismissals) between(p, q Person) bool {
	for _, a := range ownAndMappedKeys(p) {
		for _, b := range ownAndMappedKeys(q) {
			if d[pairOf(a, b)] {
				return true
			}
		}
	}
	return false
}

// ownAndMappedKeys are p's own key (which a split may have left without a
// mapping) and the keys mapped to it.
func ownAndMappedKeys(p Person) []string {
	ks := make([]string, 0, len(p.Keys)+1)
	ks = append(ks, p.Key)
	for _, k := range p.Keys {
		if k.Key != p.Key {
			ks = append(ks, k.Key)
		}
	}
	return ks
}

func (db *DB) dismissedPairs(ctx context.Context) (dismissals, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key_a, key_b FROM dismissed_suggestions`)
	if err != nil {
		return nil, fmt.Errorf("read dismissed suggestions: %w", err)
	}
	defer rows.Close()
	d := dismissals{}
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return nil, fmt.Errorf("read dismissed suggestions: %w", err)
		}
		d[pairOf(a, b)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read dismissed suggestions: %w", err)
	}
	return d, nil
}

// DismissSuggestion records that the people with personKeys (their keys or
// any key mapped to them; at least two different people) are not one
// person, so that SuggestedMerges no longer suggests merging them. It
// stores every pair of their keys, one from each person: the dismissal
// follows the identities through later merges and splits (a key merged
// into one of them is dismissed through the person's other keys; each part
// of a split keeps its keys' dismissals). It does not stop a merge made
// on purpose; splitting such a merge again brings the dismissal back.
func (db *DB) DismissSuggestion(ctx context.Context, personKeys ...string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var ids []int64
		keys := map[int64][]string{}
		for _, ref := range personKeys {
			key := strings.ToLower(strings.TrimSpace(ref))
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT person_id FROM person_keys WHERE key = $1`, key).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.QueryRowContext(ctx, `SELECT id FROM people WHERE key = $1`, key).Scan(&id)
			}
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("person key %q: %w; list keys with `sluice people list --all`", key, ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("dismiss suggestion: %w", err)
			}
			if _, seen := keys[id]; seen {
				continue
			}
			ks, err := keysOf(ctx, tx, id)
			if err != nil {
				return fmt.Errorf("dismiss suggestion: %w", err)
			}
			ids, keys[id] = append(ids, id), ks
		}
		switch {
		case len(personKeys) < 2:
			return errors.New("name two or more people to dismiss as not one person")
		case len(ids) < 2:
			return fmt.Errorf("%s are all one person; name two or more different people", strings.Join(personKeys, ", "))
		}
		now := time.Now().Unix()
		for i, p := range ids {
			for _, q := range ids[i+1:] {
				for _, a := range keys[p] {
					for _, b := range keys[q] {
						k := pairOf(a, b)
						if _, err := tx.ExecContext(ctx, `INSERT INTO dismissed_suggestions (key_a, key_b, created_at) VALUES ($1, $2, $3)
							ON CONFLICT (key_a, key_b) DO NOTHING`, k[0], k[1], now); err != nil {
							return fmt.Errorf("dismiss suggestion: %w", err)
						}
					}
				}
			}
		}
		return nil
	})
}

// keysOf returns person id's own key and the keys mapped to it.
func keysOf(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) {
	var own string
	if err := tx.QueryRowContext(ctx, `SELECT key FROM people WHERE id = $1`, id).Scan(&own); err != nil {
		return nil, err
	}
	ks := []string{own}
	rows, err := tx.QueryContext(ctx, `SELECT key FROM person_keys WHERE person_id = $1 AND key <> $2 ORDER BY key`, id, own)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	return ks, rows.Err()
}

// IdentityPersonKeys maps every identity key (PersonKey: a lowercased
// e-mail, github:LOGIN, name:NAME) known to the people tables — those of
// stored identities and those configured or merged before any commit of
// theirs was stored — to the key of its person (people.key).
func (db *DB) IdentityPersonKeys(ctx context.Context) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT pk.key, p.key FROM person_keys pk JOIN people p ON p.id = pk.person_id`)
	if err != nil {
		return nil, fmt.Errorf("read person keys: %w", err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var key, person string
		if err := rows.Scan(&key, &person); err != nil {
			return nil, fmt.Errorf("read person keys: %w", err)
		}
		m[key] = person
	}
	return m, rows.Err()
}
