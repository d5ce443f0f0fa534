package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Rows per multi-row INSERT: few round trips (what PostgreSQL's speed
// depends on) while staying far below both engines' parameter limits
// (SQLite 32766, PostgreSQL 65535).
const (
	commitsPerInsert = 200  // × 27 parameters
	filesPerInsert   = 1000 // × 8 parameters
	workPerUpdate    = 200  // × 9 parameters
)

// SaveBatch upserts commits (their files and author/committer identities)
// and cp in one transaction. A commit already stored for the repository
// keeps its row and its files as first stored, except for its
// line-provenance figures (Hunks, HALOC, the work types, Outlier), which
// are updated to the new values: a re-analysis may recompute them. A
// repeated SHA within commits is skipped after its first occurrence.
// cp.RepositoryID may be 0 or must equal repoID.
func (db *DB) SaveBatch(ctx context.Context, repoID int64, commits []Commit, cp Checkpoint) error {
	if cp.RepositoryID != 0 && cp.RepositoryID != repoID {
		return fmt.Errorf("save batch for repository %d: checkpoint is for repository %d", repoID, cp.RepositoryID)
	}
	tips, pending, err := encodeCheckpoint(cp)
	if err != nil {
		return fmt.Errorf("save batch for repository %d: %w", repoID, err)
	}
	b := &batch{db: db, repoID: repoID, created: map[identityKey]int64{}}
	// Prepared outside the transaction: on SQLite it holds the one write
	// connection.
	if len(commits) >= commitsPerInsert {
		if b.commitsStmt, err = db.shared(ctx, db.insertCommitsSQL(commitsPerInsert)); err != nil {
			return fmt.Errorf("save batch for repository %d: %w", repoID, err)
		}
		if b.filesStmt, err = db.shared(ctx, db.insertFilesSQL(filesPerInsert)); err != nil {
			return fmt.Errorf("save batch for repository %d: %w", repoID, err)
		}
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		b.tx = tx
		if err := b.saveCommits(ctx, commits); err != nil {
			return err
		}
		if err := saveCheckpoint(ctx, tx, repoID, tips, pending, cp.Stored, cp.Settings); err != nil {
			return err
		}
		if len(commits) == 0 {
			return nil
		}
		return bumpGeneration(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("save batch for repository %d: %w", repoID, err)
	}
	// Only committed identities may be cached: a rolled-back id may be reused.
	for k, id := range b.created {
		db.identities.Store(k, id)
	}
	return nil
}

// batch is one SaveBatch transaction.
type batch struct {
	db      *DB
	tx      *sql.Tx
	repoID  int64
	created map[identityKey]int64 // identities resolved in this transaction
	// commitsStmt and filesStmt, when set, are the full-size INSERTs
	// prepared once per DB (shared).
	commitsStmt, filesStmt *sql.Stmt
}

// identityKey is an identity as stored: clean name, clean lowercased email.
type identityKey struct{ name, email string }

// commitValues is a commit with its strings cleaned and identities resolved.
type commitValues struct {
	c                             *Commit
	sha, parents, subject         string
	authorName, authorEmail       string
	committerName, committerEmail string
	authorID, committerID         int64
}

func (b *batch) saveCommits(ctx context.Context, commits []Commit) error {
	rows := make([]commitValues, 0, len(commits))
	seen := make(map[string]bool, len(commits))
	for i := range commits {
		c := &commits[i]
		v := commitValues{
			c: c, sha: CleanText(c.SHA), parents: CleanText(strings.Join(c.Parents, " ")), subject: CleanText(c.Subject),
			authorName: CleanText(c.AuthorName), authorEmail: CleanText(c.AuthorEmail),
			committerName: CleanText(c.CommitterName), committerEmail: CleanText(c.CommitterEmail),
		}
		if seen[v.sha] {
			continue
		}
		seen[v.sha] = true
		var err error
		if v.authorID, err = b.identity(ctx, v.authorName, v.authorEmail); err != nil {
			return fmt.Errorf("commit %s: %w", v.sha, err)
		}
		if v.committerID, err = b.identity(ctx, v.committerName, v.committerEmail); err != nil {
			return fmt.Errorf("commit %s: %w", v.sha, err)
		}
		rows = append(rows, v)
	}

	inserted := make(map[string]int64, len(rows))
	for start := 0; start < len(rows); start += commitsPerInsert {
		if err := b.insertCommits(ctx, rows[start:min(start+commitsPerInsert, len(rows))], inserted); err != nil {
			return err
		}
	}
	// Commits that were stored already get their figures updated.
	var stored []commitValues
	for _, v := range rows {
		if _, ok := inserted[v.sha]; !ok {
			stored = append(stored, v)
		}
	}
	for start := 0; start < len(stored); start += workPerUpdate {
		if err := b.updateWork(ctx, stored[start:min(start+workPerUpdate, len(stored))]); err != nil {
			return err
		}
	}

	// Files only of commits inserted now: a stored commit keeps its rows.
	const cols = 8
	args := make([]any, 0, filesPerInsert*cols)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var err error
		if len(args) == filesPerInsert*cols && b.filesStmt != nil {
			_, err = b.tx.StmtContext(ctx, b.filesStmt).ExecContext(ctx, args...)
		} else {
			_, err = b.tx.ExecContext(ctx, b.db.insertFilesSQL(len(args)/cols), args...)
		}
		if err != nil {
			return fmt.Errorf("insert file changes: %w", err)
		}
		args = args[:0]
		return nil
	}
	for _, v := range rows {
		id, ok := inserted[v.sha]
		if !ok {
			continue
		}
		for i, f := range v.c.Files {
			args = append(args, id, i, CleanText(f.Path), CleanText(f.OldPath), f.Additions, f.Deletions, f.Binary, f.Excluded)
			if len(args) == cap(args) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// insertCommits inserts rows, skipping SHAs already stored, and records the
// ids of the inserted ones in inserted.
func (b *batch) insertCommits(ctx context.Context, rows []commitValues, inserted map[string]int64) error {
	const cols = 27
	args := make([]any, 0, len(rows)*cols)
	for _, v := range rows {
		c := v.c
		args = append(args, b.repoID, v.sha, v.parents,
			v.authorID, v.authorName, v.authorEmail, c.AuthorTime.Unix(), zoneOffset(c.AuthorTime),
			v.committerID, v.committerName, v.committerEmail, c.CommitterTime.Unix(), zoneOffset(c.CommitterTime),
			v.subject, c.IsMerge, c.Additions, c.Deletions, c.FilesChanged,
			c.Hunks, c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework, c.Outlier,
			AuthorDay(c.AuthorTime), ImpactHundredths(c.HALOC, c.FilesChanged, c.Hunks, c.LegacyRefactor))
	}
	var res *sql.Rows
	var err error
	if len(rows) == commitsPerInsert && b.commitsStmt != nil {
		res, err = b.tx.StmtContext(ctx, b.commitsStmt).QueryContext(ctx, args...)
	} else {
		res, err = b.tx.QueryContext(ctx, b.db.insertCommitsSQL(len(rows)), args...)
	}
	if err != nil {
		return fmt.Errorf("insert commits %s…: %w", rows[0].sha, err)
	}
	defer res.Close()
	for res.Next() {
		var (
			id  int64
			sha string
		)
		if err := res.Scan(&id, &sha); err != nil {
			return fmt.Errorf("insert commits: %w", err)
		}
		inserted[sha] = id
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("insert commits %s…: %w", rows[0].sha, err)
	}
	return nil
}

// insertCommitsSQL is the INSERT of rows commits (27 parameters each).
func (db *DB) insertCommitsSQL(rows int) string {
	return `INSERT INTO commits (repository_id, sha, parents,
			author_identity_id, author_name, author_email, author_time, author_tz_offset,
			committer_identity_id, committer_name, committer_email, committer_time, committer_tz_offset,
			subject, is_merge, additions, deletions, files_changed,
			hunks, haloc, new_work, legacy_refactor, help_others, rework, outlier,
			author_day, impact)
		VALUES ` + db.placeholders(rows, 27, 1) + `
		ON CONFLICT (repository_id, sha) DO NOTHING
		RETURNING id, sha`
}

// insertFilesSQL is the INSERT of rows file changes (8 parameters each).
func (db *DB) insertFilesSQL(rows int) string {
	return `INSERT INTO file_changes (commit_id, idx, path, old_path, additions, deletions, is_binary, is_excluded) VALUES ` +
		db.placeholders(rows, 8, 1) + ` ON CONFLICT (commit_id, idx) DO NOTHING`
}

// shared returns q prepared once per DB for reuse, or nil where it is not
// worth it. Only SQLite's full-size multi-row statements are shared: their
// parsing cost as much CPU as running them. PostgreSQL parses on the
// server, and a statement prepared on one of its pooled connections would
// be prepared again for each transaction.
func (db *DB) shared(ctx context.Context, q string) (*sql.Stmt, error) {
	if db.engine != SQLite {
		return nil, nil
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.stmts[q]; ok {
		return st, nil
	}
	st, err := db.w.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[q] = st
	return st, nil
}

// updateWork sets the line-provenance figures of rows, which are stored
// already, where they differ. One statement per call: the new values are a
// VALUES list joined on the SHA (UPDATE … FROM, which both engines have).
func (b *batch) updateWork(ctx context.Context, rows []commitValues) error {
	const cols = 9
	args := make([]any, 0, len(rows)*cols+1)
	var list strings.Builder
	n := 0
	param := func(cast string) string {
		n++
		p := "?"
		if b.db.engine == Postgres {
			p = "$" + strconv.Itoa(n)
		}
		if cast == "" {
			return p
		}
		// PostgreSQL would take untyped parameters in VALUES for text.
		return "CAST(" + p + " AS " + cast + ")"
	}
	for i, v := range rows {
		c := v.c
		if i > 0 {
			list.WriteString(", ")
		}
		list.WriteString("(" + param(""))
		for range 6 {
			list.WriteString(", " + param("INTEGER"))
		}
		list.WriteString(", " + param("BOOLEAN") + ", " + param("INTEGER") + ")")
		args = append(args, v.sha, c.Hunks, c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework, c.Outlier,
			ImpactHundredths(c.HALOC, c.FilesChanged, c.Hunks, c.LegacyRefactor))
	}
	// The repository comes last, as it comes last in the text (SQLite
	// numbers its anonymous parameters in order).
	repo := param("")
	args = append(args, b.repoID)
	q := `UPDATE commits SET hunks = v.column2, haloc = v.column3, new_work = v.column4,
			legacy_refactor = v.column5, help_others = v.column6, rework = v.column7, outlier = v.column8,
			impact = v.column9
		FROM (VALUES ` + list.String() + `) AS v
		WHERE commits.repository_id = ` + repo + ` AND commits.sha = v.column1
			AND (commits.hunks <> v.column2 OR commits.haloc <> v.column3 OR commits.new_work <> v.column4
				OR commits.legacy_refactor <> v.column5 OR commits.help_others <> v.column6
				OR commits.rework <> v.column7 OR commits.outlier <> v.column8 OR commits.impact <> v.column9)`
	if _, err := b.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("update work figures of commits %s…: %w", rows[0].sha, err)
	}
	return nil
}

// identity returns the id of the identity (name, lowercased email), creating
// it if needed. name and email are already clean.
func (b *batch) identity(ctx context.Context, name, email string) (int64, error) {
	k := identityKey{name, strings.ToLower(email)}
	if id, ok := b.created[k]; ok {
		return id, nil
	}
	if id, ok := b.db.identities.Load(k); ok {
		return id.(int64), nil
	}
	// Look first: on a re-sync nearly every identity exists.
	var id int64
	err := b.tx.QueryRowContext(ctx, `SELECT id FROM identities WHERE email = $1 AND name = $2`, k.email, k.name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// DO NOTHING returns no row if a concurrent transaction inserted it
		// first; the SELECT then sees its committed row.
		key := PersonKey(k.name, k.email)
		var pid int64
		if pid, err = personForKey(ctx, b.tx, key, k.name); err != nil {
			return 0, fmt.Errorf("identity %s <%s>: person: %w", k.name, k.email, err)
		}
		// The default bot patterns apply at once; configured ones when
		// sluice.yaml is applied (RefreshBots).
		if IsBot(k.name, k.email, nil) {
			if _, err = b.tx.ExecContext(ctx, `UPDATE people SET bot = TRUE WHERE id = $1`, pid); err != nil {
				return 0, fmt.Errorf("identity %s <%s>: person: %w", k.name, k.email, err)
			}
		}
		err = b.tx.QueryRowContext(ctx, `INSERT INTO identities (name, email, person_key, person_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (email, name) DO NOTHING RETURNING id`, k.name, k.email, key, pid).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = b.tx.QueryRowContext(ctx, `SELECT id FROM identities WHERE email = $1 AND name = $2`, k.email, k.name).Scan(&id)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("identity %s <%s>: %w", k.name, k.email, err)
	}
	b.created[k] = id
	return id, nil
}

// placeholders returns "(p, …), (…)": rows groups of cols parameters,
// numbered from first. PostgreSQL gets $N; SQLite gets anonymous "?",
// because it looks named and numbered parameters up by a linear scan while
// parsing, which makes a statement with thousands of $N quadratic to
// prepare (SQLite numbers each "?" as the previous parameter + 1).
func (db *DB) placeholders(rows, cols, first int) string {
	var s strings.Builder
	s.Grow(rows * cols * 6)
	n := first
	for r := range rows {
		if r > 0 {
			s.WriteString(", ")
		}
		if cols > 1 {
			s.WriteByte('(')
		}
		for c := range cols {
			if c > 0 {
				s.WriteString(", ")
			}
			if db.engine == SQLite {
				s.WriteByte('?')
			} else {
				s.WriteByte('$')
				s.WriteString(strconv.Itoa(n))
			}
			n++
		}
		if cols > 1 {
			s.WriteByte(')')
		}
	}
	return s.String()
}
