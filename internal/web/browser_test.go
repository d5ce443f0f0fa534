package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

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

// TestBrowserLogin drives a real browser: / redirects to the login form,
// the form logs in and returns to /, which shows the seeded author; the
// logout button (a POST form with the CSRF token) logs out; a viewer is
// turned away from the settings.
func TestBrowserLogin(t *testing.T) {
	browser := findChromium(t)
	e := seededEnv(t)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // containers and root on CI have no usable sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

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
		chromedp.WaitVisible(chromedp.ID("people")),
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
		chromedp.WaitVisible(chromedp.ID("people")),
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
