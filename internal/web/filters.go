package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// Filter parameters, shared by every dashboard page and API endpoint.
const (
	paramSince  = "since"
	paramUntil  = "until"
	paramTeam   = "team"
	paramPerson = "person"
	paramRepo   = "repo"
	paramFormat = "format"
	paramTable  = "table"
)

// filter is the selection of a dashboard view: the range [Since, Until)
// and optionally a team, a person and a repository. Zero fields do not
// filter; an open range is all time (the report then uses the days of the
// first and last commit).
type filter struct {
	Since, Until time.Time
	// SinceText and UntilText are the parameters as given, for the form.
	SinceText, UntilText string
	// Team and Repo are names that exist.
	Team, Repo string
	// PersonID, PersonKey and PersonName are set when person is given.
	PersonID   int64
	PersonKey  string
	PersonName string
}

// query returns the filter as URL parameters (empty ones left out), so
// that links keep the view.
func (f filter) query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{paramSince: f.SinceText, paramUntil: f.UntilText, paramTeam: f.Team, paramPerson: f.PersonKey, paramRepo: f.Repo} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// key identifies the filter's selection in cache keys: the parsed range,
// whatever form it was given in.
func (f filter) key() string {
	unix := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.Unix()
	}
	return fmt.Sprintf("%d|%d|%q|%q|%d", unix(f.Since), unix(f.Until), f.Team, f.Repo, f.PersonID)
}

// Encode is the filter as a query string without a leading "?".
func (f filter) Encode() string { return f.query().Encode() }

// personIDs is the report option for the person filter.
func (f filter) personIDs() []int64 {
	if f.PersonID == 0 {
		return nil
	}
	return []int64{f.PersonID}
}

// filterParams are the filter parameters every view takes; endpoints add
// their own (format, table) or leave some out (person on a person's page).
var filterParams = []string{paramSince, paramUntil, paramTeam, paramPerson, paramRepo}

// parseFilter reads the filter from q, accepting only the parameters in
// allowed, each at most once. An empty value is the same as none, as a
// GET form sends empty fields. Bad values are a *paramError naming the
// parameter; other errors are the database's.
func (h *handler) parseFilter(ctx context.Context, q url.Values, allowed []string) (filter, error) {
	var f filter
	for name, vs := range q {
		found := false
		for _, a := range allowed {
			if a == name {
				found = true
			}
		}
		if !found {
			return f, &paramError{fmt.Sprintf("%s: unknown parameter; want %s", name, orList(allowed))}
		}
		if len(vs) > 1 {
			return f, &paramError{fmt.Sprintf("%s: given %d times; give it at most once", name, len(vs))}
		}
	}
	f.SinceText, f.UntilText = strings.TrimSpace(q.Get(paramSince)), strings.TrimSpace(q.Get(paramUntil))
	for _, p := range []struct {
		name, text string
		dst        *time.Time
	}{{paramSince, f.SinceText, &f.Since}, {paramUntil, f.UntilText, &f.Until}} {
		if p.text == "" {
			continue
		}
		t, err := parseInstant(p.text)
		if err != nil {
			return f, &paramError{fmt.Sprintf("%s: %q is not a date; want YYYY-MM-DD (2024-05-01) or an RFC 3339 time (2024-05-01T09:30:00Z)", p.name, p.text)}
		}
		*p.dst = t
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, &paramError{"since, until: since must be before until (until is not included)"}
	}
	if name := strings.TrimSpace(q.Get(paramTeam)); name != "" {
		t, err := h.db.TeamByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return f, &paramError{fmt.Sprintf("team: no team named %q", name)}
		} else if err != nil {
			return f, err
		}
		f.Team = t.Name
	}
	if name := strings.TrimSpace(q.Get(paramRepo)); name != "" {
		r, err := h.db.RepositoryByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return f, &paramError{fmt.Sprintf("repo: no repository named %q", name)}
		} else if err != nil {
			return f, err
		}
		f.Repo = r.Name
	}
	if ref := strings.TrimSpace(q.Get(paramPerson)); ref != "" {
		p, err := h.findPerson(ctx, ref)
		if err != nil {
			var pe *paramError
			if errors.As(err, &pe) {
				pe.msg = "person: " + pe.msg
			}
			return f, err
		}
		f.PersonID, f.PersonKey, f.PersonName = p.ID, p.Key, p.Name
	}
	return f, nil
}

// findPerson resolves a person key, e-mail or name. A ref naming nobody,
// several people, a hidden person or a bot is a *paramError.
func (h *handler) findPerson(ctx context.Context, ref string) (store.Person, error) {
	id, err := h.db.FindPersonID(ctx, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Person{}, &paramError{fmt.Sprintf("no person with key, e-mail or name %q", ref)}
	case err != nil && strings.Contains(err.Error(), "ambiguous"):
		return store.Person{}, &paramError{err.Error()}
	case err != nil:
		return store.Person{}, err
	}
	p, err := h.db.Person(ctx, id)
	if err != nil {
		return store.Person{}, err
	}
	if p.Hidden || p.Bot {
		return store.Person{}, &paramError{fmt.Sprintf("%q is hidden or a bot, so it has no figures", ref)}
	}
	return p, nil
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// without returns params minus drop.
func without(params []string, drop string) []string {
	var out []string
	for _, p := range params {
		if p != drop {
			out = append(out, p)
		}
	}
	return out
}
