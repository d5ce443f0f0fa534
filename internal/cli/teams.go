package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/people"
	"github.com/sluicehq/sluice/internal/store"
)

func (a *app) teamsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "teams",
		Short: "List and edit teams and their members",
		Long: `Teams group people for team figures (sluice report --by team). Teams may
nest: a team's figures include its subteams'. A person may be on several
teams, and a membership may start and end (--from, --until), so that
history stays right when people move.

Teams defined in sluice.yaml (teams:) are applied by every command and
cannot be edited here: edit sluice.yaml. PERSON is a person's key, e-mail or
unique name (see sluice people list).`,
	}
	cmd.AddCommand(a.teamsListCommand(), a.teamsAddCommand(), a.teamsRemoveCommand(), a.teamsMoveCommand(),
		a.teamsAddMemberCommand(), a.teamsRemoveMemberCommand())
	return cmd
}

func (a *app) teamsListCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Print the teams as a tree with their members, or as CSV or JSON",
		Long: `Prints every team, each subteam under its parent, with its source (config:
sluice.yaml, cli: sluice teams or the settings page) and its members, with
the dates a membership starts and ends.

--format json prints an array of teams, parents before their subteams:
{"name", "parent" (null at the top level), "source", "members": [{"key",
"name", "since", "until"}]}, dates as YYYY-MM-DD or null when open
(since is the first day of a membership, until the first day after it).
--format csv prints one row per membership (team, parent, source, key,
name, since, until), and a team without members as one row with the member
columns empty.`,
		Example: `  sluice teams list
  sluice teams list --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "table", "csv", "json":
			default:
				return fmt.Errorf("--format %q is not supported; use table, csv or json", format)
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			teams, err := db.Teams(cmd.Context())
			if err != nil {
				return err
			}
			return writeTeams(a.stdout, teamTree(teams), format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	return cmd
}

// treeTeam is a team in tree order, with its parent's name ("" at the top
// level) and its depth.
type treeTeam struct {
	store.Team
	Parent string
	Depth  int
}

// teamTree orders teams depth first, each parent before its subteams and
// siblings by name. A team whose parent is missing counts as top level.
func teamTree(teams []store.Team) []treeTeam {
	byID := map[int64]store.Team{}
	for _, t := range teams {
		byID[t.ID] = t
	}
	children := map[int64][]store.Team{}
	for _, t := range teams { // ordered by name
		p := t.ParentID
		if _, ok := byID[p]; !ok {
			p = 0
		}
		children[p] = append(children[p], t)
	}
	var out []treeTeam
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, t := range children[parent] {
			out = append(out, treeTeam{Team: t, Parent: byID[t.ParentID].Name, Depth: depth})
			if depth < 100 { // the store refuses cycles; this bounds a broken database
				walk(t.ID, depth+1)
			}
		}
	}
	walk(0, 0)
	return out
}

// teamJSON is one team of sluice teams list --format json.
type teamJSON struct {
	Name    string       `json:"name"`
	Parent  *string      `json:"parent"`
	Source  string       `json:"source"`
	Members []memberJSON `json:"members"`
}

// memberJSON is one membership: dates as YYYY-MM-DD, null when open.
type memberJSON struct {
	Key   string  `json:"key"`
	Name  string  `json:"name"`
	Since *string `json:"since"`
	Until *string `json:"until"`
}

// dayString is a membership bound as YYYY-MM-DD, nil when open.
func dayString(d *int) *string {
	if d == nil {
		return nil
	}
	s := store.DayTime(*d).Format(time.DateOnly)
	return &s
}

func writeTeams(out io.Writer, teams []treeTeam, format string) error {
	switch format {
	case "json":
		rows := make([]teamJSON, 0, len(teams))
		for _, t := range teams {
			r := teamJSON{Name: t.Name, Source: t.Source, Members: make([]memberJSON, 0, len(t.Members))}
			if t.Parent != "" {
				r.Parent = &t.Parent
			}
			for _, m := range t.Members {
				r.Members = append(r.Members, memberJSON{Key: m.PersonKey, Name: m.PersonName, Since: dayString(m.Since), Until: dayString(m.Until)})
			}
			rows = append(rows, r)
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		w := csv.NewWriter(out)
		w.Write([]string{"team", "parent", "source", "key", "name", "since", "until"})
		for _, t := range teams {
			if len(t.Members) == 0 {
				w.Write([]string{t.Name, t.Parent, t.Source, "", "", "", ""})
			}
			for _, m := range t.Members {
				w.Write([]string{t.Name, t.Parent, t.Source, m.PersonKey, m.PersonName, dayText(m.Since), dayText(m.Until)})
			}
		}
		w.Flush()
		return w.Error()
	}
	if len(teams) == 0 {
		_, err := fmt.Fprintln(out, "no teams; add one with `sluice teams add NAME` or under teams: in sluice.yaml")
		return err
	}
	for _, t := range teams {
		ind := strings.Repeat("  ", t.Depth)
		noun := "members"
		if len(t.Members) == 1 {
			noun = "member"
		}
		fmt.Fprintf(out, "%s%s (%s, %d %s)\n", ind, t.Name, t.Source, len(t.Members), noun)
		for _, m := range t.Members {
			fmt.Fprintf(out, "%s  - %s <%s>%s\n", ind, m.PersonName, m.PersonKey, period(m.Since, m.Until))
		}
	}
	return nil
}

// dayText is a membership bound as YYYY-MM-DD, "" when open.
func dayText(d *int) string {
	if s := dayString(d); s != nil {
		return *s
	}
	return ""
}

// period renders a membership's dates: "" when open on both ends.
func period(since, until *int) string {
	var s string
	if since != nil {
		s += " from " + store.DayTime(*since).Format(time.DateOnly)
	}
	if until != nil {
		s += " until " + store.DayTime(*until).Format(time.DateOnly)
	}
	return s
}

// teamByName returns the team called name with a hint when there is none.
func teamByName(cmd *cobra.Command, db *store.DB, name string) (store.Team, error) {
	t, err := db.TeamByName(cmd.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return t, fmt.Errorf("%w; list teams with `sluice teams list`", err)
	}
	return t, err
}

// openMembership opens the database and finds the team (which must not
// be one sluice.yaml defines) and the person a membership command names.
func (a *app) openMembership(cmd *cobra.Command, team, person string) (*store.DB, store.Team, store.Person, error) {
	db, err := a.openDB(cmd.Context())
	if err != nil {
		return nil, store.Team{}, store.Person{}, err
	}
	t, err := teamByName(cmd, db, team)
	if err == nil {
		err = editable(t)
	}
	var p store.Person
	if err == nil {
		p, err = db.FindPerson(cmd.Context(), person)
	}
	if err != nil {
		db.Close()
		return nil, store.Team{}, store.Person{}, err
	}
	return db, t, p, nil
}

// editable refuses teams that sluice.yaml defines.
func editable(t store.Team) error {
	if t.Source == store.SourceConfig {
		return fmt.Errorf("team %q is %w", t.Name, people.ErrConfigDefined)
	}
	return nil
}

func (a *app) teamsAddCommand() *cobra.Command {
	var parent string
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a team",
		Example: `  sluice teams add Platform
  sluice teams add Storage --parent Platform`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimSpace(args[0])
			if name == "" {
				return errors.New("a team needs a name")
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if t, err := db.TeamByName(cmd.Context(), name); err == nil {
				return fmt.Errorf("team %q already exists (%s); pick another name", name, t.Source)
			}
			var pid int64
			if parent != "" {
				p, err := teamByName(cmd, db, parent)
				if err != nil {
					return fmt.Errorf("--parent: %w", err)
				}
				pid = p.ID
			}
			if _, err := db.CreateTeam(cmd.Context(), name, pid, store.SourceCLI); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "team %q created\n", name)
			return nil
		},
	}
	cmd.Flags().StringVar(&parent, "parent", "", "make it a subteam of this team")
	return cmd
}

func (a *app) teamsRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Short:   "Delete a team and its memberships (its subteams move up to its parent)",
		Example: `  sluice teams remove Storage`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := teamByName(cmd, db, args[0])
			if err != nil {
				return err
			}
			if err := editable(t); err != nil {
				return err
			}
			if err := db.DeleteTeam(cmd.Context(), t.ID); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "team %q removed\n", t.Name)
			return nil
		},
	}
}

func (a *app) teamsMoveCommand() *cobra.Command {
	var parent string
	var top bool
	cmd := &cobra.Command{
		Use:   "move NAME (--parent PARENT | --top)",
		Short: "Make a team a subteam of another, or a top-level team",
		Long: `Moves team NAME, with its subteams and members, under PARENT (--parent),
or to the top level (--top); give exactly one of the two. Its figures then
count in PARENT's and PARENT's parents'. A team cannot move under itself or
one of its own subteams. Teams defined in sluice.yaml cannot be moved here:
edit sluice.yaml (a team made here may move under one of them).`,
		Example: `  sluice teams move Storage --parent Platform
  sluice teams move Storage --top`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (parent != "") == top {
				return errors.New("give exactly one of --parent PARENT (move the team under PARENT) or --top (make it a top-level team)")
			}
			ctx := cmd.Context()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := teamByName(cmd, db, args[0])
			if err != nil {
				return err
			}
			if err := editable(t); err != nil {
				return err
			}
			var pid int64
			where := "to the top level"
			if parent != "" {
				p, err := teamByName(cmd, db, parent)
				if err != nil {
					return fmt.Errorf("--parent: %w", err)
				}
				pid, where = p.ID, fmt.Sprintf("under %q", p.Name)
			}
			if t.ParentID == pid {
				already := "a top-level team"
				if pid != 0 {
					already = where
				}
				fmt.Fprintf(a.stdout, "team %q is already %s; nothing changed\n", t.Name, already)
				return nil
			}
			if err := db.SetTeamParent(ctx, t.ID, pid); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("move team %q: %w; it may have been removed meanwhile (sluice teams list)", t.Name, err)
				}
				return fmt.Errorf("cannot move team %q %s: %w", t.Name, where, err)
			}
			fmt.Fprintf(a.stdout, "team %q moved %s\n", t.Name, where)
			return nil
		},
	}
	cmd.Flags().StringVar(&parent, "parent", "", "make it a subteam of this team")
	cmd.Flags().BoolVar(&top, "top", false, "make it a top-level team")
	return cmd
}

// parseDay parses a YYYY-MM-DD flag into days since 1970-01-01.
func parseDay(flag, v string) (*int, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, fmt.Errorf("--%s %q is not a date; write it like 2026-03-01", flag, v)
	}
	d := int(t.Unix() / 86400)
	return &d, nil
}

func (a *app) teamsAddMemberCommand() *cobra.Command {
	var from, until string
	cmd := &cobra.Command{
		Use:   "add-member TEAM PERSON",
		Short: "Add a person to a team, optionally over [--from, --until)",
		Long: `Makes PERSON a member of TEAM from --from (default: always) until the day
before --until (default: still). A person may be on a team more than once
only over periods that do not overlap.`,
		Example: `  sluice teams add-member Platform ann@example.com
  sluice teams add-member Storage "Bob Stone" --from 2026-03-01 --until 2026-09-01`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			since, err := parseDay("from", from)
			if err != nil {
				return err
			}
			till, err := parseDay("until", until)
			if err != nil {
				return err
			}
			if since != nil && till != nil && *since >= *till {
				return fmt.Errorf("--until %s is not after --from %s; the membership is [from, until)", until, from)
			}
			ctx := cmd.Context()
			db, t, p, err := a.openMembership(cmd, args[0], args[1])
			if err != nil {
				return err
			}
			defer db.Close()
			for _, m := range t.Members {
				if m.PersonID == p.ID && store.Overlaps(m.Since, m.Until, since, till) {
					return fmt.Errorf("%s (%s) is already a member of %q%s, which overlaps; remove that membership first (sluice teams remove-member) or pick dates outside it",
						p.Key, p.Name, t.Name, period(m.Since, m.Until))
				}
			}
			if err := db.AddTeamMember(ctx, t.ID, p.ID, since, till, store.SourceCLI); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s (%s) added to %q%s\n", p.Key, p.Name, t.Name, period(since, till))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first day of the membership (YYYY-MM-DD, author's calendar day)")
	cmd.Flags().StringVar(&until, "until", "", "first day no longer a member (YYYY-MM-DD)")
	return cmd
}

func (a *app) teamsRemoveMemberCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove-member TEAM PERSON",
		Short: "Remove a person from a team (every period of their membership)",
		Long: `Deletes PERSON's memberships of TEAM, so the team's figures no longer count
them at any time. To keep history when someone leaves, re-add them with
--until instead.`,
		Example: `  sluice teams remove-member Platform ann@example.com`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, t, p, err := a.openMembership(cmd, args[0], args[1])
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.RemoveTeamMember(ctx, t.ID, p.ID); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%s (%s) is not a member of %q", p.Key, p.Name, t.Name)
				}
				return err
			}
			fmt.Fprintf(a.stdout, "%s (%s) removed from %q\n", p.Key, p.Name, t.Name)
			return nil
		},
	}
}
