package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
)

// route is one GET endpoint or page, its path parameters filled.
type route struct {
	Kind string // "api" or "page"
	// Pattern is the path as documented ("/people/{key}"), Path the one
	// requested.
	Pattern, Path string
	// Params are the documented query parameters; nil when unknown (pages,
	// the fallback list), in which case a variant the route answers with
	// 400 is skipped.
	Params map[string]bool
}

// variant is a typical query: its name and parameters.
type variant struct {
	Name  string
	Query url.Values
	// Needs is the documented parameter that makes the variant apply.
	Needs string
}

func (b *bench) variants(want map[string]bool) []variant {
	end, _ := time.Parse(time.DateOnly, b.ds.End)
	all := []variant{
		{Name: "all"},
		{Name: "90d", Query: url.Values{"since": {end.AddDate(0, 0, -90).Format(time.DateOnly)}, "until": {b.ds.End}}, Needs: "since"},
		{Name: "team", Query: url.Values{"team": {b.ds.BigTeam}}, Needs: "team"},
		{Name: "person", Query: url.Values{"person": {b.ds.TopPerson}}, Needs: "person"},
		{Name: "repo", Query: url.Values{"repo": {b.ds.BigRepo}}, Needs: "repo"},
		{Name: "csv", Query: url.Values{"format": {"csv"}}, Needs: "format"},
	}
	return slices.DeleteFunc(all, func(v variant) bool { return !want[v.Name] })
}

// pages are the dashboard pages of issue 5.
var pages = []string{"/", "/people", "/people/{key}", "/teams", "/teams/{name}", "/repos", "/repos/{name}", "/sources", "/settings"}

// fallbackAPI is timed when /api/v1/openapi.json lists no paths.
var fallbackAPI = []string{"/api/v1/health", "/api/v1/commits"}

// discover lists the routes to time: the GET operations of the OpenAPI
// document (or fallbackAPI) and the pages.
func (b *bench) discover(ctx context.Context, want map[string]bool) []route {
	var routes []route
	doc, err := b.openAPI(ctx)
	if err == nil && len(doc.Paths) == 0 {
		err = fmt.Errorf("it lists no paths")
	}
	if err != nil {
		fmt.Printf("discover: /api/v1/openapi.json: %v; timing the built-in list %s\n", err, strings.Join(fallbackAPI, ", "))
		for _, p := range fallbackAPI {
			routes = append(routes, route{Kind: "api", Pattern: p, Path: p})
		}
	} else {
		prefix := ""
		if len(doc.Servers) > 0 {
			if u, err := url.Parse(doc.Servers[0].URL); err == nil {
				prefix = strings.TrimSuffix(u.Path, "/")
			}
		}
		paths := make([]string, 0, len(doc.Paths))
		for p := range doc.Paths {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			item := doc.Paths[p]
			if item.Get == nil {
				continue
			}
			full := p
			if !strings.HasPrefix(p, "/api/") {
				full = prefix + p
			}
			r := route{Kind: "api", Pattern: full, Params: map[string]bool{}}
			for _, prm := range append(slices.Clone(item.Parameters), item.Get.Parameters...) {
				prm = doc.resolve(prm)
				if prm.In == "query" {
					r.Params[prm.Name] = true
				}
			}
			routes = append(routes, r)
		}
		fmt.Printf("discover: /api/v1/openapi.json lists %d GET operations\n", len(routes))
	}
	for _, p := range pages {
		routes = append(routes, route{Kind: "page", Pattern: p})
	}
	out := routes[:0]
	for _, r := range routes {
		path, err := b.fill(r.Pattern)
		if err != nil {
			fmt.Printf("discover: skipping %s: %v\n", r.Pattern, err)
			continue
		}
		r.Path = path
		out = append(out, r)
	}
	b.want = b.variants(want)
	return out
}

// fill replaces the path parameters of pattern with real values from the
// dataset.
func (b *bench) fill(pattern string) (string, error) {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		var v string
		switch {
		case name == "key" || name == "person":
			v = b.ds.TopPerson
		case name == "team" || name == "name" && prev == "teams":
			v = b.ds.LeafTeam
		case name == "repo" || name == "name" && prev == "repos":
			v = b.ds.BigRepo
		case name == "sha" || name == "commit":
			v = b.ds.SHA
		default:
			return "", fmt.Errorf("no value for path parameter {%s}", name)
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/"), nil
}

type openAPIDoc struct {
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Paths map[string]struct {
		Parameters []openAPIParam `json:"parameters"`
		Get        *struct {
			Parameters []openAPIParam `json:"parameters"`
		} `json:"get"`
	} `json:"paths"`
	Components struct {
		Parameters map[string]openAPIParam `json:"parameters"`
	} `json:"components"`
}

type openAPIParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

func (d *openAPIDoc) resolve(p openAPIParam) openAPIParam {
	if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
		return d.Components.Parameters[name]
	}
	return p
}

func (b *bench) openAPI(ctx context.Context) (*openAPIDoc, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/api/v1/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := b.api.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	var doc openAPIDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("not an OpenAPI document: %w", err)
	}
	return &doc, nil
}

// result is the timing of one URL.
type result struct {
	Kind    string `json:"kind"`
	Route   string `json:"route"`
	Variant string `json:"variant"`
	URL     string `json:"url"`
	N       int    `json:"n"`
	// First is the first request's time: with the cache, the work the
	// others were spared (less what earlier URLs already cached).
	First  float64 `json:"first_ms"`
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	Max    float64 `json:"max_ms"`
	Bytes  int64   `json:"bytes"` // as sent (gzip when the server compressed)
	Gzip   bool    `json:"gzip"`
	Ratio  float64 `json:"p50_ratio_to_healthz"`
	Errors int     `json:"errors"`
	Error  string  `json:"first_error,omitempty"`
}

type results struct {
	Machine string        `json:"machine"`
	Dataset dataset       `json:"dataset"`
	N       int           `json:"n"`
	C       int           `json:"c"`
	Floor   result        `json:"floor"`
	Routes  []result      `json:"routes"`
	Skipped []string      `json:"skipped"`
	Errors  int           `json:"errors"`
	Worst   string        `json:"worst"`
	WorstMS float64       `json:"worst_p95_ms"`
	Pass    bool          `json:"all_p95_within_100ms"`
	Store   []storeTiming `json:"store,omitempty"`
	// Cache is the server's read cache at the end (none with -cache=false).
	Cache *store.CacheStats `json:"cache,omitempty"`
}

// sample is one request's outcome.
type sample struct {
	d      time.Duration
	status int
	bytes  int64
	gzip   bool
	err    string
}

func (b *bench) get(ctx context.Context, kind, u string) sample {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+u, nil)
	// As a browser does: ask for gzip, so the transport leaves the body
	// compressed and bytes are what went over the wire.
	req.Header.Set("Accept-Encoding", "gzip")
	client := b.page
	if kind == "api" {
		client = b.api
		req.Header.Set("Authorization", "Bearer "+b.token)
	} else {
		req.Header.Set("Accept", "text/html")
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{d: time.Since(start), err: err.Error()}
	}
	var body strings.Builder
	n, err := io.Copy(&limitedBuilder{&body, 300}, resp.Body)
	resp.Body.Close()
	s := sample{d: time.Since(start), status: resp.StatusCode, bytes: n, gzip: resp.Header.Get("Content-Encoding") == "gzip"}
	switch {
	case err != nil:
		s.err = err.Error()
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		msg := body.String()
		if s.gzip {
			msg = "(gzip body)"
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			msg = "Location: " + loc
		}
		s.err = fmt.Sprintf("%s %s", resp.Status, strings.Join(strings.Fields(msg), " "))
	}
	return s
}

// limitedBuilder keeps the first max bytes of what it is given and counts
// the rest.
type limitedBuilder struct {
	b   *strings.Builder
	max int
}

func (l *limitedBuilder) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// time runs n requests of u from c clients.
func (b *bench) time(ctx context.Context, kind, u string) result {
	samples := make([]sample, b.n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range b.c {
		wg.Go(func() {
			for i := range next {
				samples[i] = b.get(ctx, kind, u)
			}
		})
	}
	for i := range b.n {
		next <- i
	}
	close(next)
	wg.Wait()
	r := result{Kind: kind, URL: u, N: b.n}
	ds := make([]time.Duration, len(samples))
	for i, s := range samples {
		ds[i] = s.d
		r.Bytes = s.bytes
		r.Gzip = s.gzip
		if s.err != "" {
			r.Errors++
			if r.Error == "" {
				r.Error = s.err
			}
		}
	}
	slices.Sort(ds)
	r.P50, r.P95, r.Max = ms(quantile(ds, 0.50)), ms(quantile(ds, 0.95)), ms(ds[len(ds)-1])
	return r
}

// quantile is the nearest-rank quantile of sorted ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	i := int(float64(len(ds))*q+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// run times the floor and every route and variant, printing as it goes.
func (b *bench) run(ctx context.Context, routes []route) results {
	res := results{
		Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Dataset: b.ds, N: b.n, C: b.c, Pass: true,
	}
	warm := b.get(ctx, "page", "/healthz")
	res.Floor = b.time(ctx, "page", "/healthz")
	res.Floor.First = ms(warm.d)
	res.Floor.Route, res.Floor.Variant, res.Floor.Ratio = "/healthz", "floor", 1
	fmt.Printf("\n%-4s  %-32s %-7s %9s %9s %9s %9s %9s %8s\n", "kind", "route", "variant", "1st ms", "p50 ms", "p95 ms", "max ms", "bytes", "p50/hz")
	row := func(r result) {
		gz := ""
		if r.Gzip {
			gz = "z"
		}
		fmt.Printf("%-4s  %-32s %-7s %9.2f %9.2f %9.2f %9.2f %8d%1s %7.1f×", r.Kind, r.Route, r.Variant, r.First, r.P50, r.P95, r.Max, r.Bytes, gz, r.Ratio)
		if r.P95 > ms(target) {
			fmt.Print("  > 100 ms")
		}
		if r.Errors > 0 {
			fmt.Printf("  %d/%d errors: %s", r.Errors, r.N, r.Error)
		}
		fmt.Println()
	}
	res.Floor.Kind = "-"
	row(res.Floor)
	for _, rt := range routes {
		for _, v := range b.want {
			if rt.Params != nil && v.Needs != "" && !rt.Params[v.Needs] {
				continue // not documented for this operation
			}
			if rt.Params == nil && v.Name == "csv" {
				continue
			}
			u := rt.Path
			if len(v.Query) > 0 {
				u += "?" + v.Query.Encode()
			}
			warm := b.get(ctx, rt.Kind, u)
			if rt.Kind == "page" && warm.status == http.StatusNotFound {
				if v.Name == "all" {
					res.Skipped = append(res.Skipped, fmt.Sprintf("%s: 404, no such page (yet): %s", rt.Path, warm.err))
					fmt.Printf("      %-32s skipped: 404, no such page (yet)\n", rt.Pattern)
					break
				}
			}
			if rt.Params == nil && v.Name != "all" && warm.status == http.StatusBadRequest {
				res.Skipped = append(res.Skipped, fmt.Sprintf("%s ?%s: 400, the route does not take it (%s)", rt.Pattern, v.Query.Encode(), warm.err))
				continue
			}
			r := b.time(ctx, rt.Kind, u)
			r.Route, r.Variant, r.First = rt.Pattern, v.Name, ms(warm.d)
			if res.Floor.P50 > 0 {
				r.Ratio = r.P50 / res.Floor.P50
			}
			row(r)
			res.Routes = append(res.Routes, r)
			res.Errors += r.Errors
			if r.P95 > res.WorstMS {
				res.WorstMS, res.Worst = r.P95, r.Route+" "+r.Variant
			}
			if r.P95 > ms(target) {
				res.Pass = false
			}
		}
	}
	if len(res.Skipped) > 0 {
		fmt.Println("\nskipped:")
		for _, s := range res.Skipped {
			fmt.Println("  " + s)
		}
	}
	var slow []string
	for _, r := range res.Routes {
		if r.P95 > ms(target) {
			slow = append(slow, fmt.Sprintf("%s %s (%.0f ms)", r.Route, r.Variant, r.P95))
		}
	}
	fmt.Printf("\nfloor: GET /healthz p50 %.2f ms, p95 %.2f ms\n", res.Floor.P50, res.Floor.P95)
	fmt.Printf("worst p95: %.1f ms (%s)\n", res.WorstMS, res.Worst)
	if res.Pass {
		fmt.Printf("every p95 ≤ %d ms: yes (%d URLs)\n", target.Milliseconds(), len(res.Routes))
	} else {
		fmt.Printf("every p95 ≤ %d ms: NO — %d of %d URLs over: %s\n", target.Milliseconds(), len(slow), len(res.Routes), strings.Join(slow, "; "))
	}
	if res.Errors > 0 {
		fmt.Printf("errors: %d non-2xx or failed requests (see the table)\n", res.Errors)
		res.Pass = false
	}
	return res
}

// storeTiming is one data-layer call timed in-process.
type storeTiming struct {
	Query string  `json:"query"`
	Rows  int     `json:"rows"`
	P50   float64 `json:"p50_ms"`
	Max   float64 `json:"max_ms"`
}

// timeStore times the aggregates the pages are built on, without HTTP,
// templates or JSON, to tell the data layer's share of a route's time.
func timeStore(ctx context.Context, db *store.DB, ds dataset) []storeTiming {
	end, _ := time.Parse(time.DateOnly, ds.End)
	since := end.AddDate(0, 0, -90)
	var teamID, leafID, personID, repoID int64
	if t, err := db.TeamByName(ctx, ds.BigTeam); err == nil {
		teamID = t.ID
	}
	if t, err := db.TeamByName(ctx, ds.LeafTeam); err == nil {
		leafID = t.ID
	}
	personID, _ = db.PersonIDByKey(ctx, ds.TopPerson)
	if r, err := db.RepositoryByName(ctx, ds.BigRepo); err == nil {
		repoID = r.ID
	}
	queries := []struct {
		name string
		q    store.AggregateQuery
	}{
		{"org, all time", store.AggregateQuery{By: store.GroupOrg}},
		{"org by week, all time", store.AggregateQuery{By: store.GroupOrg, Interval: store.IntervalWeek}},
		{"org by week, 90 days", store.AggregateQuery{By: store.GroupOrg, Interval: store.IntervalWeek, Since: since, Until: end}},
		{"by person, all time", store.AggregateQuery{By: store.GroupPerson}},
		{"by person, 90 days", store.AggregateQuery{By: store.GroupPerson, Since: since, Until: end}},
		{"by person, team " + ds.BigTeam, store.AggregateQuery{By: store.GroupPerson, TeamID: teamID}},
		{"by team, all time", store.AggregateQuery{By: store.GroupTeam}},
		{"by team, under " + ds.BigTeam + ", by week", store.AggregateQuery{By: store.GroupTeam, TeamID: teamID, Interval: store.IntervalWeek}},
		{"by person, team " + ds.LeafTeam, store.AggregateQuery{By: store.GroupPerson, TeamID: leafID}},
		{"one person by day (work log)", store.AggregateQuery{By: store.GroupPerson, PersonIDs: []int64{personID}, Interval: store.IntervalDay}},
		{"by repo, all time", store.AggregateQuery{By: store.GroupRepo}},
		{"by person, repo " + ds.BigRepo, store.AggregateQuery{By: store.GroupPerson, RepoID: repoID}},
	}
	type job struct {
		name string
		run  func() (int, error)
	}
	var jobs []job
	for _, q := range queries {
		jobs = append(jobs, job{"Aggregate " + q.name, func() (int, error) {
			rows, err := db.Aggregate(ctx, q.q)
			return len(rows), err
		}})
	}
	// What the pages call: report.Build over Aggregate; and RefreshBots,
	// which applying sluice.yaml runs (a write transaction).
	jobs = append(jobs,
		job{"RefreshBots (when sluice.yaml is applied)", func() (int, error) { return 0, db.RefreshBots(ctx, nil) }},
		job{"report.Build by org, all time", func() (int, error) {
			rep, err := report.Build(ctx, db, report.Options{By: report.ByOrg})
			return rowsOf(rep), err
		}},
		job{"report.Build by org by week, all time", func() (int, error) {
			rep, err := report.Build(ctx, db, report.Options{By: report.ByOrg, Interval: report.Week})
			return rowsOf(rep), err
		}},
		job{"report.Build by person, all time", func() (int, error) {
			rep, err := report.Build(ctx, db, report.Options{By: report.ByPerson})
			return rowsOf(rep), err
		}},
	)
	fmt.Printf("\nin-process, without HTTP (1 warm-up + 10 runs, one at a time):\n")
	var out []storeTiming
	for _, j := range jobs {
		var ds []time.Duration
		rows := 0
		var err error
		for i := range 11 {
			start := time.Now()
			rows, err = j.run()
			if err != nil {
				break
			}
			if i > 0 {
				ds = append(ds, time.Since(start))
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "  %-52s error: %v\n", j.name, err)
			continue
		}
		slices.Sort(ds)
		t := storeTiming{Query: j.name, Rows: rows, P50: ms(quantile(ds, 0.5)), Max: ms(ds[len(ds)-1])}
		fmt.Printf("  %-52s %5d rows  p50 %8.2f ms  max %8.2f ms\n", t.Query, t.Rows, t.P50, t.Max)
		out = append(out, t)
	}
	return out
}

func rowsOf(r *report.Report) int {
	if r == nil {
		return 0
	}
	return len(r.Rows)
}
