package web

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// The dashboard fixture adds to seed's commits, in April 2024 (so the
// older tests' open ranges are unchanged): Erin's commits with work types
// in a GitHub repository, and those of Hank, who is hidden.
//
//	day (Erin's offset)  HALOC  new legacy help rework
//	2024-04-01 +01:00     10     10                       ┐ one day: 14 lines,
//	2024-04-01 +01:00      4                        4     ┘ mostly new work
//	2024-04-03 +01:00      6           5      1             legacy refactor
//	2024-04-10 -07:00      3                  3             help others (UTC: 04-11)
//	2024-04-12 +01:00   2000   2000                         outlier: listed only
//	2024-04-12 +01:00      merge                            not listed
var (
	cet  = time.FixedZone("+0100", 3600)
	erin = "erin@example.com"
)

func seedDashboard(t *testing.T, db *store.DB) {
	t.Helper()
	seed(t, db)
	ctx := context.Background()
	repo, err := db.UpsertRepository(ctx, store.Repository{Name: "acme/tools", URL: "https://github.com/acme/tools.git", Excludes: true})
	if err != nil {
		t.Fatal(err)
	}
	work := func(label string, at time.Time, newW, legacy, help, rework int) store.Commit {
		c := person(store.Commit{}, "Erin Eng", erin, at)
		c.SHA, c.Subject = sha(label), "commit "+label
		c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework = newW, legacy, help, rework
		c.HALOC = newW + legacy + help + rework
		c.Additions, c.Deletions, c.FilesChanged, c.Hunks = c.HALOC, 0, 1, 1
		return c
	}
	outlier := work("e5", time.Date(2024, 4, 12, 10, 0, 0, 0, cet), 2000, 0, 0, 0)
	outlier.Outlier = true
	merge := person(store.Commit{}, "Erin Eng", erin, time.Date(2024, 4, 12, 11, 0, 0, 0, cet))
	merge.SHA, merge.Subject, merge.IsMerge, merge.Parents = sha("e-merge"), "merge", true, []string{sha("e1"), sha("e2")}
	hank := work("h1", time.Date(2024, 4, 2, 10, 0, 0, 0, time.UTC), 50, 0, 0, 0)
	hank.AuthorName, hank.AuthorEmail = "Hank Hidden", "hank@example.com"
	commits := []store.Commit{
		work("e1", time.Date(2024, 4, 1, 10, 0, 0, 0, cet), 10, 0, 0, 0),
		work("e2", time.Date(2024, 4, 1, 15, 0, 0, 0, cet), 0, 0, 0, 4),
		work("e3", time.Date(2024, 4, 3, 9, 0, 0, 0, cet), 0, 5, 1, 0),
		work("e4", time.Date(2024, 4, 10, 23, 30, 0, 0, minus7), 0, 0, 3, 0),
		outlier, merge, hank,
	}
	if err := db.SaveBatch(ctx, repo.ID, commits, store.Checkpoint{RepositoryID: repo.ID}); err != nil {
		t.Fatal(err)
	}
	id, err := db.FindPersonID(ctx, "hank@example.com")
	if err != nil {
		t.Fatal(err)
	}
	hidden := true
	if err := db.SetPersonFlags(ctx, id, nil, &hidden); err != nil {
		t.Fatal(err)
	}
	team, err := db.CreateTeam(ctx, "platform", 0, store.SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	erinID, err := db.FindPersonID(ctx, erin)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddTeamMember(ctx, team, erinID, nil, nil, store.SourceCLI); err != nil {
		t.Fatal(err)
	}
}

func dashboardEnv(t *testing.T) (*testEnv, *http.Client) {
	t.Helper()
	db := openDB(t, sqliteDSN(t))
	seedDashboard(t, db)
	e := newEnv(t, db)
	c := e.client(t)
	e.login(t, c)
	return e, c
}

// totals recomputes the headline sums of [since, until) from the exported
// commit rows, as metrics.md §2 and §5 define them: non-merge, non-outlier
// commits by people who are neither bots nor hidden.
type totals struct{ commits, codingDays, haloc, people int }

func recompute(t *testing.T, db *store.DB, since, until time.Time) totals {
	t.Helper()
	var tt totals
	days, people := map[string]bool{}, map[string]bool{}
	err := db.ForEachCommit(context.Background(), store.CommitFilter{Since: since, Until: until}, func(c store.CommitRow) error {
		if c.IsMerge || c.Outlier || store.IsBot(c.AuthorName, c.AuthorEmail, nil) || c.Person == "hank@example.com" {
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

func getJSON(t *testing.T, e *testEnv, c *http.Client, path string, v any) {
	t.Helper()
	body := getBody(t, e, c, path)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, body)
	}
}

func TestAPIOverview(t *testing.T) {
	e, c := dashboardEnv(t)
	var ov overview
	getJSON(t, e, c, "/api/v1/overview?since=2024-04-01&until=2024-05-01", &ov)
	if ov.Since != "2024-04-01" || ov.Until != "2024-05-01" || ov.PreviousSince != "2024-03-02" || ov.PreviousUntil != "2024-04-01" {
		t.Errorf("ranges %s–%s, previous %s–%s; want April and the 30 days before", ov.Since, ov.Until, ov.PreviousSince, ov.PreviousUntil)
	}
	april := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	cur := recompute(t, e.db, april, april.AddDate(0, 1, 0))
	prev := recompute(t, e.db, april.AddDate(0, 0, -30), april)
	if cur != (totals{4, 3, 23, 1}) {
		t.Fatalf("fixture changed: April totals %+v", cur)
	}
	got := map[string]headline{}
	for _, h := range ov.Headline {
		got[h.Key] = h
	}
	val := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	for _, x := range []struct {
		key       string
		cur, prev int
	}{{"commits", cur.commits, prev.commits}, {"coding_days", cur.codingDays, prev.codingDays},
		{"haloc", cur.haloc, prev.haloc}, {"people", cur.people, prev.people}} {
		h := got[x.key]
		if val(h.Value) != float64(x.cur) || val(h.Previous) != float64(x.prev) {
			t.Errorf("%s = %v (previous %v), want %d (%d)", x.key, val(h.Value), val(h.Previous), x.cur, x.prev)
		}
	}
	// Commits: 4 now against the previous period's; efficiency 1 − 4/23.
	if want := float64(int((4-float64(prev.commits))/float64(prev.commits)*1000-0.5)) / 10; val(got["commits"].ChangePct) != want {
		t.Errorf("commits change %v%%, want %v%%", val(got["commits"].ChangePct), want)
	}
	if val(got["efficiency_pct"].Value) != 82.61 {
		t.Errorf("efficiency %v, want 82.61", val(got["efficiency_pct"].Value))
	}
	var weeks []string
	for _, w := range ov.Weeks {
		weeks = append(weeks, fmt.Sprintf("%s %d/%d %d:%d,%d,%d,%d", w.Week, w.Commits, w.CodingDays, w.HALOC, w.NewWork, w.LegacyRefactor, w.HelpOthers, w.Rework))
	}
	want := []string{"2024-04-01 3/2 20:10,5,1,4", "2024-04-08 1/1 3:0,0,3,0", "2024-04-15 0/0 0:0,0,0,0", "2024-04-22 0/0 0:0,0,0,0", "2024-04-29 0/0 0:0,0,0,0"}
	if !slices.Equal(weeks, want) {
		t.Errorf("weeks\n got %q\nwant %q", weeks, want)
	}

	// Filters narrow: Dave's February, the team, a repository.
	getJSON(t, e, c, "/api/v1/overview?person=dave@example.com", &ov)
	if got := ov.Headline[0]; val(got.Value) != 15 || ov.Since != "2024-02-01" || ov.Until != "2024-02-16" {
		t.Errorf("Dave: commits %v over %s–%s, want 15 over 2024-02-01–2024-02-16", val(got.Value), ov.Since, ov.Until)
	}
	getJSON(t, e, c, "/api/v1/overview?team=platform", &ov)
	if got := ov.Headline[0]; val(got.Value) != 4 {
		t.Errorf("team platform: %v commits, want Erin's 4", val(got.Value))
	}
	getJSON(t, e, c, "/api/v1/overview?repo=acme%2Fapi&until=2024-03-06", &ov)
	if got := ov.Headline[0]; val(got.Value) != 3 { // a1, a2, e1
		t.Errorf("acme/api until 03-06: %v commits, want 3", val(got.Value))
	}

	// CSV: the weeks, or the headline.
	rows := getCSV(t, e, c, "/api/v1/overview?since=2024-04-01&until=2024-05-01&format=csv", "")
	if len(rows) != 6 || strings.Join(rows[1], ",") != "2024-04-01,3,2,20,10,5,1,4" {
		t.Errorf("weeks CSV: %q", rows)
	}
	rows = getCSV(t, e, c, "/api/v1/overview?since=2024-04-01&until=2024-05-01&table=headline", "text/csv")
	if len(rows) != 7 || strings.Join(rows[1], ",") != fmt.Sprintf("commits,Commits,4,%d,%s", prev.commits, csvFloat(got["commits"].ChangePct)) {
		t.Errorf("headline CSV: %q", rows)
	}
}

func getCSV(t *testing.T, e *testEnv, c *http.Client, path, accept string) [][]string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, body := e.do(t, c, req)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: status %d, Content-Type %q: %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestAPIPeople(t *testing.T) {
	e, c := dashboardEnv(t)
	var pv peopleView
	getJSON(t, e, c, "/api/v1/people", &pv)
	var keys []string
	for _, p := range pv.People {
		keys = append(keys, p.Key)
	}
	// Most commits first; no bot, no hidden Hank.
	if want := []string{"dave@example.com", "alice@example.com", "carol@example.com", erin, "evil@example.com"}; !slices.Equal(keys, want) {
		t.Errorf("people %q, want %q", keys, want)
	}
	getJSON(t, e, c, "/api/v1/people?since=2024-04-01&until=2024-05-01", &pv)
	if len(pv.People) != 1 {
		t.Fatalf("April: %d people, want Erin alone", len(pv.People))
	}
	p := pv.People[0]
	if p.Key != erin || p.Commits != 4 || p.CodingDays != 3 || p.HALOC != 23 || p.Rework != 4 || *p.EfficiencyPct != 82.61 {
		t.Errorf("Erin in April: %+v", p)
	}
	rows := getCSV(t, e, c, "/api/v1/people?since=2024-04-01&until=2024-05-01&format=csv", "")
	if len(rows) != 2 || !slices.Equal(rows[0], peopleColumns) || rows[1][0] != erin || rows[1][2] != "4" || rows[1][15] != "82.61" {
		t.Errorf("people CSV: %q", rows)
	}
	// A name a spreadsheet would run is defused.
	rows = getCSV(t, e, c, "/api/v1/people?person=evil@example.com", "text/csv")
	if rows[1][1] != evilName {
		t.Errorf("evil name in CSV: %q", rows[1][1])
	}
	if got := csvText("=HYPERLINK(1)"); got != "'=HYPERLINK(1)" {
		t.Errorf("csvText = %q", got)
	}
}

func TestAPIPerson(t *testing.T) {
	e, c := dashboardEnv(t)
	var v personView
	getJSON(t, e, c, "/api/v1/people/"+erin, &v)
	if v.Figures == nil || v.Figures.Commits != 4 || v.Figures.CodingDays != 3 || v.Name != "Erin Eng" {
		t.Fatalf("Erin: %+v", v)
	}
	var commits []string
	for _, c := range v.Commits {
		commits = append(commits, fmt.Sprintf("%s %s %d %v %s", strings.TrimPrefix(c.Subject, "commit "), c.Day, c.HALOC, c.Outlier, c.URL))
	}
	url := func(l string) string { return "https://github.com/acme/tools/commit/" + sha(l) }
	want := []string{"e5 2024-04-12 2000 true " + url("e5"), "e4 2024-04-10 3 false " + url("e4"),
		"e3 2024-04-03 6 false " + url("e3"), "e2 2024-04-01 4 false " + url("e2"), "e1 2024-04-01 10 false " + url("e1")}
	if !slices.Equal(commits, want) {
		t.Errorf("commits\n got %q\nwant %q", commits, want)
	}
	var wl workLogView
	getJSON(t, e, c, "/api/v1/people/"+erin+"/worklog", &wl)
	var days []string
	for _, d := range wl.Days {
		days = append(days, fmt.Sprintf("%s %d %s", d.Day, d.Commits, d.Dominant))
	}
	if want := []string{"2024-04-01 2 new_work", "2024-04-03 1 legacy_refactor", "2024-04-10 1 help_others"}; !slices.Equal(days, want) {
		t.Errorf("work log %q, want %q", days, want)
	}
	// The range narrows both; Alice's commits are in no host we know.
	getJSON(t, e, c, "/api/v1/people/"+erin+"/worklog?since=2024-04-02&until=2024-04-05", &wl)
	if len(wl.Days) != 1 || wl.Days[0].Day != "2024-04-03" {
		t.Errorf("work log 04-02..04-05: %+v", wl.Days)
	}
	getJSON(t, e, c, "/api/v1/people/alice@example.com?team=platform", &v)
	if v.Figures != nil || len(v.Commits) != 0 {
		t.Errorf("Alice in team platform (not a member): %+v", v)
	}
	getJSON(t, e, c, "/api/v1/people/Alice%20Example", &v)
	if len(v.Commits) != 4 || v.Commits[0].URL != "" {
		t.Errorf("Alice by name: %d commits, first URL %q; want 4, no URL", len(v.Commits), v.Commits[0].URL)
	}
	rows := getCSV(t, e, c, "/api/v1/people/"+erin+"/worklog?format=csv", "")
	if len(rows) != 4 || strings.Join(rows[1], ",") != "2024-04-01,2,14,10,0,0,4,new_work" {
		t.Errorf("work log CSV: %q", rows)
	}
	rows = getCSV(t, e, c, "/api/v1/people/"+erin+"?format=csv", "")
	if len(rows) != 6 || rows[1][0] != sha("e5") || rows[1][11] != "true" || rows[1][12] != url("e5") {
		t.Errorf("commits CSV: %q", rows)
	}
}

func TestAPIDashboardErrors(t *testing.T) {
	e, c := dashboardEnv(t)
	anon := e.client(t)
	for _, path := range []string{"/api/v1/overview", "/api/v1/people", "/api/v1/people/" + erin, "/api/v1/people/" + erin + "/worklog"} {
		resp, body := e.get(t, anon, path)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(decodeError(t, body), "login required") {
			t.Errorf("%s without login: %d %s", path, resp.StatusCode, body)
		}
	}
	tests := []struct {
		path   string
		status int
		names  string
	}{
		{"/api/v1/overview?since=yesterday", 400, "since"},
		{"/api/v1/overview?until=2024-02-30", 400, "until"},
		{"/api/v1/overview?since=2024-03-02&until=2024-03-01", 400, "since"},
		{"/api/v1/overview?team=nope", 400, "team"},
		{"/api/v1/overview?repo=nope", 400, "repo"},
		{"/api/v1/overview?person=nobody@example.com", 400, "person"},
		{"/api/v1/overview?person=hank@example.com", 400, "person"},
		{"/api/v1/overview?colour=blue", 400, "colour"},
		{"/api/v1/overview?since=2024-01-01&since=2024-02-01", 400, "since"},
		{"/api/v1/overview?format=xml", 400, "format"},
		{"/api/v1/overview?table=pie", 400, "table"},
		{"/api/v1/people?table=weeks", 400, "table"},
		{"/api/v1/people?limit=5", 400, "limit"},
		{"/api/v1/people/" + erin + "?person=dave@example.com", 400, "person"},
		{"/api/v1/people/" + erin + "/worklog?until=soon", 400, "until"},
		{"/api/v1/people/nobody@example.com", 404, "person"},
		{"/api/v1/people/hank@example.com/worklog", 404, "person"},
		{"/api/v1/people/" + erin + "/nope", 404, "/api/v1/people"},
	}
	for _, tt := range tests {
		resp, body := e.get(t, c, tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.path, resp.StatusCode, tt.status, body)
			continue
		}
		if msg := decodeError(t, body); !strings.HasPrefix(msg, tt.names) {
			t.Errorf("%s: error %q does not start with %q", tt.path, msg, tt.names)
		}
	}
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/people", nil)
	req.SetBasicAuth(AdminUser, testPassword)
	if resp, body := e.do(t, anon, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/v1/people: %d %s", resp.StatusCode, body)
	}
}

func TestOpenAPICoversRoutes(t *testing.T) {
	e, _ := dashboardEnv(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	// Served without a login, as JSON.
	getJSON(t, e, e.client(t), "/api/v1/openapi.json", &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, rt := range (&handler{}).apiRoutes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.ReplaceAll(path, "...}", "}") // {name...}: OpenAPI names the parameter alone
		routes[path] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", rt.pattern)
		}
	}
	for path := range doc.Paths {
		if !routes[path] {
			t.Errorf("openapi.json documents %s, which is no route", path)
		}
	}
}

func TestDashboardPages(t *testing.T) {
	e, c := dashboardEnv(t)

	// The overview: headline figures and the charts' data block.
	body := getBody(t, e, c, "/?since=2024-04-01&until=2024-05-01")
	for _, want := range []string{`id="fig-commits"`, `<span class="value">4</span>`, `id="chart-worktypes"`, `id="overview-data"`,
		`"weeks":[{"week":"2024-04-01","commits":3`, `value="2024-04-01"`} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// Bad filters: an inline error, 400.
	for _, q := range []string{"since=yesterday", "team=nope", "person=nobody", "colour=blue"} {
		for _, path := range []string{"/", "/people", "/people/" + erin} {
			if path == "/people/"+erin && q == "person=nobody" {
				continue
			}
			resp, body := e.get(t, c, path+"?"+q)
			name, _, _ := strings.Cut(q, "=")
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<p class="error" role="alert" id="filter-error">`+name) {
				t.Errorf("%s?%s: status %d, want 400 with an error naming %s", path, q, resp.StatusCode, name)
			}
		}
	}

	// People: Erin links to her page with the filter; Hank and bots are
	// not listed.
	body = getBody(t, e, c, "/people?team=platform")
	if !strings.Contains(body, `<option selected>platform</option>`) {
		t.Error("the team select does not show the team filter")
	}
	row := tableRow(t, body, "people", erin)
	if row[0] != `<a href="/people/erin@example.com?team=platform">Erin Eng</a>` || row[2] != "4" || row[7] != "82.61" {
		t.Errorf("Erin's row: %q", row)
	}
	body = getBody(t, e, c, "/people")
	if strings.Contains(body, "hank@example.com") || strings.Contains(body, "dependabot") {
		t.Error("/people lists the hidden person or the bot")
	}

	// Erin's page: her figures, work log data and commits with links.
	body = getBody(t, e, c, "/people/"+erin)
	for _, want := range []string{`<h1 id="person-name">Erin Eng</h1>`, `id="person-data"`, `"work_log":[{"day":"2024-04-01","commits":2`,
		`<a href="https://github.com/acme/tools/commit/` + sha("e1") + `" rel="noreferrer">` + sha("e1")[:10] + `</a>`,
		`<tr class="outlier"`} {
		if !strings.Contains(body, want) {
			t.Errorf("person page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="person"`) {
		t.Error("the person page's filter bar offers a person select")
	}
	resp, body := e.get(t, c, "/people/hank@example.com")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "No such person") {
		t.Errorf("hidden person's page: %d", resp.StatusCode)
	}
}

func TestStaticAndGzip(t *testing.T) {
	e, c := dashboardEnv(t)
	get := func(path string, gz bool) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}, Jar: c.Jar}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return resp, b
	}
	a := mustLoadAssets()
	for _, tt := range []struct {
		path, cache, contains string
		gz                    bool
	}{
		{a.url("app.js"), "public, max-age=31536000, immutable", "echarts", true},
		{a.url("style.css"), "public, max-age=31536000, immutable", "font", true},
		{"/static/style.css", "public, max-age=3600", "font", true},
		{"/static/style.css?v=stale", "public, max-age=3600", "font", false},
		{"/static/vendor/echarts-6.1.0/echarts.min.js", "public, max-age=31536000, immutable", "Apache", true},
		{"/static/vendor/htmx-2.0.11/htmx.min.js", "public, max-age=31536000, immutable", "htmx", true},
		{"/static/vendor/htmx-2.0.11/LICENSE", "public, max-age=31536000, immutable", "Zero-Clause BSD", true},
		{"/api/v1/people", "no-store", `"people"`, true},
		{"/people", "no-store", "Erin Eng", true},
	} {
		resp, body := get(tt.path, tt.gz)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != tt.cache || !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s: status %d, Cache-Control %q (want %q), body has %q: %v", tt.path, resp.StatusCode, resp.Header.Get("Cache-Control"), tt.cache, tt.contains, strings.Contains(string(body), tt.contains))
		}
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tt.gz {
			t.Errorf("%s: gzip %v, want %v", tt.path, got, tt.gz)
		}
	}
	if resp, _ := get("/static/nope.js", true); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/static/nope.js: %d", resp.StatusCode)
	}
}

func TestCommitURL(t *testing.T) {
	const s = "0123456789abcdef0123456789abcdef01234567"
	for _, tt := range []struct{ remote, want string }{
		{"https://github.com/acme/api.git", "https://github.com/acme/api/commit/" + s},
		{"https://github.com/acme/api", "https://github.com/acme/api/commit/" + s},
		{"git@github.com:acme/api.git", "https://github.com/acme/api/commit/" + s},
		{"ssh://git@github.example.com:2222/acme/api.git", "https://github.example.com/acme/api/commit/" + s},
		{"https://gitlab.example.com/group/sub/proj.git", "https://gitlab.example.com/group/sub/proj/-/commit/" + s},
		{"https://gitlab.example.com:8443/g/p.git", "https://gitlab.example.com:8443/g/p/-/commit/" + s},
		{"https://bitbucket.org/team/repo.git", "https://bitbucket.org/team/repo/commits/" + s},
		{"https://bitbucket.example.com/scm/PROJ/repo.git", "https://bitbucket.example.com/projects/PROJ/repos/repo/commits/" + s},
		{"https://git.example.com/acme/api.git", ""},
		{"", ""},
		{"/srv/git/acme-web", ""},
		{"file:///srv/github/x.git", ""},
		{"https://github.com/", ""},
	} {
		if got := commitURL(tt.remote, s); got != tt.want {
			t.Errorf("commitURL(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// TestPersonPageListsNewestCommits checks that a person page lists the
// newest pageCommits commits and says how many more the CSV holds, while
// the API lists them all.
func TestPersonPageListsNewestCommits(t *testing.T) {
	db := openDB(t, sqliteDSN(t))
	r, err := db.UpsertRepository(t.Context(), store.Repository{Name: "many", LocalPath: "/src/many"})
	if err != nil {
		t.Fatal(err)
	}
	const n = pageCommits + 5
	start := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	var cs []store.Commit
	for i := range n {
		c := person(store.Commit{SHA: sha(fmt.Sprint("many", i)), Subject: fmt.Sprintf("change %03d", i),
			HALOC: 1, NewWork: 1, Hunks: 1, Additions: 1, FilesChanged: 1}, "Mo", "mo@example.com", start.Add(time.Duration(i)*time.Hour))
		cs = append(cs, c)
	}
	if err := db.SaveBatch(t.Context(), r.ID, cs, store.Checkpoint{}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, db)
	c := e.client(t)
	e.login(t, c)
	_, body := e.get(t, c, "/people/mo@example.com")
	if got := strings.Count(body, "<tr"); got != pageCommits+1 { // the header row too
		t.Errorf("person page has %d table rows, want %d commits and a header", got, pageCommits)
	}
	if !strings.Contains(body, "change "+fmt.Sprintf("%03d", n-1)) || strings.Contains(body, ">change 000<") {
		t.Error("the page does not list the newest commits first, or lists the oldest")
	}
	if !strings.Contains(body, "5 older ones are in the CSV") {
		t.Error("the page does not say how many commits it leaves out")
	}
	_, api := e.get(t, c, "/api/v1/people/mo@example.com")
	if got := strings.Count(api, `"sha":`); got != n {
		t.Errorf("the API lists %d commits, want all %d", got, n)
	}
}
