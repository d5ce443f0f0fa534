package web

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/report"
)

// openAPIDoc is the OpenAPI 3 description of /api/v1, written by hand
// beside docs/api.md; TestOpenAPICoversRoutes checks it lists every route.
//
//go:embed openapi.json
var openAPIDoc []byte

// apiRoute is one endpoint under /api/v1.
type apiRoute struct {
	pattern string // a ServeMux pattern, "GET /api/v1/…"
	public  bool   // answered without a login
	handler http.HandlerFunc
}

// apiRoutes are the API's endpoints; routes registers them.
func (h *handler) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET /api/v1/health", true, h.health},
		{"GET /api/v1/openapi.json", true, h.openAPI},
		{"GET /api/v1/commits", false, h.commits},
		{"GET /api/v1/overview", false, h.apiOverview},
		{"GET /api/v1/people", false, h.apiPeople},
		{"GET /api/v1/people/{key}", false, h.apiPerson},
		{"GET /api/v1/people/{key}/worklog", false, h.apiWorkLog},
		{"GET /api/v1/teams", false, h.apiTeams},
		{"GET /api/v1/teams/{name}", false, h.apiTeam},
		{"GET /api/v1/repos", false, h.apiRepos},
		{"GET /api/v1/repos/{name...}", false, h.apiRepo},
		{"GET /api/v1/sources", false, h.apiSources},
		{"POST /api/v1/repos/{name}/sync", false, h.requireAdmin(http.HandlerFunc(h.apiSyncRepo)).ServeHTTP},
	}
}

// openAPI serves the OpenAPI document. It holds no data, so it needs no
// login, like docs/api.md.
func (h *handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(openAPIDoc)
}

// wantCSV decides the format of a table endpoint: ?format=csv or json,
// else CSV when the Accept header names text/csv.
func wantCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get(paramFormat); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, &paramError{fmt.Sprintf("format: %q is not a format; want json or csv", f)}
	}
}

// apiFilter parses the filter and format of an API request, answering 400
// (naming the parameter) or 500 itself when it fails.
func (h *handler) apiFilter(w http.ResponseWriter, r *http.Request, allowed []string) (filter, bool, bool) {
	f, err := h.parseFilter(r.Context(), r.URL.Query(), allowed)
	if err == nil {
		var csvOut bool
		if csvOut, err = wantCSV(r); err == nil {
			return f, csvOut, true
		}
	}
	var pe *paramError
	if errors.As(err, &pe) {
		writeError(w, http.StatusBadRequest, pe.msg)
	} else {
		h.serverError(w, r, err)
	}
	return f, false, false
}

func (h *handler) apiOverview(w http.ResponseWriter, r *http.Request) {
	f, csvOut, ok := h.apiFilter(w, r, append(filterParams, paramFormat, paramTable))
	if !ok {
		return
	}
	table := r.URL.Query().Get(paramTable)
	if table != "" && table != "weeks" && table != "headline" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("table: %q is not a table of the overview; want weeks or headline", table))
		return
	}
	ov, err := h.loadOverview(r.Context(), f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, ov)
		return
	}
	if table == "headline" {
		writeCSV(w, "sluice-overview-headline.csv", headlineCSV(ov.Headline))
		return
	}
	writeCSV(w, "sluice-overview-weeks.csv", weeksCSV(ov.Weeks))
}

// headlineCSV is a headline table as CSV rows, its header first.
func headlineCSV(hs []headline) [][]string {
	rows := [][]string{{"figure", "label", "value", "previous", "change_pct"}}
	for _, hl := range hs {
		rows = append(rows, []string{hl.Key, hl.Label, csvFloat(hl.Value), csvFloat(hl.Previous), csvFloat(hl.ChangePct)})
	}
	return rows
}

// weeksCSV is a weekly series as CSV rows, its header first.
func weeksCSV(weeks []weekPoint) [][]string {
	rows := [][]string{{"week", "commits", "coding_days", "haloc", "new_work", "legacy_refactor", "help_others", "rework"}}
	for _, p := range weeks {
		rows = append(rows, ints([]string{p.Week}, p.Commits, p.CodingDays, p.HALOC, p.NewWork, p.LegacyRefactor, p.HelpOthers, p.Rework))
	}
	return rows
}

func (h *handler) apiPeople(w http.ResponseWriter, r *http.Request) {
	f, csvOut, ok := h.apiFilter(w, r, append(filterParams, paramFormat))
	if !ok {
		return
	}
	pv, err := h.loadPeople(r.Context(), f)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, pv)
		return
	}
	rows := [][]string{peopleColumns}
	for _, p := range pv.People {
		rows = append(rows, peopleCSV(p))
	}
	writeCSV(w, "sluice-people.csv", rows)
}

// peopleColumns are the CSV header of peopleCSV.
var peopleColumns = []string{"key", "name", "commits", "coding_days", "coding_days_per_week", "commits_per_coding_day",
	"haloc", "new_work", "legacy_refactor", "help_others", "rework", "new_work_pct", "legacy_refactor_pct",
	"help_others_pct", "rework_pct", "efficiency_pct", "impact", "tt100_raw_hours", "tt100_productive_hours",
	"hunks", "additions", "deletions"}

func peopleCSV(p report.Row) []string {
	row := ints([]string{csvText(p.Key), csvText(p.Name)}, p.Commits, p.CodingDays)
	row = append(row, csvFloat(p.CodingDaysPerWeek), csvFloat(p.CommitsPerCodingDay))
	row = ints(row, p.HALOC, p.NewWork, p.LegacyRefactor, p.HelpOthers, p.Rework)
	row = append(row, csvFloat(p.NewWorkPct), csvFloat(p.LegacyRefactorPct), csvFloat(p.HelpOthersPct),
		csvFloat(p.ReworkPct), csvFloat(p.EfficiencyPct), csvFloat(&p.Impact), csvFloat(p.TT100Raw), csvFloat(p.TT100Productive))
	return ints(row, p.Hunks, p.Additions, p.Deletions)
}

// apiPersonView parses and loads the person of /api/v1/people/{key}.
func (h *handler) apiPersonView(w http.ResponseWriter, r *http.Request) (*personView, bool, bool) {
	f, csvOut, ok := h.apiFilter(w, r, append(without(filterParams, paramPerson), paramFormat))
	if !ok {
		return nil, false, false
	}
	p, err := h.findPerson(r.Context(), r.PathValue("key"))
	var pe *paramError
	if errors.As(err, &pe) {
		writeError(w, http.StatusNotFound, "person: "+pe.msg+"; list people with GET /api/v1/people")
		return nil, false, false
	} else if err != nil {
		h.serverError(w, r, err)
		return nil, false, false
	}
	v, err := h.loadPerson(r.Context(), p, f)
	if err != nil {
		h.serverError(w, r, err)
		return nil, false, false
	}
	return v, csvOut, true
}

func (h *handler) apiPerson(w http.ResponseWriter, r *http.Request) {
	v, csvOut, ok := h.apiPersonView(w, r)
	if !ok {
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, v)
		return
	}
	rows := [][]string{{"sha", "repo", "author_time", "day", "subject", "haloc", "new_work", "legacy_refactor",
		"help_others", "rework", "impact", "outlier", "url"}}
	for _, c := range v.Commits {
		row := ints([]string{c.SHA, csvText(c.Repo), c.AuthorTime, c.Day, csvText(c.Subject)},
			c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework)
		rows = append(rows, append(row, csvFloat(&c.Impact), strconv.FormatBool(c.Outlier), c.URL))
	}
	writeCSV(w, "sluice-commits.csv", rows)
}

// workLogView is the body of GET /api/v1/people/{key}/worklog.
type workLogView struct {
	Key   string    `json:"key"`
	Name  string    `json:"name"`
	Since string    `json:"since"`
	Until string    `json:"until"`
	Days  []workDay `json:"days"`
}

func (h *handler) apiWorkLog(w http.ResponseWriter, r *http.Request) {
	v, csvOut, ok := h.apiPersonView(w, r)
	if !ok {
		return
	}
	if !csvOut {
		writeJSON(w, http.StatusOK, workLogView{Key: v.Key, Name: v.Name, Since: v.Since, Until: v.Until, Days: v.WorkLog})
		return
	}
	rows := [][]string{{"day", "commits", "haloc", "new_work", "legacy_refactor", "help_others", "rework", "dominant"}}
	for _, d := range v.WorkLog {
		rows = append(rows, append(ints([]string{d.Day}, d.Commits, d.HALOC, d.NewWork, d.LegacyRefactor, d.HelpOthers, d.Rework), d.Dominant))
	}
	writeCSV(w, "sluice-worklog.csv", rows)
}

// writeCSV answers with rows as a CSV attachment.
func writeCSV(w http.ResponseWriter, filename string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	cw := csv.NewWriter(w)
	cw.WriteAll(rows)
}

func ints(row []string, ns ...int) []string {
	for _, n := range ns {
		row = append(row, strconv.Itoa(n))
	}
	return row
}

func csvFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// csvText defuses a text cell that a spreadsheet would run as a formula
// (a name or subject starting with =, +, -, @ …) by prefixing a quote.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
