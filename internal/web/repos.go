package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
)

// The repositories pages: /repos lists every repository with its activity
// and sync status, /repos/{name} shows one repository's activity by week,
// its top contributors and its sync status. GET /api/v1/repos and
// /api/v1/repos/{name} return their data. Repository names often hold a
// slash (acme/api), so the routes take the rest of the path as the name.

// topContributors is how many people a repository's page lists.
const topContributors = 10

// repoPath is the page of a repository: /repos/acme/api. A name whose
// slashes would not survive path cleaning (empty, "." or ".." parts) is
// escaped whole.
func repoPath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "/repos/" + url.PathEscape(name)
		}
		parts[i] = url.PathEscape(p)
	}
	return "/repos/" + strings.Join(parts, "/")
}

// RepoLink is the page of a repository with the filter (the path names the
// repository).
func (b *filterBar) RepoLink(name string) string { return b.linkTo(repoPath(name), paramRepo, "", "") }

// reposView is the data of /repos and GET /api/v1/repos.
type reposView struct {
	Since string        `json:"since"`
	Until string        `json:"until"`
	Repos []repoSummary `json:"repos"`
}

// repoSummary is a repository, its figures over the range and its sync
// status.
type repoSummary struct {
	Name string `json:"name"`
	// URL is the remote without credentials, "" for a local repository;
	// LocalPath the directory of a local one.
	URL       string `json:"url"`
	LocalPath string `json:"local_path"`
	// Branch is the one ref analysed, "" for all branches.
	Branch string `json:"branch"`
	// Source is the configured source the repository comes from, or "".
	Source string `json:"source"`
	// Figures are over the included commits (metrics.md); zeros when
	// there are none.
	Figures report.Row `json:"figures"`
	Sync    syncStatus `json:"sync"`
}

// Location is the URL or, for a local repository, the path.
func (s repoSummary) Location() string {
	if s.URL != "" {
		return s.URL
	}
	return s.LocalPath
}

// syncStatus is where a repository's syncing stands, as the store
// records it and, when the server has a Syncer, as the Syncer knows it.
type syncStatus struct {
	// State, StateText and Interrupted are those of /api/v1/sources
	// (newSyncState).
	syncState
	// LastSynced is when the last completed sync ended (RFC 3339, UTC),
	// "" if none has.
	LastSynced string `json:"last_synced"`
	// StoredCommits counts every commit stored for the repository, merges
	// and bots' included.
	StoredCommits int64 `json:"stored_commits"`
	// Refs counts the refs (branches) the last completed sync read.
	Refs int `json:"refs"`
	// CheckpointAt is when a sync last saved progress (RFC 3339, UTC), ""
	// if none has.
	CheckpointAt string `json:"checkpoint_at"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// syncStatus reads r's sync status from the store; stored is r's number
// of stored commits, live what the Syncer knows of r (nil: nothing, or no
// Syncer).
func (h *handler) syncStatus(ctx context.Context, r store.Repository, stored int64, live *SyncState) (syncStatus, error) {
	s := syncStatus{LastSynced: rfc3339(r.LastSyncedAt)}
	cp, err := h.db.Checkpoint(ctx, r.ID)
	if err != nil {
		return s, err
	}
	s.StoredCommits, s.Refs, s.CheckpointAt = stored, len(cp.Tips), rfc3339(cp.UpdatedAt)
	s.syncState = newSyncState(r.LastSyncedAt, cp.Pending != nil, live)
	return s, nil
}

// repoSummary is r with its figures (row, nil: none in rep) and its sync
// status (stored: its stored commits; live: what the Syncer knows of r,
// nil if nothing).
func (h *handler) repoSummary(ctx context.Context, r store.Repository, row *report.Row, rep *report.Report, stored int64, live *SyncState) (repoSummary, error) {
	s := repoSummary{Name: r.Name, URL: r.URL, LocalPath: r.LocalPath, Branch: r.Branch, Source: r.Source}
	if row != nil {
		s.Figures = *row
	} else {
		s.Figures = zeroRow(r.Name, r.Name, rep)
	}
	var err error
	if s.Sync, err = h.syncStatus(ctx, r, stored, live); err != nil {
		return s, fmt.Errorf("sync status of %s: %w", r.Name, err)
	}
	return s, nil
}

// loadRepos lists every repository (f.Repo: that one) by name.
func (h *handler) loadRepos(ctx context.Context, f filter) (*reposView, error) {
	repos, err := h.db.Repositories(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByRepo))
	if err != nil {
		return nil, fmt.Errorf("report by repository: %w", err)
	}
	rows := make(map[string]*report.Row, len(rep.Rows))
	for i := range rep.Rows {
		rows[rep.Rows[i].Key] = &rep.Rows[i]
	}
	counts, err := h.db.CommitCounts(ctx)
	if err != nil {
		return nil, err
	}
	states := h.liveSyncStates()
	v := &reposView{Since: dateOf(rep.Since), Until: dateOf(rep.Until), Repos: []repoSummary{}}
	for _, r := range repos {
		if f.Repo != "" && r.Name != f.Repo {
			continue
		}
		s, err := h.repoSummary(ctx, r, rows[r.Name], rep, counts[r.ID], liveState(states, r.Name))
		if err != nil {
			return nil, err
		}
		v.Repos = append(v.Repos, s)
	}
	return v, nil
}

// repoView is the data of /repos/{name} and GET /api/v1/repos/{name}.
type repoView struct {
	repoSummary
	Since string `json:"since"`
	Until string `json:"until"`
	// PreviousSince, PreviousUntil, Headline and Weeks are the overview's
	// (GET /api/v1/overview) with the repository filter.
	PreviousSince string      `json:"previous_since"`
	PreviousUntil string      `json:"previous_until"`
	Headline      []headline  `json:"headline"`
	Weeks         []weekPoint `json:"weeks"`
	// Contributors counts the people with an included commit in the range;
	// TopContributors are the first ten of them by HALOC (then commits,
	// then key).
	Contributors    int          `json:"contributors"`
	TopContributors []report.Row `json:"top_contributors"`
}

func (h *handler) loadRepo(ctx context.Context, r store.Repository, f filter) (*repoView, error) {
	f.Repo = r.Name
	rep, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByPerson))
	if err != nil {
		return nil, fmt.Errorf("repository %s by person: %w", r.Name, err)
	}
	byRepo, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByRepo))
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.Name, err)
	}
	var row *report.Row
	if len(byRepo.Rows) > 0 {
		row = &byRepo.Rows[0]
	}
	stored, err := h.db.CountCommits(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	s, err := h.repoSummary(ctx, r, row, byRepo, stored, liveState(h.liveSyncStates(), r.Name))
	if err != nil {
		return nil, err
	}
	v := &repoView{repoSummary: s, Since: dateOf(byRepo.Since), Until: dateOf(byRepo.Until),
		Contributors: len(rep.Rows), TopContributors: slices.Clone(rep.Rows)}
	slices.SortStableFunc(v.TopContributors, func(a, b report.Row) int {
		switch {
		case a.HALOC != b.HALOC:
			return b.HALOC - a.HALOC
		case a.Commits != b.Commits:
			return b.Commits - a.Commits
		}
		return strings.Compare(a.Key, b.Key)
	})
	v.TopContributors = v.TopContributors[:min(len(v.TopContributors), topContributors)]
	ov, err := h.loadOverview(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.Name, err)
	}
	v.PreviousSince, v.PreviousUntil, v.Headline, v.Weeks = ov.PreviousSince, ov.PreviousUntil, ov.Headline, ov.Weeks
	return v, nil
}

// findRepo returns the repository named name; a name naming none is a
// *paramError.
func (h *handler) findRepo(ctx context.Context, name string) (store.Repository, error) {
	r, err := h.db.RepositoryByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) || err == nil && name == "" {
		return r, &paramError{fmt.Sprintf("no repository named %q", name)}
	}
	return r, err
}

type reposData struct {
	page
	View *reposView
	// NoRepos is true when no repository exists at all.
	NoRepos bool
}

func (h *handler) reposPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := reposData{page: h.pageFor(r, "Repositories")}
	data.Nav = "repos"
	bar, ok, err := h.pageFilter(ctx, r, "/repos", true)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	data.NoRepos = len(bar.Repos) == 0
	if !ok {
		h.render(w, r, http.StatusBadRequest, h.pages.repos, data)
		return
	}
	if data.View, err = h.loadRepos(ctx, bar.filter); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.repos, data)
}

type repoData struct {
	page
	View *repoView
	// APIPath is the repository's API endpoint, which the CSV links use.
	APIPath string
}

func (h *handler) repoPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	repo, err := h.findRepo(ctx, r.PathValue("name"))
	var pe *paramError
	if errors.As(err, &pe) {
		h.renderMessage(w, r, http.StatusNotFound, "No such repository", "There is "+pe.msg+
			". The Repositories page lists every repository; add one with sluice analyze PATH|URL or a source in sluice.yaml.")
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	data := repoData{page: h.pageFor(r, repo.Name), APIPath: "/api/v1" + repoPath(repo.Name)}
	data.Nav = "repos"
	bar, ok, err := h.pageFilterWithout(ctx, r, repoPath(repo.Name), paramRepo)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	if !ok {
		data.View = &repoView{repoSummary: repoSummary{Name: repo.Name, URL: repo.URL, LocalPath: repo.LocalPath}}
		h.render(w, r, http.StatusBadRequest, h.pages.repo, data)
		return
	}
	if data.View, err = h.loadRepo(ctx, repo, bar.filter); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.repo, data)
}

// repoColumns are the CSV header of GET /api/v1/repos.
var repoColumns = append([]string{"repo", "url", "local_path", "branch", "source", "sync_state", "last_synced",
	"stored_commits", "refs"}, peopleColumns[2:]...)

func (h *handler) apiRepos(w http.ResponseWriter, r *http.Request) {
	f, csvOut, ok := h.apiFilter(w, r, append(filterParams, paramFormat))
	if !ok {
		return
	}
	v, err := h.loadRepos(r.Context(), f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, v)
		return
	}
	rows := [][]string{repoColumns}
	for _, s := range v.Repos {
		row := []string{csvText(s.Name), csvText(s.URL), csvText(s.LocalPath), csvText(s.Branch), csvText(s.Source),
			s.Sync.State, s.Sync.LastSynced}
		row = ints(append(row, fmt.Sprint(s.Sync.StoredCommits)), s.Sync.Refs)
		rows = append(rows, append(row, peopleCSV(s.Figures)[2:]...))
	}
	writeCSV(w, "sluice-repos.csv", rows)
}

// The tables of GET /api/v1/repos/{name} as CSV (table=…).
var repoTables = []string{"top_contributors", "weeks", "headline"}

func (h *handler) apiRepo(w http.ResponseWriter, r *http.Request) {
	f, csvOut, ok := h.apiFilter(w, r, append(without(filterParams, paramRepo), paramFormat, paramTable))
	if !ok {
		return
	}
	table := r.URL.Query().Get(paramTable)
	if table != "" && !slices.Contains(repoTables, table) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("table: %q is not a table of a repository; want %s", table, orList(repoTables)))
		return
	}
	ctx := r.Context()
	repo, err := h.findRepo(ctx, r.PathValue("name"))
	var pe *paramError
	if errors.As(err, &pe) {
		writeError(w, http.StatusNotFound, "repo: "+pe.msg+"; list repositories with GET /api/v1/repos")
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	v, err := h.loadRepo(ctx, repo, f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, v)
		return
	}
	file := "sluice-repo-" + csvFileName(repo.Name)
	switch table {
	case "weeks":
		writeCSV(w, file+"-weeks.csv", weeksCSV(v.Weeks))
	case "headline":
		writeCSV(w, file+"-headline.csv", headlineCSV(v.Headline))
	default:
		rows := [][]string{peopleColumns}
		for _, p := range v.TopContributors {
			rows = append(rows, peopleCSV(p))
		}
		writeCSV(w, file+"-top-contributors.csv", rows)
	}
}
