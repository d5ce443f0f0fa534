package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
)

// filterBar is the filter form every dashboard page shows: the current
// filter and the choices of its selects.
type filterBar struct {
	filter
	// Action is the path the form submits to (the page itself).
	Action string
	// Person is false on a person's own page, whose path names the person.
	Person bool
	Teams  []string
	People []personChoice
	Repos  []string
	// HideTeam and HideRepo leave the team and repository selects out, on
	// the pages of a team or a repository, whose path names it.
	HideTeam, HideRepo bool
	// Error is the message of a bad filter, shown above the page.
	Error string
	// Last90 and Last30 are the since dates of the quick ranges.
	Last30, Last90 string
}

type personChoice struct{ Key, Name string }

// Link returns path with the filter's parameters.
func (b *filterBar) Link(path string) string {
	if q := b.Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// QuickRange returns the page's link for the range since → open end, with
// the filter's other parameters.
func (b *filterBar) QuickRange(since string) string {
	q := b.query()
	q.Del(paramUntil)
	q.Set(paramSince, since)
	return b.Action + "?" + q.Encode()
}

// personPath is the page of a person.
func personPath(key string) string { return "/people/" + url.PathEscape(key) }

// pageFilter parses the page's filter and loads the filter bar's choices.
// A bad filter sets bar.Error and ok false; the page then answers 400 with
// its empty self and the message.
func (h *handler) pageFilter(ctx context.Context, r *http.Request, action string, withPerson bool) (bar *filterBar, ok bool, err error) {
	if withPerson {
		return h.pageFilterWithout(ctx, r, action, "")
	}
	return h.pageFilterWithout(ctx, r, action, paramPerson)
}

// pageFilterWithout is pageFilter for a page whose path names a person,
// team or repository: drop is that parameter (paramPerson, paramTeam or
// paramRepo; "" for none), which the page then refuses and whose select
// the filter bar leaves out.
func (h *handler) pageFilterWithout(ctx context.Context, r *http.Request, action, drop string) (bar *filterBar, ok bool, err error) {
	params := without(filterParams, drop)
	withPerson := drop != paramPerson
	f, perr := h.parseFilter(ctx, r.URL.Query(), params)
	bar = &filterBar{filter: f, Action: action, Person: withPerson, HideTeam: drop == paramTeam, HideRepo: drop == paramRepo}
	today := time.Now().UTC()
	bar.Last30 = today.AddDate(0, 0, -30).Format(time.DateOnly)
	bar.Last90 = today.AddDate(0, 0, -90).Format(time.DateOnly)
	var pe *paramError
	if errors.As(perr, &pe) {
		bar.Error = pe.msg
		// Keep what was typed, so that the form shows it.
		q := r.URL.Query()
		bar.SinceText, bar.UntilText = q.Get(paramSince), q.Get(paramUntil)
	} else if perr != nil {
		return nil, false, perr
	}
	teams, err := h.db.Teams(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, t := range teams {
		bar.Teams = append(bar.Teams, t.Name)
	}
	repos, err := h.db.Repositories(ctx)
	if err != nil {
		return nil, false, err
	}
	for _, rp := range repos {
		bar.Repos = append(bar.Repos, rp.Name)
	}
	if withPerson {
		people, err := h.db.People(ctx)
		if err != nil {
			return nil, false, err
		}
		for _, p := range people {
			if !p.Hidden && !p.Bot && !p.Excluded {
				bar.People = append(bar.People, personChoice{Key: p.Key, Name: p.Name})
			}
		}
	}
	return bar, bar.Error == "", nil
}

type indexData struct {
	page
	Repos    []repoLine
	Overview *overview
}

type repoLine struct {
	store.Repository
	Commits int   // included commits in the range
	Stored  int64 // all stored commits
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := indexData{page: h.pageFor(r, "Overview")}
	data.Nav = "overview"
	bar, ok, err := h.pageFilter(ctx, r, "/", true)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	if !ok {
		h.render(w, r, http.StatusBadRequest, h.pages.index, data)
		return
	}
	repos, err := h.db.Repositories(ctx)
	if err != nil {
		h.serverError(w, r, fmt.Errorf("list repositories: %w", err))
		return
	}
	if len(repos) > 0 {
		if data.Overview, err = h.loadOverview(ctx, bar.filter); err != nil {
			h.serverError(w, r, err)
			return
		}
		byRepo, err := report.Build(ctx, h.db, h.reportOptions(bar.filter, report.ByRepo))
		if err != nil {
			h.serverError(w, r, fmt.Errorf("report by repository: %w", err))
			return
		}
		commits := make(map[string]int, len(byRepo.Rows))
		for _, row := range byRepo.Rows {
			commits[row.Key] = row.Commits
		}
		stored, err := h.db.CommitCounts(ctx)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		for _, repo := range repos {
			data.Repos = append(data.Repos, repoLine{Repository: repo, Commits: commits[repo.Name], Stored: stored[repo.ID]})
		}
	}
	h.render(w, r, http.StatusOK, h.pages.index, data)
}

type peopleData struct {
	page
	View *peopleView
}

func (h *handler) peoplePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	data := peopleData{page: h.pageFor(r, "People")}
	data.Nav = "people"
	bar, ok, err := h.pageFilter(ctx, r, "/people", true)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	if !ok {
		h.render(w, r, http.StatusBadRequest, h.pages.people, data)
		return
	}
	if data.View, err = h.loadPeople(ctx, bar.filter); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, h.pages.people, data)
}

type personData struct {
	page
	View *personView
	// APIPath is the person's API endpoint, which the CSV links use.
	APIPath string
}

func (h *handler) personPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key := r.PathValue("key")
	p, err := h.findPerson(ctx, key)
	var pe *paramError
	if errors.As(err, &pe) {
		h.renderMessage(w, r, http.StatusNotFound, "No such person", "There is no person "+pe.msg+
			". The People page lists everyone with commits in a range.")
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	data := personData{page: h.pageFor(r, p.Name), APIPath: "/api/v1" + personPath(p.Key)}
	data.Nav = "people"
	bar, ok, err := h.pageFilter(ctx, r, personPath(p.Key), false)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Filters = bar
	if !ok {
		data.View = &personView{Key: p.Key, Name: p.Name}
		h.render(w, r, http.StatusBadRequest, h.pages.person, data)
		return
	}
	if data.View, err = h.loadPerson(ctx, p, bar.filter); err != nil {
		h.serverError(w, r, err)
		return
	}
	if n := len(data.View.Commits); n > pageCommits {
		data.View.Commits, data.View.MoreCommits = data.View.Commits[:pageCommits], n-pageCommits
	}
	h.render(w, r, http.StatusOK, h.pages.person, data)
}
