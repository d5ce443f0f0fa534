package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// The teams fixture adds to seedDashboard's (which it leaves as it is):
//
//	eng                 Carol (always)
//	  frontend          Alice from 2024-03-05, Dave until 2024-02-08, Hank (hidden)
//	    design          no members
//	ops                 Carol from 2025-01-01: no commits in her membership
//	platform            Erin (seedDashboard's)
//
// and the repository acme/data, whose first sync is still in progress:
// Pat 01 … Pat 12 in May 2024, Pat i with 13−i commits and 10×i lines
// (HALOC), so that the most lines and the most commits rank people in
// opposite orders.
type membership struct {
	team, person string
	since, until string // dates, "" open
}

var teamMemberships = []membership{
	{"eng", "carol@example.com", "", ""},
	{"frontend", "alice@example.com", "2024-03-05", ""},
	{"frontend", "dave@example.com", "", "2024-02-08"},
	{"frontend", "hank@example.com", "", ""},
	{"ops", "carol@example.com", "2025-01-01", ""},
}

func pat(i int) string { return fmt.Sprintf("pat%02d@example.com", i) }

func seedTeams(t *testing.T, db *store.DB) {
	t.Helper()
	seedDashboard(t, db)
	ctx := context.Background()
	ids := map[string]int64{}
	for _, tm := range []struct{ name, parent string }{{"eng", ""}, {"frontend", "eng"}, {"design", "frontend"}, {"ops", ""}} {
		id, err := db.CreateTeam(ctx, tm.name, ids[tm.parent], store.SourceCLI)
		if err != nil {
			t.Fatal(err)
		}
		ids[tm.name] = id
	}
	day := func(s string) *int {
		if s == "" {
			return nil
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		n := store.AuthorDay(d)
		return &n
	}
	for _, m := range teamMemberships {
		pid, err := db.FindPersonID(ctx, m.person)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AddTeamMember(ctx, ids[m.team], pid, day(m.since), day(m.until), store.SourceCLI); err != nil {
			t.Fatal(err)
		}
	}

	repo, err := db.UpsertRepository(ctx, store.Repository{Name: "acme/data", URL: "https://gitlab.example.com/acme/data.git", Branch: "main", Excludes: true})
	if err != nil {
		t.Fatal(err)
	}
	var commits []store.Commit
	for i := 1; i <= 12; i++ {
		for k := range 13 - i {
			c := person(store.Commit{}, fmt.Sprintf("Pat %02d", i), pat(i), time.Date(2024, 5, 1+k, 10, i, 0, 0, time.UTC))
			c.SHA, c.Subject = sha(fmt.Sprintf("pat-%d-%d", i, k)), "data work"
			if k == 0 {
				c.HALOC, c.NewWork = 10*i, 10*i
			}
			c.Additions, c.FilesChanged, c.Hunks = c.HALOC, 1, 1
			commits = append(commits, c)
		}
	}
	cp := store.Checkpoint{RepositoryID: repo.ID, Pending: map[string]string{"refs/heads/main": sha("pat-1-0")}, Stored: int64(len(commits))}
	if err := db.SaveBatch(ctx, repo.ID, commits, cp); err != nil {
		t.Fatal(err)
	}
}

func teamsEnv(t *testing.T) (*testEnv, *http.Client) {
	t.Helper()
	db := openDB(t, sqliteDSN(t))
	seedTeams(t, db)
	e := newEnv(t, db)
	c := e.client(t)
	e.login(t, c)
	return e, c
}

// teamTotals recomputes a team's figures over [since, until) from the
// exported commits: included commits (as recompute) by the people of
// members, on author days within their memberships.
func teamTotals(t *testing.T, db *store.DB, members []membership, since, until time.Time) totals {
	t.Helper()
	var tt totals
	days, people := map[string]bool{}, map[string]bool{}
	within := func(person string, day int) bool {
		for _, m := range members {
			if m.person != person {
				continue
			}
			if m.since != "" && day < store.AuthorDay(mustDate(t, m.since)) || m.until != "" && day >= store.AuthorDay(mustDate(t, m.until)) {
				continue
			}
			return true
		}
		return false
	}
	err := db.ForEachCommit(context.Background(), store.CommitFilter{Since: since, Until: until}, func(c store.CommitRow) error {
		if c.IsMerge || c.Outlier || store.IsBot(c.AuthorName, c.AuthorEmail, nil) || c.Person == "hank@example.com" ||
			!within(c.Person, store.AuthorDay(c.AuthorTime)) {
			return nil
		}
		tt.commits++
		tt.haloc += c.HALOC
		days[c.Person+c.AuthorTime.Format(time.DateOnly)] = true
		people[c.Person] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tt.codingDays, tt.people = len(days), len(people)
	return tt
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// membersOf returns the memberships of team and the teams below it.
func membersOf(teams ...string) []membership {
	var out []membership
	for _, m := range teamMemberships {
		if slices.Contains(teams, m.team) {
			out = append(out, m)
		}
	}
	if slices.Contains(teams, "platform") {
		out = append(out, membership{"platform", erin, "", ""})
	}
	return out
}

func TestAPITeams(t *testing.T) {
	e, c := teamsEnv(t)
	var v teamsView
	getJSON(t, e, c, "/api/v1/teams", &v)
	var tree []string
	for _, l := range v.Teams {
		tree = append(tree, fmt.Sprintf("%s<%s %d %d/%d", l.Name, l.Parent, l.Depth, l.Members, l.DirectMembers))
	}
	// Depth first, sub-teams after their parent; the hidden Hank is not
	// counted; over all time, Carol's future membership of ops counts.
	if want := []string{"eng< 0 3/1", "frontend<eng 1 2/2", "design<frontend 2 0/0", "ops< 0 1/1", "platform< 0 1/1"}; !slices.Equal(tree, want) {
		t.Errorf("teams\n got %q\nwant %q", tree, want)
	}
	subtrees := map[string][]string{"eng": {"eng", "frontend", "design"}, "frontend": {"frontend", "design"},
		"design": {"design"}, "ops": {"ops"}, "platform": {"platform"}}
	for _, l := range v.Teams {
		want := teamTotals(t, e.db, membersOf(subtrees[l.Name]...), time.Time{}, time.Time{})
		got := totals{l.Figures.Commits, l.Figures.CodingDays, l.Figures.HALOC, l.Figures.People}
		if got != want {
			t.Errorf("team %s: figures %+v, recomputed %+v", l.Name, got, want)
		}
		if l.Figures.Key != l.Name || l.Figures.Name != l.Name {
			t.Errorf("team %s: figures of %q/%q", l.Name, l.Figures.Key, l.Figures.Name)
		}
	}
	// Dave's week in frontend (Feb 1–7), Alice's days from Mar 5 and Carol's
	// three commits (the shared one is in two repositories): none is zero.
	if eng := v.Teams[0].Figures; eng.Commits != 7+2+4 || eng.People != 3 {
		t.Errorf("eng: %d commits by %d people, want 13 by 3", eng.Commits, eng.People)
	}
	// Teams without commits get a row of zeros rather than none.
	for _, i := range []int{2, 3} {
		z := v.Teams[i].Figures
		if z.Commits != 0 || z.CodingDaysPerWeek == nil || *z.CodingDaysPerWeek != 0 || z.EfficiencyPct != nil || !z.First.IsZero() {
			t.Errorf("%s: %+v, want zeros", v.Teams[i].Name, z)
		}
	}
	if body := getBody(t, e, c, "/api/v1/teams"); strings.Contains(body, `"first":"0001`) {
		t.Error("a row of zeros has a first commit time")
	}

	// A range: memberships outside it are not counted, nor their commits.
	getJSON(t, e, c, "/api/v1/teams?since=2024-03-01&until=2024-04-01", &v)
	counts := map[string]string{}
	for _, l := range v.Teams {
		counts[l.Name] = fmt.Sprintf("%d/%d %d", l.Members, l.DirectMembers, l.Figures.Commits)
	}
	if want := map[string]string{"eng": "2/1 6", "frontend": "1/1 2", "design": "0/0 0", "ops": "0/0 0", "platform": "1/1 0"}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("March: %v, want %v", counts, want)
	}
	if v.Since != "2024-03-01" || v.Until != "2024-04-01" {
		t.Errorf("March: range %s–%s", v.Since, v.Until)
	}
	// The team filter lists its subtree, from depth 0.
	getJSON(t, e, c, "/api/v1/teams?team=frontend", &v)
	if len(v.Teams) != 2 || v.Teams[0].Name != "frontend" || v.Teams[0].Depth != 0 || v.Teams[1].Depth != 1 {
		t.Errorf("team=frontend: %+v", v.Teams)
	}

	rows := getCSV(t, e, c, "/api/v1/teams?format=csv", "")
	if len(rows) != 6 || !slices.Equal(rows[0], teamColumns) {
		t.Fatalf("teams CSV: %q", rows)
	}
	if got := strings.Join(rows[2][:6], ","); got != "frontend,eng,1,2,2,9" {
		t.Errorf("frontend's CSV row starts %q, want frontend,eng,1,2,2,9", got)
	}
}

func TestAPITeam(t *testing.T) {
	e, c := teamsEnv(t)
	var v teamView
	getJSON(t, e, c, "/api/v1/teams/eng", &v)
	var people []string
	for _, p := range v.People {
		people = append(people, fmt.Sprintf("%s %d %s", p.Key, p.Commits, strings.Join(p.Teams, "+")))
	}
	// Most commits first; each member's commits only within their
	// membership of eng or a sub-team.
	want := []string{"dave@example.com 7 frontend", "carol@example.com 4 eng", "alice@example.com 2 frontend"}
	if !slices.Equal(people, want) {
		t.Errorf("members\n got %q\nwant %q", people, want)
	}
	for _, p := range v.People {
		if got, want := p.Commits, teamTotals(t, e.db, []membership{{person: p.Key}}, time.Time{}, time.Time{}).commits; p.Key == "carol@example.com" && got != want {
			t.Errorf("Carol in eng: %d commits, want all her %d", got, want)
		}
	}
	if v.Name != "eng" || v.Parent != "" || v.Members != 3 || v.DirectMembers != 1 || v.Figures.Commits != 13 {
		t.Errorf("eng: %s parent %q, %d/%d members, %d commits", v.Name, v.Parent, v.Members, v.DirectMembers, v.Figures.Commits)
	}
	var subs []string
	for _, s := range v.SubTeams {
		subs = append(subs, fmt.Sprintf("%s %d %d", s.Name, s.Depth, s.Figures.Commits))
	}
	if want := []string{"frontend 0 9", "design 1 0"}; !slices.Equal(subs, want) {
		t.Errorf("sub-teams %q, want %q", subs, want)
	}
	// The trends: weeks add up to the figures, and the headline is the
	// overview's with the team filter.
	var weekly totals
	for _, w := range v.Weeks {
		weekly.commits += w.Commits
		weekly.codingDays += w.CodingDays
	}
	if weekly.commits != 13 || weekly.codingDays != v.Figures.CodingDays {
		t.Errorf("weeks add up to %d commits, %d coding days; want 13, %d", weekly.commits, weekly.codingDays, v.Figures.CodingDays)
	}
	var ov overview
	getJSON(t, e, c, "/api/v1/overview?team=eng", &ov)
	asJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if asJSON(ov.Weeks) != asJSON(v.Weeks) || asJSON(ov.Headline) != asJSON(v.Headline) || v.Since != ov.Since || v.Since != "2024-02-01" {
		t.Errorf("eng's trends differ from the overview with team=eng:\n%s\n%s", asJSON(v), asJSON(ov))
	}

	// In April nobody in eng committed: the members still get rows of
	// zeros, by name, and Dave, no longer a member, is not listed.
	getJSON(t, e, c, "/api/v1/teams/eng?since=2024-04-01&until=2024-05-01", &v)
	people = nil
	for _, p := range v.People {
		people = append(people, fmt.Sprintf("%s %d %s", p.Name, p.Commits, strings.Join(p.Teams, "+")))
	}
	if want := []string{"Alice Example 0 frontend", "Carol Chen 0 eng"}; !slices.Equal(people, want) {
		t.Errorf("April members %q, want %q", people, want)
	}
	// Filters narrow: one person, one repository.
	getJSON(t, e, c, "/api/v1/teams/frontend?person=dave@example.com", &v)
	if len(v.People) != 1 || v.People[0].Key != "dave@example.com" || v.Parent != "eng" || v.Figures.Commits != 7 {
		t.Errorf("frontend, person Dave: %+v", v)
	}
	getJSON(t, e, c, "/api/v1/teams/eng?repo=acme%2Fapi", &v)
	if v.Figures.Commits != 3 || v.People[0].Key != "carol@example.com" { // shared, tie-a, tie-b
		t.Errorf("eng in acme/api: %d commits, first %s; want Carol's 3", v.Figures.Commits, v.People[0].Key)
	}
	getJSON(t, e, c, "/api/v1/teams/design", &v)
	if len(v.People) != 0 || v.Since != "" || len(v.Weeks) != 0 || v.Figures.Commits != 0 {
		t.Errorf("design (no members): %+v", v)
	}

	// CSV: the members by default, or another table.
	rows := getCSV(t, e, c, "/api/v1/teams/eng?format=csv", "")
	if len(rows) != 4 || strings.Join(rows[0][:4], ",") != "key,name,teams,commits" || strings.Join(rows[1][:4], ",") != "dave@example.com,Dave Doe,frontend,7" {
		t.Errorf("members CSV: %q", rows)
	}
	rows = getCSV(t, e, c, "/api/v1/teams/eng?format=csv&table=sub_teams", "")
	if len(rows) != 3 || rows[1][0] != "frontend" || rows[2][2] != "1" {
		t.Errorf("sub-teams CSV: %q", rows)
	}
	getJSON(t, e, c, "/api/v1/teams/eng", &v)
	rows = getCSV(t, e, c, "/api/v1/teams/eng?table=weeks", "text/csv")
	if len(rows) != len(v.Weeks)+1 || rows[0][0] != "week" || strings.Join(rows[1], ",") != "2024-01-29,4,4,0,0,0,0,0" {
		t.Errorf("weeks CSV: %q", rows)
	}
}

func TestAPIRepos(t *testing.T) {
	e, c := teamsEnv(t)
	var v reposView
	getJSON(t, e, c, "/api/v1/repos", &v)
	var repos []string
	for _, r := range v.Repos {
		repos = append(repos, fmt.Sprintf("%s %d %s %d %d", r.Name, r.Figures.Commits, r.Sync.State, r.Sync.StoredCommits, r.Sync.Refs))
	}
	// acme/api: a1, a2, e1, shared, tie-a, tie-b included of 8 stored,
	// synced with one branch; acme/web never completed a sync; acme/data's
	// first stopped midway (no Syncer runs it).
	want := []string{"acme/api 6 synced 8 1", "acme/data 78 never_synced 78 0", "acme/tools 4 never_synced 7 0", "acme/web 18 never_synced 18 0"}
	if !slices.Equal(repos, want) {
		t.Errorf("repos\n got %q\nwant %q", repos, want)
	}
	if v.Repos[0].Sync.LastSynced == "" || v.Repos[0].URL != "https://git.example.com/acme/api.git" || v.Repos[3].LocalPath != "/srv/git/acme-web" ||
		v.Repos[1].Sync.LastSynced != "" || v.Repos[1].Sync.CheckpointAt == "" || v.Repos[1].Branch != "main" ||
		!v.Repos[1].Sync.Interrupted || v.Repos[1].Sync.StateText != "the first sync was interrupted; the next one continues it" ||
		v.Repos[3].Sync.Interrupted || v.Repos[3].Sync.StateText != "never synced completely" {
		t.Errorf("repos: %+v", v.Repos)
	}
	for _, r := range v.Repos {
		n, err := e.db.CountCommits(context.Background(), mustRepo(t, e.db, r.Name).ID)
		if err != nil || n != r.Sync.StoredCommits {
			t.Errorf("%s: stored %d, the store counts %d (%v)", r.Name, r.Sync.StoredCommits, n, err)
		}
	}
	// A repository without commits in the range keeps its row, with zeros.
	getJSON(t, e, c, "/api/v1/repos?since=2024-04-01&until=2024-05-01", &v)
	if len(v.Repos) != 4 || v.Repos[0].Figures.Commits != 0 || v.Repos[2].Figures.Commits != 4 || v.Repos[0].Sync.StoredCommits != 8 {
		t.Errorf("April: %+v", v.Repos)
	}
	getJSON(t, e, c, "/api/v1/repos?repo=acme%2Fweb&team=eng", &v)
	if len(v.Repos) != 1 || v.Repos[0].Name != "acme/web" || v.Repos[0].Figures.Commits != 10 { // Alice's a3, a4, Carol's shared, Dave's 7
		t.Errorf("acme/web, team eng: %+v", v.Repos)
	}
	rows := getCSV(t, e, c, "/api/v1/repos?format=csv", "")
	if len(rows) != 5 || !slices.Equal(rows[0], repoColumns) || strings.Join(rows[1][:10], ",") != "acme/api,https://git.example.com/acme/api.git,,,,synced,"+rows[1][6]+",8,1,6" {
		t.Errorf("repos CSV: %q", rows)
	}
}

func mustRepo(t *testing.T, db *store.DB, name string) store.Repository {
	t.Helper()
	r, err := db.RepositoryByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAPIRepo(t *testing.T) {
	e, c := teamsEnv(t)
	var v repoView
	getJSON(t, e, c, "/api/v1/repos/acme/data", &v)
	var top []string
	for _, p := range v.TopContributors {
		top = append(top, fmt.Sprintf("%s %d %d", p.Key, p.HALOC, p.Commits))
	}
	// The ten with the most lines, not the most commits.
	var want []string
	for i := 12; i >= 3; i-- {
		want = append(want, fmt.Sprintf("%s %d %d", pat(i), 10*i, 13-i))
	}
	if !slices.Equal(top, want) || v.Contributors != 12 {
		t.Errorf("top contributors of %d\n got %q\nwant %q", v.Contributors, top, want)
	}
	if v.Name != "acme/data" || v.Sync.State != "never_synced" || !v.Sync.Interrupted || v.Sync.StoredCommits != 78 || v.Figures.Commits != 78 || v.Figures.HALOC != 780 {
		t.Errorf("acme/data: %+v", v.repoSummary)
	}
	var weekly int
	for _, w := range v.Weeks {
		weekly += w.Commits
	}
	if v.Since != "2024-05-01" || v.Until != "2024-05-13" || weekly != 78 || v.Weeks[0].Week != "2024-04-29" || v.Weeks[0].NewWork != 780 {
		t.Errorf("acme/data weeks over %s–%s: %+v", v.Since, v.Until, v.Weeks)
	}
	// The slash may be escaped; the filters narrow.
	getJSON(t, e, c, "/api/v1/repos/acme%2Fdata?person=pat01@example.com", &v)
	if v.Contributors != 1 || v.TopContributors[0].Key != pat(1) || v.Figures.Commits != 12 {
		t.Errorf("acme/data, Pat 01: %d contributors, %+v", v.Contributors, v.TopContributors)
	}
	getJSON(t, e, c, "/api/v1/repos/acme/api?team=eng", &v)
	if v.Contributors != 1 || v.TopContributors[0].Key != "carol@example.com" || v.Sync.State != "synced" || v.Sync.Refs != 1 {
		t.Errorf("acme/api, team eng: %+v", v)
	}
	getJSON(t, e, c, "/api/v1/repos/acme/api?since=2024-04-01&until=2024-05-01", &v)
	if v.Contributors != 0 || len(v.TopContributors) != 0 || v.Figures.Commits != 0 || v.Sync.StoredCommits != 8 {
		t.Errorf("acme/api in April: %+v", v)
	}
	rows := getCSV(t, e, c, "/api/v1/repos/acme/data?format=csv", "")
	if len(rows) != 11 || !slices.Equal(rows[0], peopleColumns) || rows[1][0] != pat(12) || rows[10][0] != pat(3) {
		t.Errorf("top contributors CSV: %q", rows)
	}
	// Week of April 29: May 1–5, when Pat i committed on days 1 … 13−i
	// (8 × 5 + 4 + 3 + 2 + 1 commits), each Pat once with all their
	// lines, on May 1.
	rows = getCSV(t, e, c, "/api/v1/repos/acme/data?format=csv&table=weeks", "")
	if len(rows) != 3 || strings.Join(rows[1], ",") != "2024-04-29,50,50,780,780,0,0,0" {
		t.Errorf("weeks CSV: %q", rows)
	}
}

func TestAPITeamsReposErrors(t *testing.T) {
	e, c := teamsEnv(t)
	anon := e.client(t)
	for _, path := range []string{"/api/v1/teams", "/api/v1/teams/eng", "/api/v1/repos", "/api/v1/repos/acme/api"} {
		resp, body := e.get(t, anon, path)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(decodeError(t, body), "login required") {
			t.Errorf("%s without login: %d %s", path, resp.StatusCode, body)
		}
	}
	for _, tt := range []struct {
		path   string
		status int
		names  string
	}{
		{"/api/v1/teams?since=yesterday", 400, "since"},
		{"/api/v1/teams?team=nope", 400, "team"},
		{"/api/v1/teams?table=people", 400, "table"},
		{"/api/v1/teams?format=xml", 400, "format"},
		{"/api/v1/teams/eng?team=frontend", 400, "team"},
		{"/api/v1/teams/eng?until=2024-13-01", 400, "until"},
		{"/api/v1/teams/eng?table=pie", 400, "table"},
		{"/api/v1/teams/eng?person=nobody@example.com", 400, "person"},
		{"/api/v1/teams/eng?repo=acme", 400, "repo"},
		{"/api/v1/repos?repo=nope", 400, "repo"},
		{"/api/v1/repos?limit=3", 400, "limit"},
		{"/api/v1/repos/acme/api?repo=acme%2Fweb", 400, "repo"},
		{"/api/v1/repos/acme/api?since=2024-05-01&until=2024-04-01", 400, "since"},
		{"/api/v1/repos/acme/api?table=sub_teams", 400, "table"},
		{"/api/v1/repos/acme/api?format=pdf", 400, "format"},
		{"/api/v1/teams/nope", 404, "team"},
		{"/api/v1/teams/nope?since=2024-01-01", 404, "team"},
		{"/api/v1/repos/nope", 404, "repo"},
		{"/api/v1/repos/acme/api/extra", 404, "repo"},
		{"/api/v1/teams/eng/extra", 404, "/api/v1/teams/eng/extra"},
	} {
		resp, body := e.get(t, c, tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.path, resp.StatusCode, tt.status, body)
			continue
		}
		if msg := decodeError(t, body); !strings.HasPrefix(msg, tt.names) {
			t.Errorf("%s: error %q does not start with %q", tt.path, msg, tt.names)
		}
	}
	req, _ := http.NewRequest("DELETE", e.ts.URL+"/api/v1/repos/acme/api", nil)
	req.SetBasicAuth(AdminUser, testPassword)
	if resp, body := e.do(t, anon, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /api/v1/repos/acme/api: %d %s", resp.StatusCode, body)
	}
}

func TestTeamsReposPages(t *testing.T) {
	e, c := teamsEnv(t)

	// /teams: the tree, each name linking to its page with the filter.
	body := getBody(t, e, c, "/teams?since=2024-01-01")
	for _, want := range []string{`id="nav-teams" aria-current="page"`, `<td class="tree depth-2"><a href="/teams/design?since=2024-01-01">design</a></td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("/teams lacks %q", want)
		}
	}
	if row := tableRow(t, body, "teams", `<a href="/teams/frontend?since=2024-01-01">frontend</a>`); row[1] != "2" || row[2] != "9" {
		t.Errorf("frontend's row: %q", row)
	}
	if row := tableRow(t, body, "teams", `<a href="/teams/ops?since=2024-01-01">ops</a>`); row[2] != "0" || row[4] != "0.00" {
		t.Errorf("ops's row (no commits): %q", row)
	}

	// A team's page: members linking to their figures in the team, the
	// charts' data, the sub-teams; no team select.
	body = getBody(t, e, c, "/teams/eng?since=2024-01-01&until=2024-05-01")
	row := tableRow(t, body, "members", "frontend")
	if row[0] != `<a href="/people/dave@example.com?since=2024-01-01&amp;team=eng&amp;until=2024-05-01">Dave Doe</a>` || row[2] != "7" {
		t.Errorf("Dave's row: %q", row)
	}
	for _, want := range []string{`<h1 id="team-name">eng</h1>`, `id="team-data"`, `id="chart-worktypes"`, `"weeks":[{"week":"2024-01-01"`,
		`<a href="/teams/frontend?since=2024-01-01&amp;until=2024-05-01">frontend</a>`, `id="csv-members"`} {
		if !strings.Contains(body, want) {
			t.Errorf("team page lacks %q", want)
		}
	}
	// Links carry the filter as a query html/template leaves intact.
	for _, want := range []string{`<a href="/api/v1/teams/eng?format=csv&amp;since=2024-01-01&amp;until=2024-05-01" id="csv-members">`,
		`<a href="/repos?since=2024-01-01&amp;until=2024-05-01" id="nav-repos">`, `<a href="/teams?since=2024-01-01&amp;until=2024-05-01" id="nav-teams" aria-current="page">`} {
		if !strings.Contains(body, want) {
			t.Errorf("team page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="team"`) {
		t.Error("the team page's filter bar offers a team select")
	}
	body = getBody(t, e, c, "/teams/design")
	if !strings.Contains(body, `id="no-members"`) || !strings.Contains(body, `id="no-commits"`) || !strings.Contains(body, `<a href="/teams/frontend" id="parent-team">frontend</a>`) {
		t.Errorf("design's page lacks its empty states or parent link:\n%s", body)
	}

	// /repos and a repository's page.
	body = getBody(t, e, c, "/repos")
	row = tableRow(t, body, "repos", `<a href="/repos/acme/data">acme/data</a>`)
	if row[2] != "78" || row[8] != "78" || row[9] != "the first sync was interrupted; the next one continues it" || row[10] != "never" {
		t.Errorf("acme/data's row: %q", row)
	}
	body = getBody(t, e, c, "/repos/acme/data?since=2024-05-01")
	row = tableRow(t, body, "contributors", pat(12))
	if row[0] != `<a href="/people/pat12@example.com?repo=acme%2Fdata&amp;since=2024-05-01">Pat 12</a>` || row[2] != "120" {
		t.Errorf("Pat 12's row: %q", row)
	}
	if n := strings.Count(body[strings.Index(body, `<table id="contributors"`):], "<tr><td>"); n != 10 {
		t.Errorf("%d top contributors listed, want 10", n)
	}
	for _, want := range []string{`<h1 id="repo-name">acme/data</h1>`, `id="repo-data"`, `<dd id="stored-commits">78</dd>`, "The 10 of 12 people"} {
		if !strings.Contains(body, want) {
			t.Errorf("repo page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="repo"`) {
		t.Error("the repository page's filter bar offers a repository select")
	}
	// Escaped slashes reach the same page; the overview and the person
	// page link repositories.
	if body := getBody(t, e, c, "/repos/acme%2Fweb"); !strings.Contains(body, `<h1 id="repo-name">acme/web</h1>`) || !strings.Contains(body, `id="sync-state">never synced completely</dd>`) {
		t.Error("/repos/acme%2Fweb is not acme/web's page")
	}
	if body := getBody(t, e, c, "/?team=eng&repo=acme%2Fapi"); !strings.Contains(body, `<a href="/repos/acme/api?team=eng">acme/api</a>`) ||
		!strings.Contains(body, `<a href="/api/v1/overview?format=csv&amp;repo=acme%2Fapi&amp;team=eng" id="csv-weeks">`) {
		t.Error("the overview does not link acme/api to its page, or its CSV link loses the filter")
	}
	if body := getBody(t, e, c, "/people?person=dave@example.com&since=2024-02-01"); !strings.Contains(body, `<a href="/people/dave@example.com?since=2024-02-01">Dave Doe</a>`) {
		t.Error("/people with a person filter links the person's page with a person parameter, which that page refuses")
	}
	if body := getBody(t, e, c, "/people/"+erin); !strings.Contains(body, `<a href="/repos/acme/tools">acme/tools</a>`) {
		t.Error("the person page does not link the commits' repository")
	}

	// Unknown names: 404 pages; bad filters: 400 with the parameter named.
	for _, path := range []string{"/teams/nope", "/repos/nope", "/repos/acme"} {
		if resp, body := e.get(t, c, path); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "No such") {
			t.Errorf("%s: %d, want 404 No such …", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/teams?since=soon", "/teams?colour=red", "/teams/eng?team=eng", "/teams/eng?until=x",
		"/repos?repo=nope", "/repos/acme/api?repo=acme%2Fweb", "/repos/acme/api?person=nobody"} {
		resp, body := e.get(t, c, path)
		_, q, _ := strings.Cut(path, "?")
		name, _, _ := strings.Cut(q, "=")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<p class="error" role="alert" id="filter-error">`+name) {
			t.Errorf("%s: status %d, want 400 with an error naming %s", path, resp.StatusCode, name)
		}
	}
	anon := e.client(t)
	for _, path := range []string{"/teams", "/teams/eng", "/repos", "/repos/acme/api"} {
		if resp, _ := e.get(t, anon, path); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s without login: %d to %q, want 303 to /login", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// TestTeamsReposEmpty: with nothing stored, the pages say what to do.
func TestTeamsReposEmpty(t *testing.T) {
	e := newEnv(t, openDB(t, sqliteDSN(t)))
	c := e.client(t)
	e.login(t, c)
	if body := getBody(t, e, c, "/teams"); !strings.Contains(body, `id="no-teams"`) || !strings.Contains(body, "sluice teams add NAME") {
		t.Errorf("/teams with no team:\n%s", body)
	}
	if body := getBody(t, e, c, "/repos"); !strings.Contains(body, `id="no-repos"`) || !strings.Contains(body, "sluice analyze") {
		t.Errorf("/repos with no repository:\n%s", body)
	}
	var tv teamsView
	getJSON(t, e, c, "/api/v1/teams", &tv)
	var rv reposView
	getJSON(t, e, c, "/api/v1/repos", &rv)
	if tv.Teams == nil || len(tv.Teams) != 0 || rv.Repos == nil || len(rv.Repos) != 0 {
		t.Errorf("empty lists: teams %#v, repos %#v; want []", tv.Teams, rv.Repos)
	}
	if body := getBody(t, e, c, "/api/v1/teams"); !strings.Contains(body, `"teams":[]`) {
		t.Errorf("/api/v1/teams: %s", body)
	}
}
