package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// Syncer runs repository syncs on request: the "Sync now" button of the
// sources page and POST /api/v1/repos/{name}/sync. `sluice serve` gives
// the server one that syncs one repository at a time in the background.
// Without a Syncer the sources page shows what the database records and
// offers no "Sync now".
type Syncer interface {
	// SyncNow queues a sync of the repository named repo and returns
	// without waiting for it. It returns an error wrapping
	// ErrAlreadySyncing when that repository is syncing or queued, and
	// one wrapping store.ErrNotFound when it knows no repository of that
	// name.
	SyncNow(ctx context.Context, repo string) error
	// SyncStates returns what the syncer knows of each repository, by
	// name: those synced, queued or failed since the server started.
	SyncStates() map[string]SyncState
}

// ErrAlreadySyncing is wrapped by Syncer.SyncNow's error for a repository
// that is syncing or queued already.
var ErrAlreadySyncing = errors.New("already syncing")

// SyncState is a repository's sync state as the Syncer knows it.
type SyncState struct {
	// Location is where the repository is read from (URL without
	// credentials, or local path), and Source the configured source of its
	// credentials; for repositories that never synced far enough to be
	// stored.
	Location string
	Source   string
	// Queued and Running say whether a sync waits or runs, since QueuedAt
	// and StartedAt.
	Queued, Running     bool
	QueuedAt, StartedAt time.Time
	// LastSuccess is when the last successful sync ended (zero: none
	// since the server started).
	LastSuccess time.Time
	// LastError is the error of the last sync if it failed, in plain
	// words, and LastErrorAt when it failed; empty after a success.
	LastError   string
	LastErrorAt time.Time
	// Duration and Imported are the run time and new commits of the last
	// finished sync; UpToDate and Reimported as in ingest.Result.
	Duration   time.Duration
	Imported   int64
	UpToDate   bool
	Reimported bool
}

// sourceView is a configured source of GET /api/v1/sources.
type sourceView struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	URL          string   `json:"url"`
	Repositories []string `json:"repositories"`
}

// repoSyncView is a repository's sync state in GET /api/v1/sources.
type repoSyncView struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Source   string `json:"source"`
	// State, StateText and Interrupted are those of /api/v1/repos.
	syncState
	Queued              bool       `json:"queued"`
	Running             bool       `json:"running"`
	StartedAt           *time.Time `json:"started_at"`
	LastSuccess         *time.Time `json:"last_success"`
	LastError           string     `json:"last_error"`
	LastErrorAt         *time.Time `json:"last_error_at"`
	LastDurationSeconds *float64   `json:"last_duration_seconds"`
	LastImported        *int64     `json:"last_imported"`
	CommitsStored       int64      `json:"commits_stored"`
	// Stored is false for a repository the database does not hold yet
	// (its first sync failed before it could be read).
	Stored bool `json:"stored"`
}

// sourcesView is the body of GET /api/v1/sources.
type sourcesView struct {
	Sources      []sourceView   `json:"sources"`
	Repositories []repoSyncView `json:"repositories"`
	// CanSync is true when this server can sync on request (sluice serve).
	CanSync bool `json:"can_sync"`
}

// redactURL drops any user and password from a URL; other strings (local
// paths) are returned unchanged.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil || u.Host == "" {
		return s
	}
	u.User = nil
	return u.String()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// loadSources reads the sources and every repository's sync state: what
// the database records (last completed sync, an interrupted sync's
// checkpoint, stored commits) and what the Syncer knows.
func (h *handler) loadSources(ctx context.Context) (*sourcesView, error) {
	srcs, err := h.db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	repos, err := h.db.Repositories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	counts, err := h.db.CommitCounts(ctx)
	if err != nil {
		return nil, err
	}
	states := h.liveSyncStates()
	v := &sourcesView{Sources: []sourceView{}, Repositories: []repoSyncView{}, CanSync: h.syncer != nil}
	bySource := map[string][]string{}
	seen := map[string]bool{}
	for _, rp := range repos {
		seen[rp.Name] = true
		cp, err := h.db.Checkpoint(ctx, rp.ID)
		if err != nil {
			return nil, err
		}
		rv := repoSyncView{Name: rp.Name, Location: redactURL(rp.Location()), Source: rp.Source,
			CommitsStored: counts[rp.ID], Stored: true, LastSuccess: timePtr(rp.LastSyncedAt)}
		live := liveState(states, rp.Name)
		if live != nil && rv.Source == "" {
			rv.Source = live.Source
		}
		v.Repositories = append(v.Repositories, repoState(rv, rp.LastSyncedAt, cp.Pending != nil, live))
		if rv.Source != "" {
			bySource[rv.Source] = append(bySource[rv.Source], rp.Name)
		}
	}
	for name, st := range states {
		if seen[name] {
			continue
		}
		rv := repoState(repoSyncView{Name: name, Location: redactURL(st.Location), Source: st.Source}, time.Time{}, false, &st)
		v.Repositories = append(v.Repositories, rv)
		if rv.Source != "" {
			bySource[rv.Source] = append(bySource[rv.Source], name)
		}
	}
	sort.Slice(v.Repositories, func(i, j int) bool { return v.Repositories[i].Name < v.Repositories[j].Name })
	for _, s := range srcs {
		names := bySource[s.Name]
		sort.Strings(names)
		if names == nil {
			names = []string{}
		}
		v.Sources = append(v.Sources, sourceView{Name: s.Name, Kind: s.Kind, URL: redactURL(s.URL), Repositories: names})
	}
	return v, nil
}

// repoState fills rv's state (newSyncState's, from the store's lastSynced
// and pending checkpoint and the Syncer's live state) and the Syncer's
// account of the repository's runs.
func repoState(rv repoSyncView, lastSynced time.Time, pending bool, live *SyncState) repoSyncView {
	rv.syncState = newSyncState(lastSynced, pending, live)
	if live == nil {
		return rv
	}
	rv.Queued, rv.Running = live.Queued, live.Running
	if rv.Running {
		rv.StartedAt = timePtr(live.StartedAt)
	}
	if s := timePtr(live.LastSuccess); s != nil && (rv.LastSuccess == nil || s.After(*rv.LastSuccess)) {
		rv.LastSuccess = s
	}
	rv.LastError, rv.LastErrorAt = live.LastError, timePtr(live.LastErrorAt)
	if !live.LastSuccess.IsZero() || live.LastError != "" {
		d := live.Duration.Seconds()
		rv.LastDurationSeconds = &d
		n := live.Imported
		rv.LastImported = &n
	}
	return rv
}

type sourcesData struct {
	page
	View  *sourcesView
	Flash *flash
	// Busy is true while a sync runs or waits: the page then refreshes
	// itself.
	Busy bool
}

// sourcesPage shows the configured sources and every repository's sync
// state; admins get a "Sync now" button per repository.
func (h *handler) sourcesPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.loadSources(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data := sourcesData{page: h.pageFor(r, "Sources"), View: v, Flash: h.takeFlash(w, r)}
	data.Nav = "sources"
	for _, rp := range v.Repositories {
		data.Busy = data.Busy || rp.Running || rp.Queued
	}
	h.render(w, r, http.StatusOK, h.pages.sources, data)
}

// syncNow queues a repository's sync from the sources page (admins only)
// and goes back to the page with a message. htmx follows the redirect
// and swaps the page's main part.
func (h *handler) syncNow(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	status, msg := h.queueSync(r.Context(), name)
	if status == http.StatusInternalServerError {
		h.serverError(w, r, errors.New(msg))
		return
	}
	h.setFlash(w, r, flash{Message: msg, Error: status != http.StatusAccepted})
	http.Redirect(w, r, "/sources#"+repoAnchor(name), http.StatusSeeOther)
}

// apiSyncRepo is POST /api/v1/repos/{name}/sync: 202 when queued, 409 when
// already syncing or queued, 404 for an unknown repository, 503 when the
// server cannot sync.
func (h *handler) apiSyncRepo(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	status, msg := h.queueSync(r.Context(), name)
	switch status {
	case http.StatusAccepted:
		w.Header().Set("Location", "/api/v1/sources")
		writeJSON(w, status, map[string]string{"repo": name, "status": "queued", "message": msg})
	case http.StatusInternalServerError:
		h.serverError(w, r, errors.New(msg))
	default:
		writeError(w, status, msg)
	}
}

// queueSync asks the Syncer to sync repo and returns the HTTP status and
// the message to show.
func (h *handler) queueSync(ctx context.Context, repo string) (int, string) {
	if h.syncer == nil {
		return http.StatusServiceUnavailable, "this server cannot sync on request (only `sluice serve` can); run `sluice analyze` on the server instead"
	}
	err := h.syncer.SyncNow(ctx, repo)
	switch {
	case err == nil:
		return http.StatusAccepted, fmt.Sprintf("Sync of %s queued; this page shows when it is done.", repo)
	case errors.Is(err, ErrAlreadySyncing):
		return http.StatusConflict, fmt.Sprintf("%s is already syncing or queued; wait for that sync to finish.", repo)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, fmt.Sprintf("There is no repository named %q; the sources page lists them.", repo)
	}
	return http.StatusInternalServerError, "queue sync of " + repo + ": " + err.Error()
}

func (h *handler) apiSources(w http.ResponseWriter, r *http.Request) {
	v, err := h.loadSources(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// repoAnchor is the id of a repository's row on the sources page.
func repoAnchor(name string) string {
	b := []byte("repo-")
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b = append(b, c)
		default:
			b = append(b, '-')
		}
	}
	return string(b)
}
