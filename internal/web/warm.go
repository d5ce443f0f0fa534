package web

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Warming: the read cache (store.EnableCache) empties whenever the data
// changes, after every sync batch for instance, and the first visit of a
// view then pays for its aggregates (up to about a second at 100 000
// commits on two cores). KeepWarm computes the views people open first
// as soon as the data has changed, so that visit finds them cached.

// KeepWarm recomputes the most visited views once the data has changed
// and then stayed the same for one interval (checked every interval), until
// ctx ends: while a sync stores batch after batch, it waits rather than
// take CPU from the sync for views the next batch would make stale. Call
// it after Handler, in its own goroutine; it does nothing when the cache
// is off.
func (s *Server) KeepWarm(ctx context.Context, every time.Duration) {
	h := s.handler
	if h == nil || s.CacheBytes < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var seen, warmed int64 = -1, -1
	for {
		gen, err := h.db.Generation(ctx)
		if err == nil && gen == seen && gen != warmed {
			start := time.Now()
			n := h.warm(ctx)
			warmed = gen
			h.log.Debug("warmed the cache", "views", n, "took", time.Since(start).Round(time.Millisecond))
		}
		if err == nil {
			seen = gen
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// warm renders, and throws away, the overview, people, teams and
// repositories pages over all time and the filter bar's quick ranges, and
// every team's page over all time; the JSON API shares their aggregates.
// It returns how many views it computed.
func (h *handler) warm(ctx context.Context) int {
	today := time.Now().UTC()
	ranges := []string{"", today.AddDate(0, 0, -90).Format(time.DateOnly), today.AddDate(0, 0, -30).Format(time.DateOnly)}
	type view struct {
		path string
		fn   http.HandlerFunc
		name string // the {name} path value
	}
	views := []view{{"/", h.index, ""}, {"/people", h.peoplePage, ""}, {"/teams", h.teamsPage, ""}, {"/repos", h.reposPage, ""}}
	if teams, err := h.db.Teams(ctx); err == nil {
		for _, t := range teams {
			views = append(views, view{"/teams/" + url.PathEscape(t.Name), h.teamPage, t.Name})
		}
	}
	n := 0
	for i, since := range ranges {
		for _, v := range views {
			if ctx.Err() != nil {
				return n
			}
			if i > 0 && v.name != "" {
				continue // team pages over all time only
			}
			u := v.path
			if since != "" {
				u += "?" + url.Values{paramSince: {since}}.Encode()
			}
			r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				continue
			}
			if v.name != "" {
				r.SetPathValue("name", v.name)
			}
			v.fn(discard{}, r)
			n++
		}
	}
	return n
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}
