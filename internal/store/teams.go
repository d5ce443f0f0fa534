package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Team is a team and its direct members. ParentID is 0 for a top-level
// team.
type Team struct {
	ID       int64
	Name     string
	ParentID int64
	Source   string
	Members  []Member
}

// Member is one membership of a person in a team. Since and Until are days
// in AuthorDay's numbering, [Since, Until); nil is open.
type Member struct {
	PersonID   int64
	PersonKey  string
	PersonName string
	Since      *int
	Until      *int
	Source     string
}

// CreateTeam creates a team under parentID (0: top level) and returns its
// id.
func (db *DB) CreateTeam(ctx context.Context, name string, parentID int64, source string) (int64, error) {
	var parent any
	if parentID != 0 {
		parent = parentID
	}
	var id int64
	err := db.w.QueryRowContext(ctx, `INSERT INTO teams (name, parent_id, source, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		CleanText(name), parent, source, time.Now().Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create team %q: %w", name, err)
	}
	return id, nil
}

// AddTeamMember makes a person a member of a team over [since, until)
// (days in AuthorDay's numbering; nil is open).
func (db *DB) AddTeamMember(ctx context.Context, teamID, personID int64, since, until *int, source string) error {
	if since != nil && until != nil && *since >= *until {
		return fmt.Errorf("membership from %s until %s: the end must come after the start",
			DayTime(*since).Format(time.DateOnly), DayTime(*until).Format(time.DateOnly))
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO team_members (team_id, person_id, since_day, until_day, source) VALUES ($1, $2, $3, $4, $5)`,
		teamID, personID, dayArg(since), dayArg(until), source)
	if err != nil {
		return fmt.Errorf("add member %d to team %d: %w", personID, teamID, err)
	}
	return nil
}

func dayArg(d *int) any {
	if d == nil {
		return nil
	}
	return *d
}

// Teams returns every team with its direct members, ordered by name.
// With EnableCache the answer may be shared: do not modify its elements.
func (db *DB) Teams(ctx context.Context) ([]Team, error) {
	teams, err := cached(ctx, db, "teams", func(ctx context.Context) ([]Team, int64, error) {
		teams, err := db.teams(ctx)
		size := int64(0)
		for _, t := range teams {
			size += 96 + int64(len(t.Name)+len(t.Source))
			for _, m := range t.Members {
				size += 112 + int64(len(m.PersonKey)+len(m.PersonName)+len(m.Source))
			}
		}
		return teams, size, err
	})
	return slices.Clone(teams), err
}

func (db *DB) teams(ctx context.Context) ([]Team, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, COALESCE(parent_id, 0), source FROM teams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read teams: %w", err)
	}
	var teams []Team
	index := map[int64]int{}
	for rows.Next() {
		var t Team
		if err := rows.Scan(&t.ID, &t.Name, &t.ParentID, &t.Source); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read teams: %w", err)
		}
		index[t.ID] = len(teams)
		teams = append(teams, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read teams: %w", err)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT m.team_id, m.person_id, p.key, p.name, m.since_day, m.until_day, m.source
		FROM team_members m JOIN people p ON p.id = m.person_id ORDER BY p.name, p.key, m.since_day`)
	if err != nil {
		return nil, fmt.Errorf("read team members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			team         int64
			m            Member
			since, until sql.NullInt64
		)
		if err := rows.Scan(&team, &m.PersonID, &m.PersonKey, &m.PersonName, &since, &until, &m.Source); err != nil {
			return nil, fmt.Errorf("read team members: %w", err)
		}
		if since.Valid {
			d := int(since.Int64)
			m.Since = &d
		}
		if until.Valid {
			d := int(until.Int64)
			m.Until = &d
		}
		if i, ok := index[team]; ok {
			teams[i].Members = append(teams[i].Members, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read team members: %w", err)
	}
	return teams, nil
}

// TeamByName returns the team named name, or an error wrapping ErrNotFound.
func (db *DB) TeamByName(ctx context.Context, name string) (Team, error) {
	teams, err := db.Teams(ctx)
	if err != nil {
		return Team{}, err
	}
	for _, t := range teams {
		if t.Name == name {
			return t, nil
		}
	}
	return Team{}, fmt.Errorf("team %q: %w", name, ErrNotFound)
}

// PersonIDByKey returns the id of the person a key (PersonKey) maps to, or
// an error wrapping ErrNotFound.
func (db *DB) PersonIDByKey(ctx context.Context, key string) (int64, error) {
	var id int64
	err := db.r.QueryRowContext(ctx, `SELECT person_id FROM person_keys WHERE key = $1`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("person %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("look up person %q: %w", key, err)
	}
	return id, nil
}

// TeamSpec is a team as sluice.yaml defines it, for ReplaceConfigTeams.
// Parent is the parent team's name ("" for a top-level team); a parent
// comes before its subteams in the list.
type TeamSpec struct {
	Name    string
	Parent  string
	Members []MemberSpec
}

// MemberSpec is one configured membership: [Since, Until) in AuthorDay's
// numbering, nil open.
type MemberSpec struct {
	PersonID int64
	Since    *int
	Until    *int
}

// Overlaps reports whether the periods [since1, until1) and [since2,
// until2) share a day; nil bounds are open.
func Overlaps(since1, until1, since2, until2 *int) bool {
	before := func(s, u *int) bool { return s == nil || u == nil || *s < *u }
	return before(since1, until2) && before(since2, until1)
}

// DeleteTeam deletes a team and its memberships; its subteams move up to
// its parent.
func (db *DB) DeleteTeam(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var parent sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT parent_id FROM teams WHERE id = $1`, id).Scan(&parent)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("team %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("delete team: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET parent_id = $1 WHERE parent_id = $2`, parent, id); err != nil {
			return fmt.Errorf("delete team: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1`, id); err != nil {
			return fmt.Errorf("delete team: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM teams WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete team: %w", err)
		}
		return nil
	})
}

// RemoveTeamMember ends every membership of a person in a team (deletes
// them); it is an error wrapping ErrNotFound when there is none.
func (db *DB) RemoveTeamMember(ctx context.Context, teamID, personID int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1 AND person_id = $2`, teamID, personID)
	if err != nil {
		return fmt.Errorf("remove team member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("person %d is not a member of team %d: %w", personID, teamID, ErrNotFound)
	}
	return nil
}

// SetTeamParent moves a team under parentID (0: top level). A team cannot
// be its own ancestor.
func (db *DB) SetTeamParent(ctx context.Context, teamID, parentID int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkParent(ctx, tx, teamID, parentID); err != nil {
			return err
		}
		var parent any
		if parentID != 0 {
			parent = parentID
		}
		res, err := tx.ExecContext(ctx, `UPDATE teams SET parent_id = $1 WHERE id = $2`, parent, teamID)
		if err != nil {
			return fmt.Errorf("set team parent: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("team %d: %w", teamID, ErrNotFound)
		}
		return nil
	})
}

// checkParent refuses a parent that is teamID itself or one of its
// subteams.
func checkParent(ctx context.Context, tx *sql.Tx, teamID, parentID int64) error {
	for p, steps := parentID, 0; p != 0; steps++ {
		if p == teamID {
			return errors.New("a team cannot be its own ancestor: the new parent is the team itself or one of its subteams")
		}
		if steps > 10000 {
			return errors.New("team parents form a cycle")
		}
		var next sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT parent_id FROM teams WHERE id = $1`, p).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("parent team %d: %w", p, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("set team parent: %w", err)
		}
		p = next.Int64
	}
	return nil
}

// ReplaceConfigTeams makes the teams of source config, and their config
// memberships, exactly specs, in one transaction: config teams no longer
// listed are deleted (their non-config subteams move up), listed ones are
// created or updated (a team of another source with a listed name becomes
// a config team), and every config membership is replaced. Memberships of
// other sources are kept.
func (db *DB) ReplaceConfigTeams(ctx context.Context, specs []TeamSpec) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		existing := map[string]int64{}
		source := map[string]string{}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, source FROM teams`)
		if err != nil {
			return fmt.Errorf("replace config teams: %w", err)
		}
		for rows.Next() {
			var id int64
			var name, src string
			if err := rows.Scan(&id, &name, &src); err != nil {
				rows.Close()
				return fmt.Errorf("replace config teams: %w", err)
			}
			existing[name], source[name] = id, src
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("replace config teams: %w", err)
		}
		ids := map[string]int64{}
		for _, s := range specs {
			name := CleanText(s.Name)
			if _, dup := ids[name]; dup {
				return fmt.Errorf("team %q is defined twice", name)
			}
			var parent any
			if s.Parent != "" {
				pid, ok := ids[CleanText(s.Parent)]
				if !ok {
					return fmt.Errorf("team %q: parent %q must be defined before it", name, s.Parent)
				}
				parent = pid
			}
			if id, ok := existing[name]; ok {
				if _, err := tx.ExecContext(ctx, `UPDATE teams SET parent_id = $1, source = $2 WHERE id = $3`, parent, SourceConfig, id); err != nil {
					return fmt.Errorf("team %q: %w", name, err)
				}
				ids[name] = id
			} else {
				var id int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO teams (name, parent_id, source, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
					name, parent, SourceConfig, time.Now().Unix()).Scan(&id); err != nil {
					return fmt.Errorf("team %q: %w", name, err)
				}
				ids[name] = id
			}
		}
		for name, id := range existing {
			if _, keep := ids[name]; keep || source[name] != SourceConfig {
				continue
			}
			var parent sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT parent_id FROM teams WHERE id = $1`, id).Scan(&parent); err != nil {
				return fmt.Errorf("remove team %q: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE teams SET parent_id = $1 WHERE parent_id = $2`, parent, id); err != nil {
				return fmt.Errorf("remove team %q: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1`, id); err != nil {
				return fmt.Errorf("remove team %q: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM teams WHERE id = $1`, id); err != nil {
				return fmt.Errorf("remove team %q: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE source = $1`, SourceConfig); err != nil {
			return fmt.Errorf("replace config memberships: %w", err)
		}
		for _, s := range specs {
			id := ids[CleanText(s.Name)]
			for _, m := range s.Members {
				if m.Since != nil && m.Until != nil && *m.Since >= *m.Until {
					return fmt.Errorf("team %q: membership from %s until %s: the end must come after the start", s.Name,
						DayTime(*m.Since).Format(time.DateOnly), DayTime(*m.Until).Format(time.DateOnly))
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team_id, person_id, since_day, until_day, source) VALUES ($1, $2, $3, $4, $5)`,
					id, m.PersonID, dayArg(m.Since), dayArg(m.Until), SourceConfig); err != nil {
					return fmt.Errorf("team %q: add member %d: %w", s.Name, m.PersonID, err)
				}
			}
		}
		return nil
	})
}
