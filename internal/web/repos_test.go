package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTeamsRepos drives a real browser: the Teams link leads to the
// tree of teams, a team's page lists its members' rows and draws charts
// whose data are the API's (/api/v1/teams/{name}), and a repository's page
// lists its top contributors, most lines first.
func TestBrowserTeamsRepos(t *testing.T) {
	browser := findChromium(t)
	db := openDB(t, sqliteDSN(t))
	seedTeams(t, db)
	e := newEnv(t, db)
	api := e.client(t)
	apiGet := func(path string, v any) {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.SetBasicAuth(AdminUser, testPassword)
		resp, body := e.do(t, api, req)
		if err := json.Unmarshal([]byte(body), v); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
	}

	ctx := browserTab(t, browser, 40*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/?since=2024-01-01&until=2024-05-01"),
		chromedp.SendKeys(chromedp.ID("username"), AdminUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("headline")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-teams")),
		chromedp.WaitVisible(chromedp.ID("teams")),
	); err != nil {
		t.Fatalf("open the teams from the overview's navigation: %v", err)
	}
	teams, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#teams tbody td.tree")].map(td => td.className + " " + td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tree depth-0 eng", "tree depth-1 frontend", "tree depth-2 design", "tree depth-0 ops", "tree depth-0 platform"}; !slices.Equal(teams, want) {
		t.Errorf("teams tree %q, want %q", teams, want)
	}

	// eng's page, through its link: the range carries over.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#teams a[href^="/teams/eng?"]`),
		chromedp.WaitVisible(chromedp.ID("members")),
	); err != nil {
		t.Fatalf("open eng: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := e.ts.URL + "/teams/eng?since=2024-01-01&until=2024-05-01"; loc != want {
		t.Errorf("eng's page is at %s, want %s", loc, want)
	}
	var tv teamView
	apiGet("/api/v1/teams/eng?since=2024-01-01&until=2024-05-01", &tv)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#members tbody tr")].map(tr => [...tr.cells].slice(0, 3).map(td => td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for _, p := range tv.People {
		want = append(want, []string{p.Name, strings.Join(p.Teams, ", "), fmt.Sprint(p.Commits)})
	}
	if got := fmt.Sprint(rows); got != fmt.Sprint(want) || got != "[[Dave Doe frontend 7] [Carol Chen eng 4] [Alice Example frontend 2]]" {
		t.Errorf("member rows %s, want %s (the API's)", got, fmt.Sprint(want))
	}
	chartsDrawn := `(() => { const el = document.getElementById("chart-activity");
		const c = el && window.echarts && echarts.getInstanceByDom(el); return !!c && c.getOption().series.length === 2; })()`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("team charts not drawn: %v", err)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[chartData](readCharts))
	if err != nil {
		t.Fatal(err)
	}
	if want := wantCharts(overview{Weeks: tv.Weeks}); fmt.Sprint(charts) != fmt.Sprint(want) || len(charts.Weeks) != 18 {
		t.Errorf("team charts show\n%v\nthe API says\n%v", charts, want)
	}

	// A repository's page: the top contributors by lines.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/repos"),
		chromedp.WaitVisible(chromedp.ID("repos")),
		chromedp.Click(`#repos a[href="/repos/acme/data"]`),
		chromedp.WaitVisible(chromedp.ID("contributors")),
	); err != nil {
		t.Fatalf("open acme/data: %v", err)
	}
	top, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#contributors tbody tr")].map(tr => tr.cells[0].textContent + " " + tr.cells[2].textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	var wantTop []string
	for i := 12; i >= 3; i-- {
		wantTop = append(wantTop, fmt.Sprintf("Pat %02d %d", i, 10*i))
	}
	if !slices.Equal(top, wantTop) {
		t.Errorf("top contributors %q, want %q", top, wantTop)
	}
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("sync-state")))
	if err != nil {
		t.Fatal(err)
	}
	if state != "the first sync was interrupted; the next one continues it" {
		t.Errorf("sync state %q", state)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("repository charts not drawn: %v", err)
	}
}
