package web

import (
	"bufio"
	"fmt"
	"net/http"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// httpMetrics counts requests by route pattern and status class and
// times them, for /metrics in the Prometheus text format. It is written by
// hand: a handful of counters do not need prometheus/client_golang.
type httpMetrics struct {
	start time.Time

	mu       sync.Mutex
	requests map[requestKey]uint64
	duration map[string]*histogram // by route
}

type requestKey struct {
	route  string // the ServeMux pattern, e.g. "GET /api/v1/commits"
	status string // "2xx" …
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{start: time.Now(), requests: map[requestKey]uint64{}, duration: map[string]*histogram{}}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// middleware records every request. The route is the pattern that the
// ServeMux inside next matched (it sets r.Pattern on this very request),
// so label values stay few whatever paths clients send.
func (m *httpMetrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
				if v := recover(); v != nil {
					// A panic before any response: count it as a failure,
					// then let net/http handle the panic.
					m.observe(r.Pattern, http.StatusInternalServerError, time.Since(start))
					panic(v)
				}
			}
			m.observe(r.Pattern, status, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

func (m *httpMetrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	class := strconv.Itoa(status/100) + "xx"
	secs := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, class}]++
	h := m.duration[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets)+1)}
		m.duration[route] = h
	}
	i, _ := slices.BinarySearch(durationBuckets, secs)
	h.counts[i]++
	h.sum += secs
	h.n++
}

// runtimeSamples are the Go runtime figures /metrics reports.
var runtimeSamples = []struct{ name, help, key string }{
	{"go_goroutines", "Number of goroutines that currently exist.", "/sched/goroutines:goroutines"},
	{"go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", "/memory/classes/heap/objects:bytes"},
	{"go_memstats_sys_bytes", "Bytes of memory obtained from the OS.", "/memory/classes/total:bytes"},
	{"go_gc_cycles_total", "Completed GC cycles.", "/gc/cycles/total:gc-cycles"},
}

// serveMetrics writes the metrics in the Prometheus text format 0.0.4.
func (h *handler) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	m := h.metrics

	fmt.Fprintf(bw, "# HELP sluice_build_info Sluice build; the value is always 1.\n# TYPE sluice_build_info gauge\nsluice_build_info{version=%s} 1\n", quoteLabel(h.version))
	fmt.Fprintf(bw, "# HELP process_start_time_seconds Start time of the server since the epoch.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %d\n", m.start.Unix())

	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b requestKey) int {
		return strings.Compare(a.route+"\x00"+a.status, b.route+"\x00"+b.status)
	})
	fmt.Fprintf(bw, "# HELP sluice_http_requests_total HTTP requests by route pattern and status class.\n# TYPE sluice_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(bw, "sluice_http_requests_total{route=%s,status=%q} %d\n", quoteLabel(k.route), k.status, m.requests[k])
	}
	routes := make([]string, 0, len(m.duration))
	for route := range m.duration {
		routes = append(routes, route)
	}
	slices.Sort(routes)
	fmt.Fprintf(bw, "# HELP sluice_http_request_duration_seconds Time to answer HTTP requests, by route pattern.\n# TYPE sluice_http_request_duration_seconds histogram\n")
	for _, route := range routes {
		hist, label := m.duration[route], quoteLabel(route)
		var cum uint64
		for i, le := range durationBuckets {
			cum += hist.counts[i]
			fmt.Fprintf(bw, "sluice_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", label, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(bw, "sluice_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", label, hist.n)
		fmt.Fprintf(bw, "sluice_http_request_duration_seconds_sum{route=%s} %s\n", label, strconv.FormatFloat(hist.sum, 'g', -1, 64))
		fmt.Fprintf(bw, "sluice_http_request_duration_seconds_count{route=%s} %d\n", label, hist.n)
	}
	m.mu.Unlock()

	samples := make([]metrics.Sample, len(runtimeSamples))
	for i, s := range runtimeSamples {
		samples[i].Name = s.key
	}
	metrics.Read(samples)
	for i, s := range runtimeSamples {
		typ := "gauge"
		if strings.HasSuffix(s.name, "_total") {
			typ = "counter"
		}
		var v uint64
		if samples[i].Value.Kind() == metrics.KindUint64 {
			v = samples[i].Value.Uint64()
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", s.name, s.help, s.name, typ, s.name, v)
	}

	if st, ok := h.db.CacheStats(); ok {
		for _, c := range []struct {
			name, typ, help string
			v               int64
		}{
			{"sluice_cache_hits_total", "counter", "Reads (aggregates, people, teams, views) answered from the cache.", st.Hits},
			{"sluice_cache_misses_total", "counter", "Reads the cache had to compute.", st.Misses},
			{"sluice_cache_shared_total", "counter", "Reads that waited for another request's computation of the same answer.", st.Shared},
			{"sluice_cache_invalidations_total", "counter", "Times a change to the data emptied the cache.", st.Invalidations},
			{"sluice_cache_entries", "gauge", "Answers in the cache.", int64(st.Entries)},
			{"sluice_cache_bytes", "gauge", "Approximate memory the cached answers hold.", st.Bytes},
		} {
			fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", c.name, c.help, c.name, c.typ, c.name, c.v)
		}
	}

	// Sync state, from what the overview already reads.
	repos, err := h.db.Repositories(r.Context())
	if err != nil {
		h.log.Error("web: metrics: list repositories", "err", err)
		return
	}
	fmt.Fprintf(bw, "# HELP sluice_repositories Repositories in the database.\n# TYPE sluice_repositories gauge\nsluice_repositories %d\n", len(repos))
	fmt.Fprintf(bw, "# HELP sluice_repository_last_sync_timestamp_seconds End of the repository's last completed sync since the epoch (0: never).\n# TYPE sluice_repository_last_sync_timestamp_seconds gauge\n")
	for _, repo := range repos {
		var ts int64
		if !repo.LastSyncedAt.IsZero() {
			ts = repo.LastSyncedAt.Unix()
		}
		fmt.Fprintf(bw, "sluice_repository_last_sync_timestamp_seconds{repo=%s} %d\n", quoteLabel(repo.Name), ts)
	}
}

// quoteLabel quotes a label value as the text format wants: backslash,
// double quote and newline escaped, nothing else.
func quoteLabel(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
