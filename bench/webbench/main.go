// Command webbench measures the web pages and the JSON API of `sluice
// serve` on a generated dataset (issue 5's performance acceptance: every
// page and API call ≤ 100 ms p95 on SQLite with 100 000 commits, 500
// people, 50 repositories).
//
//	go run ./bench/webbench [-db PATH] [-commits 100000] [-people 500] [-repos 50] [-n 200] [-c 4] [-gen-only] [-json FILE]
//
// It generates the dataset once into a SQLite file (reused while a marker
// file beside it records the same parameters), serves the real handler on a
// loopback listener, logs in through the login form (pages) and with an API
// token (API), discovers the GET operations of /api/v1/openapi.json (or
// falls back to a built-in list) plus the pages, and times each URL with
// -n requests from -c concurrent clients after one warm-up request. GET
// /healthz is the floor: each route's p50 is also printed as a ratio to it.
// bench/README.md describes it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

// target is the acceptance bound on every route's p95.
const target = 100 * time.Millisecond

func main() {
	var (
		dbPath   = flag.String("db", filepath.Join(os.TempDir(), "sluice-webbench", "bench.db"), "SQLite `file` of the generated dataset (reused when its marker matches)")
		commits  = flag.Int("commits", 100_000, "commits to generate")
		people   = flag.Int("people", 500, "people (human authors) to generate; three bots come on top")
		repos    = flag.Int("repos", 50, "repositories to generate")
		seed     = flag.Uint64("seed", 1, "generator seed")
		n        = flag.Int("n", 200, "timed requests per URL")
		c        = flag.Int("c", 4, "concurrent clients")
		genOnly  = flag.Bool("gen-only", false, "generate (or check) the dataset and stop")
		jsonOut  = flag.String("json", "", "also write the results as JSON to `file`")
		variants = flag.String("variants", "all,90d,team,person,repo,csv", "query variants to time, comma-separated (all = no filter; csv only where the API documents format)")
		only     = flag.String("only", "", "time only routes whose path contains this `text`")
		aggr     = flag.Bool("store", true, "also time store.Aggregate and report.Build in-process (the data layer under the pages)")
		cache    = flag.Bool("cache", true, "let the server cache aggregates (as sluice serve does); -cache=false times every request's full work")
		cpuProf  = flag.String("cpuprofile", "", "write a CPU profile of the timed requests (server and clients share the process) to `file`")
	)
	flag.Parse()
	if *n < 1 || *c < 1 || *commits < 1 || *people < 1 || *repos < 1 {
		fatal(errors.New("-n, -c, -commits, -people and -repos must be at least 1"))
	}
	ctx := context.Background()
	p := params{Generator: genVersion, Commits: *commits, People: *people, Repos: *repos, Seed: *seed}
	db, ds, err := openDataset(ctx, *dbPath, p)
	if err != nil {
		fatal(err)
	}
	defer db.Close()
	if *genOnly {
		return
	}
	fmt.Printf("machine: %s/%s, %d CPUs, %s; -n %d -c %d\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), *n, *c)

	b, err := newBench(ctx, db, ds, *cache)
	if err != nil {
		fatal(err)
	}
	defer b.close()
	b.n, b.c = *n, *c
	want := map[string]bool{}
	for _, v := range strings.Split(*variants, ",") {
		want[strings.TrimSpace(v)] = true
	}
	routes := b.discover(ctx, want)
	if *only != "" {
		routes = slices.DeleteFunc(routes, func(r route) bool { return !strings.Contains(r.Pattern, *only) && !strings.Contains(r.Path, *only) })
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
	}
	res := b.run(ctx, routes)
	if st, ok := db.CacheStats(); ok {
		res.Cache = &st
		fmt.Printf("read cache: %d answers, %.1f MiB; %d hits, %d computed, %d shared\n",
			st.Entries, float64(st.Bytes)/(1<<20), st.Hits, st.Misses, st.Shared)
	}
	if *cpuProf != "" {
		pprof.StopCPUProfile()
		fmt.Printf("CPU profile written to %s (go tool pprof -top %s)\n", *cpuProf, *cpuProf)
	}
	if *aggr {
		// A handle of its own, without the server's cache: the data
		// layer's full work.
		plain, err := store.Open(ctx, *dbPath)
		if err != nil {
			fatal(err)
		}
		res.Store = timeStore(ctx, plain, ds)
		plain.Close()
	}
	if *jsonOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(data, '\n'), 0o644)
		}
		if err != nil {
			fatal(err)
		}
		fmt.Printf("results written to %s\n", *jsonOut)
	}
	if res.Errors > 0 {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "webbench:", err)
	os.Exit(1)
}

// openDataset opens the dataset at path, generating it first unless its
// marker file records the same parameters. A database without a marker is
// refused: it may be someone's real data.
func openDataset(ctx context.Context, path string, p params) (*store.DB, dataset, error) {
	marker := path + ".webbench.json"
	var ds dataset
	_, statErr := os.Stat(path)
	if data, err := os.ReadFile(marker); err == nil && json.Unmarshal(data, &ds) == nil && ds.Params == p && statErr == nil {
		db, err := store.Open(ctx, path)
		if err != nil {
			return nil, ds, err
		}
		fmt.Printf("dataset: reusing %s (%d commits, %d people, %d repositories, seed %d; generated in %s)\n",
			path, p.Commits, p.People, p.Repos, p.Seed, ds.Took)
		return db, ds, nil
	} else if statErr == nil && errors.Is(err, os.ErrNotExist) {
		return nil, ds, fmt.Errorf("%s exists but has no %s marker, so it was not made by webbench; remove it or pick another -db", path, filepath.Base(marker))
	}
	// Stale or missing: start from an empty file.
	for _, f := range []string{path, path + "-wal", path + "-shm", marker} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, ds, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, ds, err
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, ds, err
	}
	fmt.Printf("dataset: generating into %s\n", path)
	ds, err = generate(ctx, db, p, func(s string) { fmt.Println(s) })
	if err != nil {
		db.Close()
		return nil, ds, fmt.Errorf("generate: %w", err)
	}
	data, _ := json.MarshalIndent(ds, "", "  ")
	if err := os.WriteFile(marker, append(data, '\n'), 0o644); err != nil {
		db.Close()
		return nil, ds, err
	}
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	fmt.Printf("dataset: generated in %s (%.0f MiB); top person %s, big team %q, big repo %s\n",
		ds.Took, float64(size)/(1<<20), ds.TopPerson, ds.BigTeam, ds.BigRepo)
	return db, ds, nil
}

// bench is a running server with logged-in clients.
type bench struct {
	ds    dataset
	base  string
	srv   *http.Server
	page  *http.Client // session cookie
	api   *http.Client // API token
	token string
	n, c  int
	want  []variant
}

func newBench(ctx context.Context, db *store.DB, ds dataset, cache bool) (*bench, error) {
	// A fresh user and token each run; the password never leaves this
	// process.
	user := fmt.Sprintf("webbench-%d", time.Now().UnixNano())
	password := web.GeneratePassword()
	hash, err := web.HashPassword(password)
	if err != nil {
		return nil, err
	}
	u, err := db.CreateUser(ctx, user, hash, store.RoleAdmin)
	if err != nil {
		return nil, err
	}
	token, tokenHash := web.NewAPIToken()
	if _, err := db.CreateAPIToken(ctx, u.ID, "webbench", tokenHash); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := &web.Server{DB: db, Logger: logger, Version: "webbench"}
	if !cache {
		srv.CacheBytes = -1
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	b := &bench{ds: ds, base: "http://" + ln.Addr().String(), srv: hs, token: token}

	transport := func() *http.Transport {
		return &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	jar, _ := cookiejar.New(nil)
	b.page = &http.Client{Transport: transport(), Jar: jar, CheckRedirect: noRedirect, Timeout: time.Minute}
	b.api = &http.Client{Transport: transport(), CheckRedirect: noRedirect, Timeout: time.Minute}
	if err := b.login(ctx, user, password); err != nil {
		b.close()
		return nil, err
	}
	fmt.Printf("server: %s, logged in as %s (session cookie for pages, API token for /api)\n", b.base, user)
	return b, nil
}

func (b *bench) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.srv.Shutdown(ctx)
}

// login goes through the real form: GET /login (taking a CSRF token if the
// form has one), POST /login, which must redirect and set a cookie.
func (b *bench) login(ctx context.Context, user, password string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/login", nil)
	resp, err := b.page.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /login: %s", resp.Status)
	}
	form := url.Values{"username": {user}, "password": {password}, "next": {"/"}}
	if tok := hiddenField(string(body), "csrf_token"); tok != "" {
		form.Set("csrf_token", tok)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err = b.page.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return fmt.Errorf("POST /login: %s, want a redirect", resp.Status)
	}
	u, _ := url.Parse(b.base)
	if len(b.page.Jar.Cookies(u)) == 0 {
		return errors.New("POST /login set no cookie")
	}
	return nil
}

// hiddenField finds <input … name="NAME" … value="V"> in an HTML page.
func hiddenField(html, name string) string {
	i := strings.Index(html, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(html[:i], "<")
	end := strings.Index(html[i:], ">")
	if start < 0 || end < 0 {
		return ""
	}
	tag := html[start : i+end]
	_, v, ok := strings.Cut(tag, `value="`)
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, `"`)
	return v
}
