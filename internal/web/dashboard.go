package web

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
)

// The data of the dashboard's views. Pages render it and the API returns
// it as JSON (and its tables as CSV), so both always show the same numbers.

// overview is the data of / and GET /api/v1/overview.
type overview struct {
	// Since and Until are the range of the figures (dates, until not
	// included): the filter's, or where open, the days of the first and
	// last included commit. Empty when the range is open and holds no
	// commit.
	Since string `json:"since"`
	Until string `json:"until"`
	// PreviousSince and PreviousUntil are the period of equal length just
	// before, which the changes compare with.
	PreviousSince string     `json:"previous_since"`
	PreviousUntil string     `json:"previous_until"`
	Headline      []headline `json:"headline"`
	// Weeks is every ISO week (from Monday) of the range, weeks without
	// commits included with zeros.
	Weeks []weekPoint `json:"weeks"`
}

// headline is one headline figure and its change.
type headline struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Value    *float64 `json:"value"`    // null when undefined (a ratio over zero)
	Previous *float64 `json:"previous"` // the same figure over the previous period
	// ChangePct is (value − previous) ÷ previous × 100, rounded to one
	// decimal; null when either is null or previous is 0.
	ChangePct *float64 `json:"change_pct"`
}

// weekPoint is one week of the overview's charts.
type weekPoint struct {
	Week           string `json:"week"` // its Monday
	Commits        int    `json:"commits"`
	CodingDays     int    `json:"coding_days"`
	HALOC          int    `json:"haloc"`
	NewWork        int    `json:"new_work"`
	LegacyRefactor int    `json:"legacy_refactor"`
	HelpOthers     int    `json:"help_others"`
	Rework         int    `json:"rework"`
}

// reportOptions are the report options of a filter.
func (h *handler) reportOptions(f filter, by report.By) report.Options {
	return report.Options{By: by, Since: f.Since, Until: f.Until, Team: f.Team, Repo: f.Repo,
		PersonIDs: f.personIDs()}
}

func (h *handler) loadOverview(ctx context.Context, f filter) (*overview, error) {
	cur, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByOrg))
	if err != nil {
		return nil, fmt.Errorf("overview: %w", err)
	}
	ov := &overview{Headline: []headline{}, Weeks: []weekPoint{}}
	if cur.Since.IsZero() || cur.Until.IsZero() {
		return ov, nil
	}
	ov.Since, ov.Until = dateOf(cur.Since), dateOf(cur.Until)
	prevSince := cur.Since.Add(-cur.Until.Sub(cur.Since))
	ov.PreviousSince, ov.PreviousUntil = dateOf(prevSince), ov.Since
	var c, p report.Row
	if len(cur.Rows) > 0 {
		c = cur.Rows[0]
	}
	// Over all time the range starts at the first included commit, so
	// the period before holds none: no need to ask.
	if !f.Since.IsZero() {
		pf := f
		pf.Since, pf.Until = prevSince, cur.Since
		prev, err := report.Build(ctx, h.db, h.reportOptions(pf, report.ByOrg))
		if err != nil {
			return nil, fmt.Errorf("overview, previous period: %w", err)
		}
		if len(prev.Rows) > 0 {
			p = prev.Rows[0]
		}
	}
	num := func(v float64) *float64 { return &v }
	for _, x := range []struct {
		key, label string
		cur, prev  *float64
	}{
		{"commits", "Commits", num(float64(c.Commits)), num(float64(p.Commits))},
		{"coding_days", "Coding days", num(float64(c.CodingDays)), num(float64(p.CodingDays))},
		{"haloc", "HALOC", num(float64(c.HALOC)), num(float64(p.HALOC))},
		{"efficiency_pct", "Efficiency %", c.EfficiencyPct, p.EfficiencyPct},
		{"impact", "Impact", num(c.Impact), num(p.Impact)},
		{"people", "People active", num(float64(c.People)), num(float64(p.People))},
	} {
		hl := headline{Key: x.key, Label: x.label, Value: x.cur, Previous: x.prev}
		if x.cur != nil && x.prev != nil && *x.prev != 0 {
			hl.ChangePct = num(math.Round((*x.cur-*x.prev) / *x.prev * 1000) / 10)
		}
		ov.Headline = append(ov.Headline, hl)
	}

	opts := h.reportOptions(f, report.ByOrg)
	opts.Since, opts.Until, opts.Interval = cur.Since, cur.Until, report.Week
	weekly, err := report.Build(ctx, h.db, opts)
	if err != nil {
		return nil, fmt.Errorf("overview by week: %w", err)
	}
	byWeek := map[string]report.Row{}
	for _, r := range weekly.Rows {
		byWeek[r.Bucket] = r
	}
	// Weeks of the range's author days: a commit's day in its author's
	// offset may lie a day outside the range's UTC days.
	first := store.AuthorDay(cur.Since) - 1
	last := store.AuthorDay(cur.Until.Add(-time.Nanosecond)) + 1
	for day := first - ((first+3)%7+7)%7; day <= last; day += 7 {
		wk := store.DayTime(day).Format(time.DateOnly)
		r, ok := byWeek[wk]
		if !ok && (day+7 <= store.AuthorDay(cur.Since) || day > store.AuthorDay(cur.Until.Add(-time.Nanosecond))) {
			continue // an edge week only a shifted day could reach, and none did
		}
		ov.Weeks = append(ov.Weeks, weekPoint{Week: wk, Commits: r.Commits, CodingDays: r.CodingDays, HALOC: r.HALOC,
			NewWork: r.NewWork, LegacyRefactor: r.LegacyRefactor, HelpOthers: r.HelpOthers, Rework: r.Rework})
	}
	return ov, nil
}

// peopleView is the data of /people and GET /api/v1/people.
type peopleView struct {
	Since  string       `json:"since"`
	Until  string       `json:"until"`
	People []report.Row `json:"people"`
}

func (h *handler) loadPeople(ctx context.Context, f filter) (*peopleView, error) {
	rep, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByPerson))
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	return &peopleView{Since: dateOf(rep.Since), Until: dateOf(rep.Until), People: rep.Rows}, nil
}

// personView is the data of /people/{key} and GET /api/v1/people/{key}.
type personView struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Since string `json:"since"`
	Until string `json:"until"`
	// Figures are the person's figures over the range; null when they
	// have no included commit in it.
	Figures *report.Row    `json:"figures"`
	Commits []personCommit `json:"commits"`
	// WorkLog is one entry per day with an included commit.
	WorkLog []workDay `json:"work_log"`
	// MoreCommits counts the commits the page leaves out of Commits
	// (pageCommits); the API lists them all.
	MoreCommits int `json:"more_commits,omitempty"`
}

// pageCommits is how many of a person's commits (the newest) the person
// page lists: a table of thousands is neither readable nor quick, and the
// CSV link has them all.
const pageCommits = 200

// personCommit is one of a person's non-merge commits.
type personCommit struct {
	SHA            string  `json:"sha"`
	Repo           string  `json:"repo"`
	AuthorTime     string  `json:"author_time"` // RFC 3339, the author's offset
	Day            string  `json:"day"`         // the author's calendar day
	Subject        string  `json:"subject"`
	HALOC          int     `json:"haloc"`
	NewWork        int     `json:"new_work"`
	LegacyRefactor int     `json:"legacy_refactor"`
	HelpOthers     int     `json:"help_others"`
	Rework         int     `json:"rework"`
	Impact         float64 `json:"impact"`
	// Outlier commits are listed but left out of the figures and the work
	// log (metrics.md §2).
	Outlier bool `json:"outlier"`
	// URL is the commit's page on its Git host, when the repository's URL
	// is on a host whose commit pages Sluice knows; else "".
	URL string `json:"url"`
}

// workDay is one day of a work log.
type workDay struct {
	Day            string `json:"day"`
	Commits        int    `json:"commits"`
	HALOC          int    `json:"haloc"`
	NewWork        int    `json:"new_work"`
	LegacyRefactor int    `json:"legacy_refactor"`
	HelpOthers     int    `json:"help_others"`
	Rework         int    `json:"rework"`
	// Dominant is the work type with the most lines: new_work,
	// legacy_refactor, help_others or rework (the first of these on a tie),
	// or "none" when the day's commits changed no counted line.
	Dominant string `json:"dominant"`
}

func dominant(d workDay) string {
	best, name := 0, "none"
	for _, x := range []struct {
		n    int
		name string
	}{{d.NewWork, "new_work"}, {d.LegacyRefactor, "legacy_refactor"}, {d.HelpOthers, "help_others"}, {d.Rework, "rework"}} {
		if x.n > best {
			best, name = x.n, x.name
		}
	}
	return name
}

func (h *handler) loadPerson(ctx context.Context, p store.Person, f filter) (*personView, error) {
	// Cached whole: the person's commits are read row by row, which for
	// someone with thousands of commits is most of the page's work.
	v, err := store.Cached(ctx, h.db, fmt.Sprintf("web.person|%d|%s", p.ID, f.key()), func(ctx context.Context) (*personView, int64, error) {
		v, err := h.computePerson(ctx, p, f)
		if err != nil {
			return nil, 0, err
		}
		return v, v.size(), nil
	})
	if err != nil {
		return nil, err
	}
	c := *v // the caller's own copy: it may shorten the lists
	return &c, nil
}

// size is the view's approximate share of memory.
func (v *personView) size() int64 {
	n := int64(512 + 64*len(v.WorkLog))
	for _, c := range v.Commits {
		n += 160 + int64(len(c.SHA)+len(c.Repo)+len(c.AuthorTime)+len(c.Day)+len(c.Subject)+len(c.URL))
	}
	return n
}

func (h *handler) computePerson(ctx context.Context, p store.Person, f filter) (*personView, error) {
	f.PersonID, f.PersonKey, f.PersonName = p.ID, p.Key, p.Name
	rep, err := report.Build(ctx, h.db, h.reportOptions(f, report.ByPerson))
	if err != nil {
		return nil, fmt.Errorf("person %s: %w", p.Key, err)
	}
	v := &personView{Key: p.Key, Name: p.Name, Since: dateOf(rep.Since), Until: dateOf(rep.Until),
		Commits: []personCommit{}, WorkLog: []workDay{}}
	if len(rep.Rows) > 0 {
		v.Figures = &rep.Rows[0]
	}
	inTeam, err := h.teamDays(ctx, f.Team, p.ID)
	if err != nil {
		return nil, err
	}
	repoURLs := map[string]string{}
	repos, err := h.db.Repositories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	for _, r := range repos {
		repoURLs[r.Name] = r.URL
	}
	days := map[string]*workDay{}
	var order []string
	err = h.db.ForEachCommit(ctx, store.CommitFilter{Repo: f.Repo, Since: f.Since, Until: f.Until, PersonID: p.ID}, func(c store.CommitRow) error {
		if c.IsMerge || !inTeam(store.AuthorDay(c.AuthorTime)) {
			return nil
		}
		day := c.AuthorTime.Format(time.DateOnly)
		v.Commits = append(v.Commits, personCommit{SHA: c.SHA, Repo: c.Repo, AuthorTime: c.AuthorTime.Format(time.RFC3339),
			Day: day, Subject: c.Subject, HALOC: c.HALOC, NewWork: c.NewWork, LegacyRefactor: c.LegacyRefactor,
			HelpOthers: c.HelpOthers, Rework: c.Rework, Impact: float64(c.Impact) / 100, Outlier: c.Outlier,
			URL: commitURL(repoURLs[c.Repo], c.SHA)})
		if c.Outlier {
			return nil
		}
		d := days[day]
		if d == nil {
			d = &workDay{Day: day}
			days[day] = d
			order = append(order, day)
		}
		d.Commits++
		d.HALOC += c.HALOC
		d.NewWork += c.NewWork
		d.LegacyRefactor += c.LegacyRefactor
		d.HelpOthers += c.HelpOthers
		d.Rework += c.Rework
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("commits of %s: %w", p.Key, err)
	}
	// Commits come in author-time order; days in different offsets may
	// interleave, so sort the days.
	slices.Sort(order)
	for _, day := range order {
		d := days[day]
		d.Dominant = dominant(*d)
		v.WorkLog = append(v.WorkLog, *d)
	}
	// Newest commits first, as a log reads.
	for i, j := 0, len(v.Commits)-1; i < j; i, j = i+1, j-1 {
		v.Commits[i], v.Commits[j] = v.Commits[j], v.Commits[i]
	}
	return v, nil
}

// teamDays returns whether a day (AuthorDay numbering) lies within one of
// the person's memberships of team or its sub-teams; with no team, every
// day does.
func (h *handler) teamDays(ctx context.Context, team string, personID int64) (func(int) bool, error) {
	if team == "" {
		return func(int) bool { return true }, nil
	}
	teams, err := h.db.Teams(ctx)
	if err != nil {
		return nil, err
	}
	in := map[int64]bool{}
	for _, t := range teams {
		if t.Name == team {
			in[t.ID] = true
		}
	}
	for grew := true; grew; {
		grew = false
		for _, t := range teams {
			if !in[t.ID] && in[t.ParentID] {
				in[t.ID], grew = true, true
			}
		}
	}
	var ms []store.Member
	for _, t := range teams {
		if in[t.ID] {
			for _, m := range t.Members {
				if m.PersonID == personID {
					ms = append(ms, m)
				}
			}
		}
	}
	return func(day int) bool {
		for _, m := range ms {
			if (m.Since == nil || day >= *m.Since) && (m.Until == nil || day < *m.Until) {
				return true
			}
		}
		return false
	}, nil
}

// commitURL returns the web page of commit sha in the repository cloned
// from remote, for hosts whose URL scheme is known: GitHub and GitLab
// (…/commit/SHA), Bitbucket Cloud (…/commits/SHA) and Bitbucket
// Server/Data Center (/scm/PROJ/repo → /projects/PROJ/repos/repo/commits/SHA).
// SSH remotes (git@host:owner/repo.git) map to https on the same host. It
// returns "" for any other remote.
func commitURL(remote, sha string) string {
	if remote == "" {
		return ""
	}
	if i := strings.Index(remote, "@"); i >= 0 && !strings.Contains(remote, "://") {
		// scp-like: git@host:owner/repo.git
		host, path, ok := strings.Cut(remote[i+1:], ":")
		if !ok {
			return ""
		}
		remote = "https://" + host + "/" + path
	}
	u, err := url.Parse(remote)
	if err != nil || u.Host == "" {
		return ""
	}
	switch u.Scheme {
	case "https", "http", "ssh", "git":
	default:
		return ""
	}
	host := strings.ToLower(u.Hostname())
	path := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	if path == "" || strings.ContainsAny(path, "?#") {
		return ""
	}
	base := "https://" + host
	if u.Scheme == "http" {
		base = "http://" + u.Host // keep a port of a plain-HTTP server
	} else if u.Scheme == "https" && u.Port() != "" {
		base = "https://" + u.Host
	}
	switch {
	case strings.Contains(host, "bitbucket"):
		if proj, repo, ok := strings.Cut(strings.TrimPrefix(path, "scm/"), "/"); ok && strings.HasPrefix(path, "scm/") && !strings.Contains(repo, "/") {
			return base + "/projects/" + proj + "/repos/" + repo + "/commits/" + sha
		}
		return base + "/" + path + "/commits/" + sha
	case strings.Contains(host, "github"):
		return base + "/" + path + "/commit/" + sha
	case strings.Contains(host, "gitlab"):
		return base + "/" + path + "/-/commit/" + sha
	}
	return ""
}

// dateOf is t's UTC date, or "" for the zero time.
func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
