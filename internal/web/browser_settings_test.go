package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sluicehq/sluice/internal/store"
)

// TestBrowserSettingsAndSources drives a real browser: an admin dismisses
// a suggested merge and merges two people on the settings page, and the
// People page shows them as one;
// the admin sees "Sync now" on the sources page and creates an API token
// on the account page, which shows it once; a viewer is refused the
// settings and sees the sources' state without the button; after logging
// out, a page sends the browser to the login form.
func TestBrowserSettingsAndSources(t *testing.T) {
	browser := findChromium(t)
	e, fs := sourcesEnv(t)
	// Another Alice Example: a suggested merge.
	if _, err := e.db.EnsurePersonKey(context.Background(), "alice@old.example.com", "Alice Example", store.SourceAuto); err != nil {
		t.Fatal(err)
	}
	ctx := browserTab(t, browser, 40*time.Second)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The settings page asks for a login first, then comes back.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/settings/people"),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), AdminUser),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("settings-people")),
	); err != nil {
		t.Fatalf("log in to the people settings: %v", err)
	}
	if loc := location(); loc != e.ts.URL+"/settings/people" {
		t.Errorf("after login at %s, want /settings/people", loc)
	}
	// Not the same person: the suggestion goes.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#suggestions li[data-into="alice@example.com"] button.dismiss-suggestion`),
		chromedp.WaitVisible(chromedp.ID("flash-message")),
	); err != nil {
		t.Fatalf("dismiss the suggestion: %v", err)
	}
	if got := text("#flash-message"); got != "Alice Example (alice@example.com), Alice Example (alice@old.example.com) are not suggested as one person any more." {
		t.Errorf("flash after dismissing: %q", got)
	}
	if n := count(`#suggestions`); n != 0 {
		t.Error("the dismissed suggestion is still shown")
	}
	// Load the page again, so that the next wait is for the next flash.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/settings/people"),
		chromedp.WaitVisible(chromedp.ID("settings-people")),
	); err != nil {
		t.Fatal(err)
	}
	if n := count(`#flash-message`); n != 0 {
		t.Error("the flash is shown a second time")
	}
	// Tick Alice and Carol, merge.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#settings-people tr[data-key="alice@example.com"] input[type=checkbox]`),
		chromedp.Click(`#settings-people tr[data-key="carol@example.com"] input[type=checkbox]`),
		chromedp.Click(chromedp.ID("merge-submit")),
		chromedp.WaitVisible(chromedp.ID("flash-message")),
	); err != nil {
		t.Fatalf("merge: %v", err)
	}
	if got := text("#flash-message"); got != "Merged Carol Chen (carol@example.com) into Alice Example (alice@example.com)." {
		t.Errorf("flash after the merge: %q", got)
	}
	if got := text("#flash-note"); !strings.Contains(got, "imports it anew") {
		t.Errorf("no re-import note after the merge: %q", got)
	}
	if n := count(`#settings-people tr[data-key="carol@example.com"]`); n != 0 {
		t.Errorf("Carol still has her own row in the settings")
	}
	// The People page: one person, Alice, with Carol's commits.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-people")),
		chromedp.WaitVisible(chromedp.ID("people")),
	); err != nil {
		t.Fatal(err)
	}
	people := text("#people")
	if strings.Contains(people, "Carol Chen") || !strings.Contains(people, "Alice Example") {
		t.Errorf("People after the merge:\n%s", people)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/people/alice@example.com"),
		chromedp.WaitVisible(chromedp.ID("commits")),
	); err != nil {
		t.Fatal(err)
	}
	if commits := text("#commits"); !strings.Contains(commits, sha("shared")[:10]) || !strings.Contains(commits, sha("a1")[:10]) {
		t.Errorf("Alice's commits lack Carol's commit after the merge:\n%s", commits)
	}
	// The admin sees Sync now.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-sources")),
		chromedp.WaitVisible(chromedp.ID("repos-sync")),
	); err != nil {
		t.Fatal(err)
	}
	if n := count(`button.sync-now`); n != 3 {
		t.Errorf("the admin sees %d Sync now buttons, want 3", n)
	}
	// Sync now (htmx): the page comes back saying the sync is queued.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#repo-acme-web button.sync-now`),
		chromedp.WaitVisible(chromedp.ID("flash-message")),
	); err != nil {
		t.Fatalf("sync now: %v", err)
	}
	if got := text("#flash-message"); got != "Sync of acme/web queued; this page shows when it is done." {
		t.Errorf("flash after sync now: %q", got)
	}
	if row := text("#repo-acme-web"); !strings.Contains(row, "queued") || count(`#repo-acme-web button.sync-now`) != 0 {
		t.Errorf("acme/web after sync now: %q", row)
	}
	if calls := fs.requested(); calls != "[acme/web]" {
		t.Errorf("syncs requested: %s, want [acme/web]", calls)
	}

	// The header's name leads to the account page, which creates an API
	// token and shows it once; the token works for the API.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("user")),
		chromedp.WaitVisible(chromedp.ID("create-token")),
		chromedp.SendKeys(chromedp.ID("new-token-name"), "browser ci"),
		chromedp.Click(chromedp.ID("create-token-submit")),
		chromedp.WaitVisible(chromedp.ID("flash-secret")),
	); err != nil {
		t.Fatalf("create an API token: %v", err)
	}
	secret := text("#flash-secret")
	if resp, body := e.bearerGet(t, secret, "/api/v1/overview"); !wellFormedToken(secret) || resp.StatusCode != http.StatusOK || !strings.Contains(body, `"headline"`) {
		t.Errorf("the token on the page (%q) gets %d from the API", secret, resp.StatusCode)
	}
	if row := text("#api-tokens"); !strings.Contains(row, "browser ci") || strings.Contains(row, secret) {
		t.Errorf("the tokens table after creating one: %q", row)
	}

	// The viewer: settings refused, sources without buttons.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), viewerUser),
		chromedp.SendKeys(chromedp.ID("password"), viewerPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.Navigate(e.ts.URL+"/settings/people"),
		chromedp.WaitVisible(chromedp.ID("message")),
	); err != nil {
		t.Fatalf("viewer opens the settings: %v", err)
	}
	if h := text("#message-heading"); h != "Admins only" {
		t.Errorf("viewer on the settings sees %q, want Admins only", h)
	}
	if n := count(`#nav-settings`); n != 0 {
		t.Error("the viewer's navigation links to the settings")
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("nav-sources")),
		chromedp.WaitVisible(chromedp.ID("repos-sync")),
	); err != nil {
		t.Fatal(err)
	}
	if n := count(`button.sync-now`); n != 0 {
		t.Errorf("the viewer sees %d Sync now buttons", n)
	}
	if row := text("#repo-broken-repo"); !strings.Contains(row, "the last sync failed") || !strings.Contains(row, "token of source corp-git was refused") {
		t.Errorf("the viewer's sources page lacks the failed sync: %q", row)
	}

	// Logged out, a page sends the browser to the login form.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.Navigate(e.ts.URL+"/sources"),
		chromedp.WaitVisible(chromedp.ID("password")),
	); err != nil {
		t.Fatalf("log out: %v", err)
	}
	if loc := location(); loc != e.ts.URL+"/login?next=%2Fsources" {
		t.Errorf("logged out, /sources landed on %s, want the login form", loc)
	}
}
