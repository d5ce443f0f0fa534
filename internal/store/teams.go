package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
func (db *DB) Teams(ctx context.Context) ([]Team, error) {
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
