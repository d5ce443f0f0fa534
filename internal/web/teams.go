package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
)

// The teams pages: /teams lists every team as a tree with its figures,
// /teams/{name} shows one team's members side by side, its trends by week
// and its sub-teams. GET /api/v1/teams and /api/v1/teams/{name} return
// their data.

// teamPath is the page of a team.
func teamPath(name string) string { return "/teams/" + url.PathEscape(name) }

// linkTo returns path with the filter's parameters except drop, plus the
// parameter set=value when set is not "".
func (b *filterBar) linkTo(path, drop, set, value string) string {
	q := b.query()
	q.Del(drop)
	if set != "" {
		q.Set(set, value)
	}
	if s := q.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

// WithQuery returns path with the filter's parameters and the pairs kv
// (name, value, …) added, e.g. an API link with format=csv. Templates build
// links from whole URLs like this one: a query written into a template
// after a literal "?" gets its '=' and '&' escaped by html/template.
func (b *filterBar) WithQuery(path string, kv ...string) string {
	q := b.query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if s := q.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

// NavLink is a navigation entry's link: path with the page's filter, so
// that switching pages keeps the view.
func (p page) NavLink(path string) string {
	if p.Filters == nil {
		return path
	}
	return p.Filters.Link(path)
}

// TeamLink is the page of team with the filter (the path names the team).
func (b *filterBar) TeamLink(name string) string { return b.linkTo(teamPath(name), paramTeam, "", "") }

// PersonLink is the page of a person with the filter (the path names the
// person).
func (b *filterBar) PersonLink(key string) string {
	return b.linkTo(personPath(key), paramPerson, "", "")
}

// PersonIn is the page of a person with the filter, narrowed to a team or
// repository (param is "team" or "repo"): a member's figures in the team,
// a contributor's in the repository.
func (b *filterBar) PersonIn(key, param, value string) string {
	return b.linkTo(personPath(key), paramPerson, param, value)
}

// teamsView is the data of /teams and GET /api/v1/teams.
type teamsView struct {
	// Since and Until are the range of the per-week figures (dates, until
	// not included), as on /people.
	Since string     `json:"since"`
	Until string     `json:"until"`
	Teams []teamLine `json:"teams"`
}

// teamLine is a team and its figures. Lists of teams are trees: each team
// comes before its sub-teams, sub-teams in name order.
type teamLine struct {
	Name string `json:"name"`
	// Parent is the parent team's name, "" for a top-level team.
	Parent string `json:"parent"`
	// Depth is the level in the list's tree: 0 for the list's roots.
	Depth int `json:"depth"`
	// Members counts the people (bots and hidden or excluded people left
	// out) with a membership of the team or one of its sub-teams that
	// overlaps the range (any membership, for an open range);
	// DirectMembers those of the team itself.
	Members       int `json:"members"`
	DirectMembers int `json:"direct_members"`
	// Figures are over the commits of the members of the team and its
	// sub-teams made within their memberships; zeros when there are none.
	Figures report.Row `json:"figures"`
}

// IndentClass is the CSS class that indents the team's name by its depth.
func (l teamLine) IndentClass() string { return fmt.Sprintf("depth-%d", min(l.Depth, 6)) }

// teamView is the data of /teams/{name} and GET /api/v1/teams/{name}.
type teamView struct {
	Name   string `json:"name"`
	Parent string `json:"parent"`
	Since  string `json:"since"`
	Until  string `json:"until"`
	// PreviousSince, PreviousUntil, Headline and Weeks are the overview's
	// (GET /api/v1/overview) with the team filter.
	PreviousSince string     `json:"previous_since"`
	PreviousUntil string     `json:"previous_until"`
	Headline      []headline `json:"headline"`
	// Members and DirectMembers count as in teamLine.
	Members       int        `json:"members"`
	DirectMembers int        `json:"direct_members"`
	Figures       report.Row `json:"figures"`
	// People are the members' figures, most commits first, then members
	// without commits in the range (rows of zeros) by name.
	People []teamMember `json:"people"`
	// SubTeams are every team below this one, as a tree (depth 0: its
	// direct sub-teams).
	SubTeams []teamLine  `json:"sub_teams"`
	Weeks    []weekPoint `json:"weeks"`
}

// teamMember is a member's figures within the team.
type teamMember struct {
	report.Row
	// Teams are the teams, this one or its sub-teams, the person is a
	// direct member of during the range.
	Teams []string `json:"teams"`
}

// TeamList is Teams as the page shows it.
func (m teamMember) TeamList() string { return strings.Join(m.Teams, ", ") }

// visiblePeople returns the keys of the people who have figures: neither
// bots nor hidden nor excluded (the report leaves the others out). It uses
// the filter bar's people when it has loaded them.
func (h *handler) visiblePeople(ctx context.Context, bar *filterBar) (map[string]bool, error) {
	out := map[string]bool{}
	if bar != nil && bar.Person {
		for _, p := range bar.People {
			out[p.Key] = true
		}
		return out, nil
	}
	people, err := h.db.People(ctx)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	for _, p := range people {
		if !p.Hidden && !p.Bot && !p.Excluded {
			out[p.Key] = true
		}
	}
	return out, nil
}

// teamTree orders teams depth-first, each team before its sub-teams (in
// name order, as store.Teams returns them). With root 0 it lists every
// team, from the top-level ones; else root and the teams below it. Depths
// count from the listed roots.
func teamTree(teams []store.Team, root int64) ([]store.Team, map[int64]int) {
	byID := make(map[int64]store.Team, len(teams))
	for _, t := range teams {
		byID[t.ID] = t
	}
	kids := map[int64][]int64{}
	for _, t := range teams {
		p := t.ParentID
		if _, ok := byID[p]; !ok || p == t.ID {
			p = 0
		}
		kids[p] = append(kids[p], t.ID)
	}
	var order []store.Team
	depth := map[int64]int{}
	var walk func(id int64, d int)
	walk = func(id int64, d int) {
		if _, seen := depth[id]; seen {
			return
		}
		depth[id] = d
		order = append(order, byID[id])
		for _, k := range kids[id] {
			walk(k, d+1)
		}
	}
	if root != 0 {
		walk(root, 0)
		return order, depth
	}
	for _, k := range kids[0] {
		walk(k, 0)
	}
	for _, t := range teams { // teams in a parent cycle, which no root reaches
		walk(t.ID, 0)
	}
	return order, depth
}

// inRange reports whether membership m has a day in [since, until) (zero
// bounds are open).
func inRange(m store.Member, since, until time.Time) bool {
	if !since.IsZero() && m.Until != nil && *m.Until <= store.AuthorDay(since.UTC()) {
		return false
	}
	if !until.IsZero() && m.Since != nil && *m.Since > store.AuthorDay(until.UTC().Add(-time.Nanosecond)) {
		return false
	}
	return true
}

// zeroRow is the figures of a group without included commits over the
// report's range.
func zeroRow(key, name string, rep *report.Report) report.Row {
	r := report.Row{Key: key, Name: name}
	if !rep.Since.IsZero() && rep.Until.After(rep.Since) {
		zero := 0.0
		r.CodingDaysPerWeek = &zero
	}
	return r
}

// teamLines returns the tree of teams (all, or root and the teams below
// it, which f.Team then names) with their figures and member counts.
func (h *handler) teamLines(ctx context.Context, f filter, teams []store.Team, root int64, visible map[string]bool) ([]teamLine, *report.Report, error) {
	rep, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByTeam))
	if err != nil {
		return nil, nil, fmt.Errorf("report by team: %w", err)
	}
	rows := make(map[string]report.Row, len(rep.Rows))
	for _, r := range rep.Rows {
		rows[r.Key] = r
	}
	order, depth := teamTree(teams, root)
	names := make(map[int64]string, len(teams))
	kids := map[int64][]int64{}
	direct := map[int64]map[int64]bool{}
	for _, t := range teams {
		names[t.ID] = t.Name
		kids[t.ParentID] = append(kids[t.ParentID], t.ID)
		direct[t.ID] = map[int64]bool{}
		for _, m := range t.Members {
			if visible[m.PersonKey] && inRange(m, f.Since, f.Until) {
				direct[t.ID][m.PersonID] = true
			}
		}
	}
	// all(id): the members of the team and of every team below it.
	var all func(id int64, seen map[int64]bool, into map[int64]bool)
	all = func(id int64, seen, into map[int64]bool) {
		if seen[id] {
			return
		}
		seen[id] = true
		for p := range direct[id] {
			into[p] = true
		}
		for _, k := range kids[id] {
			all(k, seen, into)
		}
	}
	lines := make([]teamLine, 0, len(order))
	for _, t := range order {
		row, ok := rows[t.Name]
		if !ok {
			row = zeroRow(t.Name, t.Name, rep)
		}
		everyone := map[int64]bool{}
		all(t.ID, map[int64]bool{}, everyone)
		lines = append(lines, teamLine{Name: t.Name, Parent: names[t.ParentID], Depth: depth[t.ID],
			Members: len(everyone), DirectMembers: len(direct[t.ID]), Figures: row})
	}
	return lines, rep, nil
}

func (h *handler) loadTeams(ctx context.Context, f filter, visible map[string]bool) (*teamsView, error) {
	teams, err := h.db.Teams(ctx)
	if err != nil {
		return nil, err
	}
	var root int64
	if f.Team != "" {
		for _, t := range teams {
			if t.Name == f.Team {
				root = t.ID
			}
		}
	}
	lines, rep, err := h.teamLines(ctx, f, teams, root, visible)
	if err != nil {
		return nil, err
	}
	return &teamsView{Since: dateOf(rep.Since), Until: dateOf(rep.Until), Teams: lines}, nil
}

// findTeam returns the team named name and every team; a name naming none
// is a *paramError.
func (h *handler) findTeam(ctx context.Context, name string) (store.Team, []store.Team, error) {
	teams, err := h.db.Teams(ctx)
	if err != nil {
		return store.Team{}, nil, err
	}
	for _, t := range teams {
		if t.Name == name {
			return t, teams, nil
		}
	}
	return store.Team{}, nil, &paramError{fmt.Sprintf("no team named %q", name)}
}

func (h *handler) loadTeam(ctx context.Context, team store.Team, teams []store.Team, f filter, visible map[string]bool) (*teamView, error) {
	f.Team = team.Name
	lines, rep, err := h.teamLines(ctx, f, teams, team.ID, visible)
	if err != nil {
		return nil, err
	}
	self := lines[0]
	v := &teamView{Name: team.Name, Parent: self.Parent, Since: dateOf(rep.Since), Until: dateOf(rep.Until),
		Members: self.Members, DirectMembers: self.DirectMembers, Figures: self.Figures,
		People: []teamMember{}, SubTeams: []teamLine{}}
	for _, l := range lines[1:] {
		l.Depth--
		v.SubTeams = append(v.SubTeams, l)
	}
	ov, err := h.loadOverview(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("team %s: %w", team.Name, err)
	}
	v.PreviousSince, v.PreviousUntil, v.Headline, v.Weeks = ov.PreviousSince, ov.PreviousUntil, ov.Headline, ov.Weeks

	// The members during the range, with the teams they are in.
	type member struct {
		key, name string
		teams     []string
	}
	members := map[string]*member{}
	order, _ := teamTree(teams, team.ID)
	for _, t := range order {
		for _, m := range t.Members {
			if !visible[m.PersonKey] || !inRange(m, f.Since, f.Until) || (f.PersonID != 0 && m.PersonID != f.PersonID) {
				continue
			}
			mb := members[m.PersonKey]
			if mb == nil {
				mb = &member{key: m.PersonKey, name: m.PersonName}
				members[m.PersonKey] = mb
			}
			if !slices.Contains(mb.teams, t.Name) {
				mb.teams = append(mb.teams, t.Name)
			}
		}
	}
	byPerson, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByPerson))
	if err != nil {
		return nil, fmt.Errorf("team %s by person: %w", team.Name, err)
	}
	for _, r := range byPerson.Rows {
		tm := teamMember{Row: r, Teams: []string{}}
		if mb := members[r.Key]; mb != nil {
			tm.Teams = mb.teams
			delete(members, r.Key)
		}
		v.People = append(v.People, tm)
	}
	rest := make([]*member, 0, len(members))
	for _, mb := range members {
		rest = append(rest, mb)
	}
	slices.SortFunc(rest, func(a, b *member) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for _, mb := range rest {
		v.People = append(v.People, teamMember{Row: zeroRow(mb.key, mb.name, rep), Teams: mb.teams})
	}
	return v, nil
}

type teamsData struct {
	page
	View *teamsView
	// NoTeams is true when no team exists at all.
	NoTeams bool
}

func (h *handler) teamsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := teamsData{page: h.pageFor(r, "Teams")}
	data.Nav = "teams"
	bar, ok, err := h.pageFilter(ctx, r, "/teams", true)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	data.NoTeams = len(bar.Teams) == 0
	if !ok {
		h.render(w, r, http.StatusBadRequest, h.pages.teams, data)
		return
	}
	visible, err := h.visiblePeople(ctx, bar)
	if err == nil {
		data.View, err = h.loadTeams(ctx, bar.filter, visible)
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.teams, data)
}

type teamData struct {
	page
	View *teamView
	// APIPath is the team's API endpoint, which the CSV links use.
	APIPath string
}

func (h *handler) teamPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	team, teams, err := h.findTeam(ctx, r.PathValue("name"))
	var pe *paramError
	if errors.As(err, &pe) {
		h.renderMessage(w, r, http.StatusNotFound, "No such team", "There is "+pe.msg+
			". The Teams page lists every team; create one with sluice teams add NAME.")
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	data := teamData{page: h.pageFor(r, team.Name), APIPath: "/api/v1" + teamPath(team.Name)}
	data.Nav = "teams"
	bar, ok, err := h.pageFilterWithout(ctx, r, teamPath(team.Name), paramTeam)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	if !ok {
		data.View = &teamView{Name: team.Name}
		h.render(w, r, http.StatusBadRequest, h.pages.team, data)
		return
	}
	visible, err := h.visiblePeople(ctx, bar)
	if err == nil {
		data.View, err = h.loadTeam(ctx, team, teams, bar.filter, visible)
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.team, data)
}

// teamColumns are the CSV header of a list of teams.
var teamColumns = append([]string{"team", "parent", "depth", "members", "direct_members"}, peopleColumns[2:]...)

func teamsCSV(lines []teamLine) [][]string {
	rows := [][]string{teamColumns}
	for _, l := range lines {
		row := ints([]string{csvText(l.Name), csvText(l.Parent)}, l.Depth, l.Members, l.DirectMembers)
		rows = append(rows, append(row, peopleCSV(l.Figures)[2:]...))
	}
	return rows
}

func (h *handler) apiTeams(w http.ResponseWriter, r *http.Request) {
	f, csvOut, ok := h.apiFilter(w, r, append(filterParams, paramFormat))
	if !ok {
		return
	}
	visible, err := h.visiblePeople(r.Context(), nil)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v, err := h.loadTeams(r.Context(), f, visible)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, v)
		return
	}
	writeCSV(w, "sluice-teams.csv", teamsCSV(v.Teams))
}

// The tables of GET /api/v1/teams/{name} as CSV (table=…).
var teamTables = []string{"people", "sub_teams", "weeks", "headline"}

func (h *handler) apiTeam(w http.ResponseWriter, r *http.Request) {
	f, csvOut, ok := h.apiFilter(w, r, append(without(filterParams, paramTeam), paramFormat, paramTable))
	if !ok {
		return
	}
	table := r.URL.Query().Get(paramTable)
	if table != "" && !slices.Contains(teamTables, table) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("table: %q is not a table of a team; want %s", table, orList(teamTables)))
		return
	}
	ctx := r.Context()
	team, teams, err := h.findTeam(ctx, r.PathValue("name"))
	var pe *paramError
	if errors.As(err, &pe) {
		writeError(w, http.StatusNotFound, "team: "+pe.msg+"; list teams with GET /api/v1/teams")
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	visible, err := h.visiblePeople(ctx, nil)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v, err := h.loadTeam(ctx, team, teams, f, visible)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, v)
		return
	}
	file := "sluice-team-" + csvFileName(team.Name)
	switch table {
	case "sub_teams":
		writeCSV(w, file+"-sub-teams.csv", teamsCSV(v.SubTeams))
	case "weeks":
		writeCSV(w, file+"-weeks.csv", weeksCSV(v.Weeks))
	case "headline":
		writeCSV(w, file+"-headline.csv", headlineCSV(v.Headline))
	default:
		rows := [][]string{append([]string{"key", "name", "teams"}, peopleColumns[2:]...)}
		for _, p := range v.People {
			row := peopleCSV(p.Row)
			rows = append(rows, append([]string{row[0], row[1], csvText(strings.Join(p.Teams, "; "))}, row[2:]...))
		}
		writeCSV(w, file+"-people.csv", rows)
	}
}

// csvFileName turns a team's or repository's name into a part of a file
// name: letters, digits, '.', '_' and '-' kept, everything else '-'.
func csvFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, name)
}
