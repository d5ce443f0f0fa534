package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPaths are where Debian's chromium and chromium-headless-shell
// packages install the browser.
var chromiumPaths = []string{"/usr/bin/chromium-headless-shell", "/usr/bin/chromium"}

// findChromium returns the browser to drive, skipping the test when there
// is none, except on CI, which installs one.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, p := range chromiumPaths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "no Chromium at " + strings.Join(chromiumPaths, " or ") + "; install it (Debian: apt-get install chromium-headless-shell)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// The browser tests share one browser, started by the first of them; each
// test gets its own browser context (cookies and all), as in a private
// window. TestMain closes the browser.
var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserErr    error
	browserCancel = func() {}
)

// browserTab returns a tab in a new browser context of the shared browser,
// closed when the test ends or after timeout.
func browserTab(t *testing.T, browser string, timeout time.Duration) context.Context {
	t.Helper()
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(browser),
			chromedp.UserDataDir(filepath.Join(os.TempDir(), fmt.Sprintf("sluice-web-test-%d", os.Getpid()))),
			chromedp.NoSandbox, // containers and root on CI have no usable sandbox
			chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-sync", true),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(allocCtx)
		browserCancel = func() {
			cancelBrowser()
			cancelAlloc()
			os.RemoveAll(filepath.Join(os.TempDir(), fmt.Sprintf("sluice-web-test-%d", os.Getpid())))
		}
		// Start the browser now, outside any test's deadline.
		browserErr = chromedp.Do(ctx)
		browserCtx = ctx
	})
	if browserErr != nil {
		t.Fatalf("start the browser: %v", browserErr)
	}
	tab, cancelTab := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	return ctx
}

// TestBrowserLogin drives a real browser: / redirects to the login form,
// the form logs in and returns to /, which shows the seeded author; the
// logout button (a POST form with the CSRF token) logs out; a viewer is
// turned away from the settings.
func TestBrowserLogin(t *testing.T) {
	browser := findChromium(t)
	e := seededEnv(t)

	ctx := browserTab(t, browser, 30*time.Second)

	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := e.ts.URL + "/login?next=%2F"; loc != want {
		t.Fatalf("GET / landed on %s, want %s", loc, want)
	}

	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), AdminUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("headline")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	loc, err = chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != e.ts.URL+"/" {
		t.Errorf("after login the browser is at %s, want /", loc)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-people")),
		chromedp.WaitVisible(chromedp.ID("people")),
	); err != nil {
		t.Fatalf("open people: %v", err)
	}
	people, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("people")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Alice Example", "alice@example.com", evilName} {
		if !strings.Contains(people, want) {
			t.Errorf("people table lacks %q:\n%s", want, people)
		}
	}

	// The admin sees the settings link; following it shows the users.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-settings")),
		chromedp.WaitVisible(chromedp.ID("users")),
	); err != nil {
		t.Fatalf("open settings: %v", err)
	}
	users, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("users")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(users, AdminUser) || !strings.Contains(users, viewerUser) {
		t.Errorf("settings list no users %s and %s:\n%s", AdminUser, viewerUser, users)
	}

	// Log out, then in as the viewer.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), viewerUser),
		chromedp.SendKeys(chromedp.ID("password"), viewerPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("headline")),
	); err != nil {
		t.Fatalf("log out and in as the viewer: %v", err)
	}
	user, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("user")))
	if err != nil {
		t.Fatal(err)
	}
	if user != viewerUser {
		t.Errorf("header names user %q, want %q", user, viewerUser)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/settings"),
		chromedp.WaitVisible(chromedp.ID("message")),
	); err != nil {
		t.Fatalf("viewer opens /settings: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("message-heading")))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Admins only" {
		t.Errorf("viewer on /settings sees %q, want the Admins only page", heading)
	}
}

// chartData is what the browser test reads back from the overview's
// ECharts instances.
type chartData struct {
	Weeks  []string         `json:"weeks"`
	Series map[string][]int `json:"series"`
}

// readCharts returns the category axis and the series of both overview
// charts, by series id, as drawn.
const readCharts = `(() => {
	const out = {weeks: [], series: {}};
	for (const id of ["chart-worktypes", "chart-activity"]) {
		const c = echarts.getInstanceByDom(document.getElementById(id));
		const o = c.getOption();
		out.weeks = o.xAxis[0].data;
		for (const s of o.series) out.series[s.id] = s.data;
	}
	return out;
})()`

// wantCharts is the chart data the API's overview implies.
func wantCharts(ov overview) chartData {
	want := chartData{Weeks: []string{}, Series: map[string][]int{}}
	for _, w := range ov.Weeks {
		want.Weeks = append(want.Weeks, w.Week)
		for k, v := range map[string]int{"new_work": w.NewWork, "legacy_refactor": w.LegacyRefactor, "help_others": w.HelpOthers,
			"rework": w.Rework, "commits": w.Commits, "coding_days": w.CodingDays} {
			want.Series[k] = append(want.Series[k], v)
		}
	}
	return want
}

// TestBrowserDashboard: the overview's charts show the API's numbers;
// changing the range, then the team, in the filter bar (htmx) changes the
// numbers, the charts and the URL; the person page's work log shows the
// days of the seeded commits, coloured by their dominant work type.
func TestBrowserDashboard(t *testing.T) {
	browser := findChromium(t)
	db := openDB(t, sqliteDSN(t))
	seedDashboard(t, db)
	e := newEnv(t, db)
	api := e.client(t)
	overviewAPI := func(query string) overview {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/overview?"+query, nil)
		req.SetBasicAuth(AdminUser, testPassword)
		resp, body := e.do(t, api, req)
		var ov overview
		if err := json.Unmarshal([]byte(body), &ov); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("overview API ?%s: %d %v", query, resp.StatusCode, err)
		}
		return ov
	}

	ctx := browserTab(t, browser, 40*time.Second)
	chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			t.Logf("browser exception: %s %v", ev.ExceptionDetails.Text, ev.ExceptionDetails.Exception)
		case *cdpruntime.EventConsoleAPICalled:
			for _, a := range ev.Args {
				t.Logf("console.%s: %s", ev.Type, a.Value)
			}
		case *cdplog.EventEntryAdded:
			t.Logf("browser log: %s %s", ev.Entry.Level, ev.Entry.Text)
		}
	})
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/?since=2024-04-01&until=2024-05-01"),
		chromedp.SendKeys(chromedp.ID("username"), AdminUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("headline")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	chartsDrawn := `(() => { const el = document.getElementById("chart-activity");
		const c = el && window.echarts && echarts.getInstanceByDom(el); return !!c && c.getOption().series.length === 2; })()`
	check := func(step, query, wantCommits string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](chartsDrawn, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			dbg, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`JSON.stringify({data: !!document.getElementById("overview-data"), el: !!document.getElementById("chart-activity"), inst: !!echarts.getInstanceByDom(document.getElementById("chart-activity")), html: document.getElementById("chart-activity").outerHTML.slice(0, 300)})`))
			t.Fatalf("%s: charts not drawn: %v\n%s", step, err, dbg)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[chartData](readCharts))
		if err != nil {
			t.Fatalf("%s: read charts: %v", step, err)
		}
		ov := overviewAPI(query)
		if want := wantCharts(ov); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: charts show\n%v\nthe API says\n%v", step, got, want)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`#fig-commits .value`))
		if err != nil {
			t.Fatal(err)
		}
		if text != wantCommits || text != figureText(ov.Headline[0].Value) {
			t.Errorf("%s: commits figure %q, want %q (API: %v)", step, text, wantCommits, figureText(ov.Headline[0].Value))
		}
	}
	check("April", "since=2024-04-01&until=2024-05-01", "4")

	// A wider range through the filter bar: htmx swaps the page in place
	// and pushes the URL.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		document.getElementById("since").value = "2024-02-01";
		document.getElementById("filters").requestSubmit();
		return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#fig-commits .value").textContent !== "4"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the range change did not change the figures: %v", err)
	}
	check("February to April", "since=2024-02-01&until=2024-05-01", "28")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if want := e.ts.URL + "/?since=2024-02-01&until=2024-05-01"; loc != want {
		t.Errorf("URL after the range change %s, want %s", loc, want)
	}

	// The team select applies on change.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.getElementById("team"); s.value = "platform";
		s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#fig-commits .value").textContent === "4"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the team change did not change the figures: %v", err)
	}
	check("team platform", "since=2024-02-01&until=2024-05-01&team=platform", "4")

	// Erin's work log: her three days, coloured new work, legacy refactor,
	// help others (indexes into app.js's kinds).
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/people/"+erin+"?since=2024-03-01&until=2024-05-01")); err != nil {
		t.Fatal(err)
	}
	days, err := chromedp.Run(ctx, chromedp.Poll[[][]any](`(() => {
		const el = document.getElementById("worklog"); const c = el && window.echarts && echarts.getInstanceByDom(el);
		return c ? c.getOption().series.flatMap(s => s.data) : null; })()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("work log not drawn: %v", err)
	}
	if got, want := fmt.Sprint(days), "[[2024-04-01 2 0] [2024-04-03 1 1] [2024-04-10 1 2]]"; got != want {
		t.Errorf("work log cells %s, want %s", got, want)
	}
	colours, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`echarts.getInstanceByDom(document.getElementById("worklog")).getOption().visualMap[0].pieces.map(p => p.color)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(colours) != 5 || colours[0] == colours[1] || colours[1] == colours[2] {
		t.Errorf("work type colours %q: want five distinct", colours)
	}
	commits, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("commits")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(commits, sha("e4")[:10]) || !strings.Contains(commits, "acme/tools") {
		t.Errorf("commits table lacks e4:\n%s", commits)
	}
}

// figureText is the page's rendering of a headline value.
func figureText(v *float64) string {
	return templateFuncs["figure"].(func(*float64) string)(v)
}
