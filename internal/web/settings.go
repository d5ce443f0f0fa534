package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/people"
	"github.com/sluicehq/sluice/internal/store"
)

// The settings pages (admins only): users, people, teams. Every change is
// a POST form with the session's CSRF token that redirects back to its
// page with a message (post/redirect/get); a change that cannot be made
// answers with the page and the reason instead, with a 4xx status.
// Changes are recorded with source store.SourceCLI, as those of the sluice
// people, teams and users commands: made by a person, not by sluice.yaml.
// What sluice.yaml defines is shown read-only.

// reimportNote is shown after changes to who is the same person.
const reimportNote = "Who counts as the same person decides whether changed lines are rework or help for others, " +
	"so the next sync of each repository imports it anew (this takes a while for big repositories). " +
	"Start one with Sync now on the Sources page, or let the next scheduled sync do it."

// configNote is how the pages mark what sluice.yaml defines.
const configNote = "defined in sluice.yaml"

// settingsError is a refused change: its message is for the user and
// status is the HTTP status to answer with.
type settingsError struct {
	status int
	msg    string
}

func (e *settingsError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &settingsError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &settingsError{http.StatusConflict, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &settingsError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// settingsTab is one settings page.
type settingsTab struct {
	path  string
	title string
	load  func(h *handler, ctx context.Context, data *settingsData) error
}

var (
	tabUsers  = settingsTab{"/settings", "Settings: users", (*handler).loadSettingsUsers}
	tabPeople = settingsTab{"/settings/people", "Settings: people", (*handler).loadSettingsPeople}
	tabTeams  = settingsTab{"/settings/teams", "Settings: teams", (*handler).loadSettingsTeams}
)

// settingsData is what the settings templates get.
type settingsData struct {
	page
	Tab   string // users, people, teams
	Flash *flash
	// Error is why the change just posted was not made.
	Error string

	// Users tab.
	Users []store.User
	// Tokens are every user's API tokens, revoked ones included.
	Tokens []store.APIToken

	// People tab.
	People      []settingsPerson
	Suggestions []suggestion
	Choices     []personChoice // every person, for the team member inputs

	// Teams tab.
	Teams []settingsTeam
}

// settingsPerson is a row of the people table.
type settingsPerson struct {
	store.Person
	Emails []string
	// Config is true when sluice.yaml merges some of the person's keys
	// (people.aliases); ConfigKeys are those keys.
	Config     bool
	ConfigKeys map[string]bool
	// ConfigExcluded and ConfigHidden are true when sluice.yaml's
	// people.exclude or people.hide lists the person.
	ConfigExcluded, ConfigHidden bool
}

// suggestion is a suggested merge: people with one name. Into is who the
// others would be merged into. Keys are the keys of everyone in the group,
// Into and Others and those sluice.yaml keeps from being merged away, whom
// "Not the same person" dismisses together.
type suggestion struct {
	Name   string
	Into   settingsPerson
	Others []settingsPerson
	Keys   []string
}

// flagButton is the data of the flag-button template.
type flagButton struct{ CSRF, Key, Action, Label string }

// settingsTeam is a team with its depth in the tree, for indentation.
type settingsTeam struct {
	store.Team
	Parent string
	Depth  int
	Config bool
}

// Indent is the team's name indented by its depth.
func (t settingsTeam) Indent() string { return strings.Repeat("— ", t.Depth) }

// Members in the template: dates as YYYY-MM-DD.
func dayText(d *int) string {
	if d == nil {
		return ""
	}
	return store.DayTime(*d).Format(time.DateOnly)
}

func init() {
	templateFuncs["day"] = dayText
	templateFuncs["repoAnchor"] = repoAnchor
	templateFuncs["pathEscape"] = url.PathEscape
	templateFuncs["timep"] = func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return fmtTime(*t)
	}
	templateFuncs["configNote"] = func() string { return configNote }
	templateFuncs["hasKey"] = func(p settingsPerson, email string) bool {
		email = strings.ToLower(email)
		for _, k := range p.Keys {
			if k.Key == email {
				return true
			}
		}
		return false
	}
	templateFuncs["flagArgs"] = func(csrf, key, action, label string) flagButton {
		return flagButton{CSRF: csrf, Key: key, Action: action, Label: label}
	}
	templateFuncs["newCommits"] = func(n *int64) string {
		switch {
		case n == nil:
			return ""
		case *n == 1:
			return ", 1 new commit"
		}
		return fmt.Sprintf(", %d new commits", *n)
	}
	templateFuncs["seconds"] = func(s *float64) string {
		if s == nil {
			return ""
		}
		return (time.Duration(*s * float64(time.Second))).Round(100 * time.Millisecond).String()
	}
}

// renderSettings renders a settings page: status 200 with the flash of a
// change just made, or the status and message of a refused one.
func (h *handler) renderSettings(w http.ResponseWriter, r *http.Request, tab settingsTab, status int, errMsg string) {
	data := settingsData{page: h.pageFor(r, tab.title), Tab: strings.TrimPrefix(strings.TrimPrefix(tab.path, "/settings"), "/"), Error: errMsg}
	if data.Tab == "" {
		data.Tab = "users"
	}
	data.Nav = "settings"
	if errMsg == "" {
		data.Flash = h.takeFlash(w, r)
	}
	if err := tab.load(h, r.Context(), &data); err != nil {
		h.serverError(w, r, err)
		return
	}
	var t = h.pages.settings
	switch data.Tab {
	case "people":
		t = h.pages.settingsPeople
	case "teams":
		t = h.pages.settingsTeams
	}
	h.render(w, r, status, t, data)
}

// settingsDone redirects to tab with a flash, or answers with the page
// and the error when err is a settingsError (else 500).
func (h *handler) settingsDone(w http.ResponseWriter, r *http.Request, tab settingsTab, err error, f flash) {
	if err != nil {
		var se *settingsError
		if errors.As(err, &se) {
			h.log.Info("web: settings change refused", "path", r.URL.Path, "reason", se.msg)
			h.renderSettings(w, r, tab, se.status, se.msg)
			return
		}
		h.serverError(w, r, err)
		return
	}
	if p, ok := principalFrom(r.Context()); ok {
		h.log.Info("web: settings changed", "user", p.user.Name, "path", r.URL.Path, "what", f.Message)
	}
	h.setFlash(w, r, f)
	http.Redirect(w, r, tab.path, http.StatusSeeOther)
}

// form parses the POST form (bounded), reporting a bad one.
func form(r *http.Request) error {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return badRequest("The form could not be read (%v); reload the page and try again.", err)
	}
	return nil
}

// ---- Users ----

func (h *handler) settingsUsersPage(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, tabUsers, http.StatusOK, "")
}

func (h *handler) loadSettingsUsers(ctx context.Context, data *settingsData) error {
	users, err := h.db.Users(ctx)
	if err != nil {
		return err
	}
	data.Users = users
	data.Tokens, err = h.db.APITokens(ctx, 0)
	return err
}

// userErr turns the store's user errors into plain words.
func userErr(name string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("There is no user named %q; it may have been deleted meanwhile.", name)
	case errors.Is(err, store.ErrLastAdmin):
		return conflict("%q is the last admin, and without an admin nobody can manage these settings. Make another user an admin first.", name)
	case errors.Is(err, store.ErrUserExists):
		return conflict("A user named %q already exists; pick another name.", name)
	}
	return err
}

func validRoleField(role string) error {
	if role != store.RoleAdmin && role != store.RoleViewer {
		return badRequest("Role %q is not a role; choose admin or viewer.", role)
	}
	return nil
}

func (h *handler) createUser(w http.ResponseWriter, r *http.Request) {
	f, err := h.doCreateUser(r)
	h.settingsDone(w, r, tabUsers, err, f)
}

func (h *handler) doCreateUser(r *http.Request) (flash, error) {
	if err := form(r); err != nil {
		return flash{}, err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	role := r.PostForm.Get("role")
	if name == "" {
		return flash{}, badRequest("The user name is empty; give a name such as ann.")
	}
	if err := validRoleField(role); err != nil {
		return flash{}, err
	}
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return flash{}, err
	}
	u, err := h.db.CreateUser(r.Context(), name, hash, role)
	if err != nil {
		return flash{}, userErr(name, err)
	}
	return flash{Message: fmt.Sprintf("Created user %q (%s).", u.Name, u.Role), Secret: pw,
		Note: "Give them this password; it is stored only as a hash and not shown again. They can change it on their account page (/account) once logged in."}, nil
}

func (h *handler) setUserRole(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		name, role := r.PostForm.Get("name"), r.PostForm.Get("role")
		if err := validRoleField(role); err != nil {
			return flash{}, err
		}
		if err := h.db.SetUserRole(r.Context(), name, role); err != nil {
			return flash{}, userErr(name, err)
		}
		return flash{Message: fmt.Sprintf("%s is now %s.", name, article(role))}, nil
	}()
	h.settingsDone(w, r, tabUsers, err, f)
}

func article(role string) string {
	if role == store.RoleAdmin {
		return "an admin"
	}
	return "a viewer"
}

func (h *handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		name := r.PostForm.Get("name")
		if p, ok := principalFrom(r.Context()); ok && p.user.Name == name {
			return flash{}, conflict("You cannot delete yourself here: you would be logged out in the middle. Another admin can delete you, or use `sluice users remove %s` on the server.", name)
		}
		if err := h.db.DeleteUser(r.Context(), name); err != nil {
			return flash{}, userErr(name, err)
		}
		return flash{Message: fmt.Sprintf("Deleted user %q and their API tokens.", name)}, nil
	}()
	h.settingsDone(w, r, tabUsers, err, f)
}

// revokeAnyToken revokes the API token of any user; users revoke their
// own on the account page (account.go).
func (h *handler) revokeAnyToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	f, err := func() (flash, error) {
		id, err := tokenIDField(r)
		if err != nil {
			return flash{}, err
		}
		tokens, err := h.db.APITokens(r.Context(), 0)
		if err != nil {
			return flash{}, err
		}
		for _, t := range tokens {
			if t.ID == id {
				return h.revokeToken(r, p.user, t)
			}
		}
		return flash{}, notFound("There is no API token with id %d; it may have gone with its user.", id)
	}()
	h.settingsDone(w, r, tabUsers, err, f)
}

// ---- People ----

func (h *handler) settingsPeoplePage(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, tabPeople, http.StatusOK, "")
}

// configFlags returns the ids of the people sluice.yaml's people.exclude
// and people.hide list. A ref that names nobody (yet) is skipped.
func (h *handler) configFlags(ctx context.Context) (excluded, hidden map[int64]bool) {
	excluded, hidden = map[int64]bool{}, map[int64]bool{}
	for _, l := range []struct {
		refs []string
		into map[int64]bool
	}{{h.configExclude, excluded}, {h.configHide, hidden}} {
		for _, ref := range l.refs {
			if id, err := h.db.FindPersonID(ctx, ref); err == nil {
				l.into[id] = true
			}
		}
	}
	return excluded, hidden
}

func (h *handler) settingsPeople(ctx context.Context) ([]settingsPerson, error) {
	ps, err := h.db.People(ctx)
	if err != nil {
		return nil, err
	}
	excl, hid := h.configFlags(ctx)
	out := make([]settingsPerson, 0, len(ps))
	for _, p := range ps {
		sp := settingsPerson{Person: p, ConfigExcluded: excl[p.ID] || hid[p.ID], ConfigHidden: hid[p.ID]}
		seen := map[string]bool{}
		for _, i := range p.Identities {
			if i.Email != "" && !seen[i.Email] {
				seen[i.Email] = true
				sp.Emails = append(sp.Emails, i.Email)
			}
		}
		for _, k := range p.Keys {
			if k.Source == store.SourceConfig {
				if sp.ConfigKeys == nil {
					sp.ConfigKeys = map[string]bool{}
				}
				sp.ConfigKeys[k.Key] = true
				sp.Config = true
			}
		}
		out = append(out, sp)
	}
	return out, nil
}

func (h *handler) loadSettingsPeople(ctx context.Context, data *settingsData) error {
	ps, err := h.settingsPeople(ctx)
	if err != nil {
		return err
	}
	data.People = ps
	byID := make(map[int64]settingsPerson, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	groups, err := h.db.SuggestedMerges(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		members := make([]settingsPerson, 0, len(g))
		for _, p := range g {
			members = append(members, byID[p.ID])
		}
		// Merge into the person sluice.yaml defines, if any (the others
		// can be merged into it, never it away), else the one with the
		// most commits.
		sort.SliceStable(members, func(i, j int) bool {
			if members[i].Config != members[j].Config {
				return members[i].Config
			}
			return members[i].Commits > members[j].Commits
		})
		s := suggestion{Name: g[0].Name, Into: members[0]}
		for _, m := range members {
			s.Keys = append(s.Keys, m.Key)
		}
		for _, m := range members[1:] {
			if m.Config { // cannot be merged away
				continue
			}
			s.Others = append(s.Others, m)
		}
		if len(s.Others) > 0 {
			data.Suggestions = append(data.Suggestions, s)
		}
	}
	return nil
}

// personByKey finds the person of a form's person field: a key, an
// e-mail or a unique name.
func (h *handler) personByKey(ctx context.Context, ref string) (store.Person, error) {
	p, err := h.db.FindPerson(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return p, notFound("There is no person %q; the list below has everyone.", ref)
	}
	if err != nil && strings.Contains(err.Error(), "ambiguous") {
		return p, badRequest("%s", err.Error())
	}
	return p, err
}

// mergePeople answers the merge form and a suggested merge's merge button.
func (h *handler) mergePeople(w http.ResponseWriter, r *http.Request) {
	var f flash
	err := form(r)
	if err == nil {
		f, err = h.doMergePeople(r)
	}
	h.settingsDone(w, r, tabPeople, err, f)
}

// dismissSuggestion answers a suggested merge's "Not the same person".
func (h *handler) dismissSuggestion(w http.ResponseWriter, r *http.Request) {
	var f flash
	err := form(r)
	if err == nil {
		f, err = h.doDismissSuggestion(r)
	}
	h.settingsDone(w, r, tabPeople, err, f)
}

// doDismissSuggestion records that the people of the form's person fields
// are not one person, so that they are no longer suggested as one.
func (h *handler) doDismissSuggestion(r *http.Request) (flash, error) {
	ctx := r.Context()
	var keys, names []string
	seen := map[int64]bool{}
	for _, ref := range r.PostForm["person"] {
		p, err := h.personByKey(ctx, ref)
		if err != nil {
			return flash{}, err
		}
		if !seen[p.ID] {
			seen[p.ID] = true
			keys = append(keys, p.Key)
			names = append(names, fmt.Sprintf("%s (%s)", p.Name, p.Key))
		}
	}
	if len(keys) < 2 {
		return flash{}, badRequest("Name two or more different people who are not the same person.")
	}
	if err := h.db.DismissSuggestion(ctx, keys...); errors.Is(err, store.ErrNotFound) {
		return flash{}, notFound("One of them no longer exists (merged or split meanwhile); look at the suggestions again.")
	} else if err != nil {
		return flash{}, err
	}
	return flash{Message: fmt.Sprintf("%s are not suggested as one person any more.", strings.Join(names, ", ")),
		Note: "Merging them by hand below still works."}, nil
}

func (h *handler) doMergePeople(r *http.Request) (flash, error) {
	ctx := r.Context()
	refs := r.PostForm["person"]
	intoRef := r.PostForm.Get("into")
	if intoRef != "" && !contains(refs, intoRef) {
		refs = append([]string{intoRef}, refs...)
	}
	if len(refs) < 2 {
		return flash{}, badRequest("Select two or more people to merge (tick them in the Merge column).")
	}
	var sel []settingsPerson
	all, err := h.settingsPeople(ctx)
	if err != nil {
		return flash{}, err
	}
	for _, ref := range refs {
		p, err := h.personByKey(ctx, ref)
		if err != nil {
			return flash{}, err
		}
		for _, sp := range all {
			if sp.ID == p.ID && !containsPerson(sel, p.ID) {
				sel = append(sel, sp)
			}
		}
	}
	if len(sel) < 2 {
		return flash{}, badRequest("The selected people are already one person; select two or more different people.")
	}
	// Into: the one marked to keep; else the one sluice.yaml defines; else
	// the one with the most commits.
	into := -1
	for i, p := range sel {
		if intoRef != "" && (p.Key == intoRef || p.Name == intoRef) {
			into = i
		}
	}
	if into < 0 {
		into = 0
		for i, p := range sel {
			if p.Config != sel[into].Config {
				if p.Config {
					into = i
				}
			} else if p.Commits > sel[into].Commits {
				into = i
			}
		}
	}
	var from []int64
	var names []string
	for i, p := range sel {
		if i == into {
			continue
		}
		if p.Config {
			return flash{}, conflict("%s (%s) is merged by people.aliases in sluice.yaml, %s: it can be merged into, not away. Mark them as the one to keep, or edit sluice.yaml.",
				p.Name, p.Key, people.ErrConfigDefined)
		}
		from = append(from, p.ID)
		names = append(names, fmt.Sprintf("%s (%s)", p.Name, p.Key))
	}
	keep := sel[into]
	if err := h.db.MergePeople(ctx, keep.ID, from, store.SourceCLI); err != nil {
		return flash{}, err
	}
	if err := h.db.RefreshBots(ctx, h.botPatterns); err != nil {
		return flash{}, err
	}
	return flash{Message: fmt.Sprintf("Merged %s into %s (%s).", strings.Join(names, ", "), keep.Name, keep.Key), Note: reimportNote}, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func containsPerson(ps []settingsPerson, id int64) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

func (h *handler) splitPerson(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		ctx := r.Context()
		key := strings.ToLower(strings.TrimSpace(r.PostForm.Get("key")))
		if strings.Contains(key, "@") {
			key = store.PersonKey("", key)
		}
		if key == "" {
			return flash{}, badRequest("Name the e-mail or key to split off.")
		}
		id, err := h.db.PersonIDByKey(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return flash{}, notFound("No person has the e-mail or key %q.", key)
		} else if err != nil {
			return flash{}, err
		}
		p, err := h.db.Person(ctx, id)
		if err != nil {
			return flash{}, err
		}
		for _, k := range p.Keys {
			if k.Key == key && k.Source == store.SourceConfig {
				return flash{}, conflict("%s is merged into %s by people.aliases in sluice.yaml, %s.", key, p.Name, people.ErrConfigDefined)
			}
		}
		if len(p.Keys) < 2 {
			return flash{}, conflict("%s is the only e-mail or key of %s; there is nothing to split off.", key, p.Name)
		}
		nid, err := h.db.SplitPersonKey(ctx, key, store.SourceCLI)
		if err != nil {
			return flash{}, conflict("%s", err.Error())
		}
		if err := h.db.RefreshBots(ctx, h.botPatterns); err != nil {
			return flash{}, err
		}
		np, err := h.db.Person(ctx, nid)
		if err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("Split %s off %s: it is now %s (%s).", key, p.Name, np.Name, np.Key), Note: reimportNote}, nil
	}()
	h.settingsDone(w, r, tabPeople, err, f)
}

func (h *handler) setPersonFlags(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		ctx := r.Context()
		yes, no := true, false
		var excluded, hidden *bool
		var done string
		action := r.PostForm.Get("action")
		switch action {
		case "exclude":
			excluded, done = &yes, "is left out of the figures"
		case "include":
			excluded, done = &no, "counts in the figures again"
		case "hide":
			excluded, hidden, done = &yes, &yes, "is hidden (left out of the figures and of lists)"
		case "unhide":
			hidden, done = &no, "is shown in lists again (still left out of the figures until included)"
		default:
			return flash{}, badRequest("Action %q is unknown; use exclude, include, hide or unhide.", action)
		}
		p, err := h.personByKey(ctx, r.PostForm.Get("person"))
		if err != nil {
			return flash{}, err
		}
		excl, hid := h.configFlags(ctx)
		if action == "include" && (excl[p.ID] || hid[p.ID]) || action == "unhide" && hid[p.ID] {
			list := "people.exclude"
			if hid[p.ID] {
				list = "people.hide"
			}
			return flash{}, conflict("%s (%s) is listed in %s in sluice.yaml, %s.", p.Name, p.Key, list, people.ErrConfigDefined)
		}
		if err := h.db.SetPersonFlags(ctx, p.ID, excluded, hidden); err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("%s (%s) %s.", p.Name, p.Key, done)}, nil
	}()
	h.settingsDone(w, r, tabPeople, err, f)
}

// ---- Teams ----

func (h *handler) settingsTeamsPage(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, tabTeams, http.StatusOK, "")
}

func (h *handler) loadSettingsTeams(ctx context.Context, data *settingsData) error {
	teams, err := h.db.Teams(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]store.Team{}
	children := map[int64][]store.Team{}
	for _, t := range teams {
		byID[t.ID] = t
	}
	for _, t := range teams { // ordered by name
		parent := t.ParentID
		if _, ok := byID[parent]; !ok {
			parent = 0
		}
		children[parent] = append(children[parent], t)
	}
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, t := range children[parent] {
			st := settingsTeam{Team: t, Depth: depth, Config: t.Source == store.SourceConfig}
			if p, ok := byID[t.ParentID]; ok {
				st.Parent = p.Name
			}
			data.Teams = append(data.Teams, st)
			if depth < 50 {
				walk(t.ID, depth+1)
			}
		}
	}
	walk(0, 0)
	ps, err := h.db.People(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if !p.Bot {
			data.Choices = append(data.Choices, personChoice{Key: p.Key, Name: p.Name})
		}
	}
	return nil
}

// teamOf finds the team of a form's team field (its id).
func (h *handler) teamOf(ctx context.Context, field string, editable bool) (store.Team, error) {
	id, err := strconv.ParseInt(field, 10, 64)
	if err != nil {
		return store.Team{}, badRequest("Choose a team.")
	}
	teams, err := h.db.Teams(ctx)
	if err != nil {
		return store.Team{}, err
	}
	for _, t := range teams {
		if t.ID == id {
			if editable && t.Source == store.SourceConfig {
				return t, conflict("Team %q is %s.", t.Name, people.ErrConfigDefined)
			}
			return t, nil
		}
	}
	return store.Team{}, notFound("That team no longer exists; it may have been deleted meanwhile.")
}

func (h *handler) createTeam(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		ctx := r.Context()
		name := strings.TrimSpace(r.PostForm.Get("name"))
		if name == "" {
			return flash{}, badRequest("A team needs a name.")
		}
		if t, err := h.db.TeamByName(ctx, name); err == nil {
			return flash{}, conflict("Team %q already exists (made by %s); pick another name.", name, sourceWords(t.Source))
		}
		var parentID int64
		under := ""
		if pf := r.PostForm.Get("parent"); pf != "" {
			p, err := h.teamOf(ctx, pf, false)
			if err != nil {
				return flash{}, err
			}
			parentID, under = p.ID, fmt.Sprintf(" under %q", p.Name)
		}
		if _, err := h.db.CreateTeam(ctx, name, parentID, store.SourceCLI); err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("Created team %q%s.", name, under)}, nil
	}()
	h.settingsDone(w, r, tabTeams, err, f)
}

func sourceWords(source string) string {
	switch source {
	case store.SourceConfig:
		return "sluice.yaml"
	case store.SourceCLI:
		return "hand"
	}
	return source
}

func (h *handler) deleteTeam(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		t, err := h.teamOf(r.Context(), r.PostForm.Get("team"), true)
		if err != nil {
			return flash{}, err
		}
		if err := h.db.DeleteTeam(r.Context(), t.ID); err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("Deleted team %q and its memberships; its subteams moved up.", t.Name)}, nil
	}()
	h.settingsDone(w, r, tabTeams, err, f)
}

func (h *handler) moveTeam(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		ctx := r.Context()
		t, err := h.teamOf(ctx, r.PostForm.Get("team"), true)
		if err != nil {
			return flash{}, err
		}
		var parentID int64
		under := "to the top level"
		if pf := r.PostForm.Get("parent"); pf != "" {
			p, err := h.teamOf(ctx, pf, false)
			if err != nil {
				return flash{}, err
			}
			parentID, under = p.ID, fmt.Sprintf("under %q", p.Name)
		}
		if err := h.db.SetTeamParent(ctx, t.ID, parentID); errors.Is(err, store.ErrNotFound) {
			return flash{}, notFound("That team no longer exists; it may have been deleted meanwhile.")
		} else if err != nil && strings.Contains(err.Error(), "own ancestor") {
			return flash{}, conflict("%q cannot move under %s: %s.", t.Name, strings.TrimPrefix(under, "under "), err.Error())
		} else if err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("Moved team %q %s.", t.Name, under)}, nil
	}()
	h.settingsDone(w, r, tabTeams, err, f)
}

// parseDayField parses a YYYY-MM-DD form field into a day number.
func parseDayField(label, v string) (*int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, badRequest("%s %q is not a date; write it like 2026-03-01.", label, v)
	}
	d := store.AuthorDay(time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC))
	return &d, nil
}

func period(since, until *int) string {
	switch {
	case since == nil && until == nil:
		return ""
	case until == nil:
		return " from " + dayText(since)
	case since == nil:
		return " until " + dayText(until)
	}
	return " from " + dayText(since) + " until " + dayText(until)
}

func (h *handler) addTeamMember(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		ctx := r.Context()
		since, err := parseDayField("From", r.PostForm.Get("from"))
		if err != nil {
			return flash{}, err
		}
		until, err := parseDayField("Until", r.PostForm.Get("until"))
		if err != nil {
			return flash{}, err
		}
		if since != nil && until != nil && *since >= *until {
			return flash{}, badRequest("Until (%s) must come after From (%s): the membership runs from From up to the day before Until.", dayText(until), dayText(since))
		}
		t, err := h.teamOf(ctx, r.PostForm.Get("team"), true)
		if err != nil {
			return flash{}, err
		}
		ref := strings.TrimSpace(r.PostForm.Get("person"))
		if ref == "" {
			return flash{}, badRequest("Name the person to add to %q (their e-mail, key or name).", t.Name)
		}
		p, err := h.personByKey(ctx, ref)
		if err != nil {
			return flash{}, err
		}
		for _, m := range t.Members {
			if m.PersonID == p.ID && store.Overlaps(m.Since, m.Until, since, until) {
				return flash{}, conflict("%s is already a member of %q%s, which overlaps; remove that membership first or pick dates outside it.",
					p.Name, t.Name, period(m.Since, m.Until))
			}
		}
		if err := h.db.AddTeamMember(ctx, t.ID, p.ID, since, until, store.SourceCLI); err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("Added %s (%s) to %q%s.", p.Name, p.Key, t.Name, period(since, until))}, nil
	}()
	h.settingsDone(w, r, tabTeams, err, f)
}

func (h *handler) removeTeamMember(w http.ResponseWriter, r *http.Request) {
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		ctx := r.Context()
		t, err := h.teamOf(ctx, r.PostForm.Get("team"), true)
		if err != nil {
			return flash{}, err
		}
		p, err := h.personByKey(ctx, r.PostForm.Get("person"))
		if err != nil {
			return flash{}, err
		}
		if err := h.db.RemoveTeamMember(ctx, t.ID, p.ID); errors.Is(err, store.ErrNotFound) {
			return flash{}, notFound("%s is not a member of %q.", p.Name, t.Name)
		} else if err != nil {
			return flash{}, err
		}
		return flash{Message: fmt.Sprintf("Removed %s (%s) from %q.", p.Name, p.Key, t.Name)}, nil
	}()
	h.settingsDone(w, r, tabTeams, err, f)
}
