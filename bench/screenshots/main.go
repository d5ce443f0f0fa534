// Command screenshots logs in to a running Sluice and saves PNG screenshots
// of its pages with Chromium (scripts/screenshots runs it on a generated
// demo repository to refresh docs/screenshots).
//
//	go run ./bench/screenshots -base http://127.0.0.1:8080 -user demo -password-file pw -out docs/screenshots
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "Sluice's address")
	user := flag.String("user", "admin", "user to log in as")
	pwFile := flag.String("password-file", "", "file holding the user's password")
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	browser := flag.String("chromium", "/usr/bin/chromium-headless-shell", "Chromium binary")
	query := flag.String("query", "", "filter query added to every page (e.g. since=2012-01-01&until=2012-07-01)")
	flag.Parse()
	if err := run(*base, *user, *pwFile, *out, *browser, *query); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(base, user, pwFile, out, browser, query string) error {
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		return fmt.Errorf("read -password-file: %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`#password`),
		chromedp.SendKeys(`#username`, user), chromedp.SendKeys(`#password`, strings.TrimSpace(string(pw))),
		chromedp.Submit(`#password`), chromedp.WaitNotPresent(`#password`)); err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	// The most active person, for the person page.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/api/v1/people?"+query)); err != nil {
		return err
	}
	body, err := chromedp.Run(ctx, chromedp.Text(`body`))
	if err != nil {
		return err
	}
	var people struct {
		People []struct {
			Key string `json:"key"`
		} `json:"people"`
	}
	if err := json.Unmarshal([]byte(body), &people); err != nil || len(people.People) == 0 {
		return fmt.Errorf("read /api/v1/people: %v (%.200s)", err, body)
	}
	pages := []struct{ name, path string }{
		{"overview", "/"},
		{"person", "/people/" + url.PathEscape(people.People[0].Key)},
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, p := range pages {
		u := base + p.path
		if query != "" {
			u += "?" + query
		}
		// Charts animate in; wait for them to settle.
		if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.Sleep(2*time.Second)); err != nil {
			return fmt.Errorf("%s: %w", p.path, err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			return fmt.Errorf("%s: %w", p.path, err)
		}
		file := filepath.Join(out, p.name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %s (%d KiB)\n", file, p.path, len(png)/1024)
	}
	return nil
}
