package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

// settingsEnv is a seeded server (Alice, Carol, Dave, the evil name, a
// bot) where sluice.yaml would exclude Dave, with an admin client and its
// CSRF token.
func settingsEnv(t *testing.T) (*testEnv, *http.Client, string) {
	t.Helper()
	db := openDB(t, sqliteDSN(t))
	seed(t, db)
	e := newEnvWith(t, db, func(s *Server) { s.ConfiguredExclude = []string{"dave@example.com"} })
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(e.logs.String())
		}
	})
	c := loggedIn(t, e)
	return e, c, e.csrfToken(t, c)
}

// submit posts form with the CSRF token to path and, when it redirects,
// follows to the page, returning the final status and body.
func (e *testEnv) submit(t *testing.T, c *http.Client, path, token string, form url.Values) (int, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set(csrfField, token)
	req, err := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	resp, body := e.do(t, c, req)
	if resp.StatusCode != http.StatusSeeOther {
		return resp.StatusCode, body
	}
	loc := resp.Header.Get("Location")
	resp, body = e.get(t, c, loc)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s redirected to %s, which answers %d", path, loc, resp.StatusCode)
	}
	return http.StatusSeeOther, body
}

// flashText returns the page's flash message, or "".
func flashText(body string) string {
	m := regexp.MustCompile(`<p id="flash-message">(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func settingsErrorText(body string) string {
	m := regexp.MustCompile(`id="settings-error">(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// settingsPosts are every settings form, with a valid form each.
var settingsPosts = []struct {
	path string
	form url.Values
}{
	{"/settings/users", url.Values{"name": {"newbie"}, "role": {"viewer"}}},
	{"/settings/users/role", url.Values{"name": {viewerUser}, "role": {"admin"}}},
	{"/settings/users/delete", url.Values{"name": {viewerUser}}},
	{"/settings/people/merge", url.Values{"person": {"alice@example.com", "carol@example.com"}}},
	{"/settings/people/dismiss", url.Values{"person": {"alice@example.com", "carol@example.com"}}},
	{"/settings/people/split", url.Values{"key": {"alice@example.com"}}},
	{"/settings/people/flags", url.Values{"person": {"carol@example.com"}, "action": {"exclude"}}},
	{"/settings/teams", url.Values{"name": {"Platform"}}},
	{"/settings/teams/delete", url.Values{"team": {"1"}}},
	{"/settings/teams/parent", url.Values{"team": {"1"}}},
	{"/settings/teams/members", url.Values{"team": {"1"}, "person": {"alice@example.com"}}},
	{"/settings/teams/members/remove", url.Values{"team": {"1"}, "person": {"alice@example.com"}}},
}

// TestSettingsPostsRefused: every settings form needs the CSRF token and
// an admin; a refused post changes nothing.
func TestSettingsPostsRefused(t *testing.T) {
	e, admin, _ := settingsEnv(t)
	viewer := e.client(t)
	e.loginAs(t, viewer, viewerUser, viewerPassword)
	viewerToken := e.csrfToken(t, viewer)
	ctx := context.Background()
	for _, p := range settingsPosts {
		// Admin without the token: 403, "Form expired".
		form := url.Values{}
		for k, v := range p.form {
			form[k] = v
		}
		req, _ := http.NewRequest("POST", e.ts.URL+p.path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.ts.URL)
		resp, body := e.do(t, admin, req)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Form expired") {
			t.Errorf("%s without CSRF token: %d, want 403 Form expired", p.path, resp.StatusCode)
		}
		// Viewer with their token: 403, "Admins only".
		st, body := e.submit(t, viewer, p.path, viewerToken, form)
		if st != http.StatusForbidden || !strings.Contains(body, "Admins only") {
			t.Errorf("%s as a viewer: %d, want 403 Admins only", p.path, st)
		}
		// Nobody logged in: 401.
		if resp := e.postForm(t, e.client(t), p.path, form); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s logged out: %d, want 401", p.path, resp.StatusCode)
		}
	}
	// Nothing changed.
	if users, _ := e.db.Users(ctx); len(users) != 2 {
		t.Errorf("users: %d, want the 2 of the fixture", len(users))
	}
	if v, _ := e.db.UserByName(ctx, viewerUser); v.Role != store.RoleViewer {
		t.Errorf("viewer's role: %s", v.Role)
	}
	if ps, _ := e.db.People(ctx); len(ps) != 5 {
		t.Errorf("people: %d, want the 5 of the fixture", len(ps))
	}
	if teams, _ := e.db.Teams(ctx); len(teams) != 0 {
		t.Errorf("teams: %v, want none", teams)
	}
	// The viewer is refused the pages too.
	for _, path := range []string{"/settings", "/settings/people", "/settings/teams"} {
		if resp, body := e.get(t, viewer, path); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Admins only") {
			t.Errorf("viewer GET %s: %d", path, resp.StatusCode)
		}
	}
}

func TestSettingsUsers(t *testing.T) {
	e, c, token := settingsEnv(t)
	ctx := context.Background()

	// Create: the page shows the one-time password once, and it works.
	st, body := e.submit(t, c, "/settings/users", token, url.Values{"name": {"nora"}, "role": {"viewer"}})
	if st != http.StatusSeeOther || flashText(body) != `Created user &#34;nora&#34; (viewer).` {
		t.Fatalf("create user: %d, flash %q", st, flashText(body))
	}
	m := regexp.MustCompile(`<code id="flash-secret">([^<]+)</code>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no one-time password on the page")
	}
	if !strings.Contains(tableRowAttr(t, body, "data-user", "nora"), "<td class=\"role\">viewer</td>") {
		t.Error("the users table does not list nora as a viewer")
	}
	nora := e.client(t)
	e.loginAs(t, nora, "nora", m[1])
	if again := getBody(t, e, c, "/settings"); strings.Contains(again, m[1]) {
		t.Error("the password is shown a second time")
	}
	// A taken name, an empty name, a bad role: the page says why.
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"name": {"nora"}, "role": {"admin"}}, http.StatusConflict, "already exists"},
		{url.Values{"name": {" "}, "role": {"admin"}}, http.StatusBadRequest, "name is empty"},
		{url.Values{"name": {"olga"}, "role": {"owner"}}, http.StatusBadRequest, "choose admin or viewer"},
	} {
		st, body := e.submit(t, c, "/settings/users", token, tc.form)
		if st != tc.status || !strings.Contains(settingsErrorText(body), tc.want) {
			t.Errorf("create %v: %d %q, want %d %q", tc.form, st, settingsErrorText(body), tc.status, tc.want)
		}
	}

	// Role: nora becomes an admin.
	st, body = e.submit(t, c, "/settings/users/role", token, url.Values{"name": {"nora"}, "role": {"admin"}})
	if u, _ := e.db.UserByName(ctx, "nora"); st != http.StatusSeeOther || u.Role != store.RoleAdmin || flashText(body) != "nora is now an admin." {
		t.Errorf("make nora admin: %d, role %s, flash %q", st, u.Role, flashText(body))
	}
	// The last admin: refused with the store's reason in plain words.
	e.submit(t, c, "/settings/users/delete", token, url.Values{"name": {"nora"}})
	st, body = e.submit(t, c, "/settings/users/role", token, url.Values{"name": {AdminUser}, "role": {"viewer"}})
	if st != http.StatusConflict || !strings.Contains(settingsErrorText(body), "is the last admin") {
		t.Errorf("demote the last admin: %d %q, want 409 last admin", st, settingsErrorText(body))
	}
	if u, _ := e.db.UserByName(ctx, AdminUser); u.Role != store.RoleAdmin {
		t.Error("the last admin was demoted")
	}
	// Deleting yourself is refused; deleting the viewer works.
	st, body = e.submit(t, c, "/settings/users/delete", token, url.Values{"name": {AdminUser}})
	if st != http.StatusConflict || !strings.Contains(settingsErrorText(body), "cannot delete yourself") {
		t.Errorf("delete yourself: %d %q", st, settingsErrorText(body))
	}
	st, body = e.submit(t, c, "/settings/users/delete", token, url.Values{"name": {viewerUser}})
	if _, err := e.db.UserByName(ctx, viewerUser); st != http.StatusSeeOther || err == nil || !strings.Contains(flashText(body), "Deleted user") {
		t.Errorf("delete the viewer: %d, err %v, flash %q", st, err, flashText(body))
	}
	if strings.Contains(body, `data-user="`+viewerUser+`"`) {
		t.Error("the deleted viewer is still listed")
	}
	st, body = e.submit(t, c, "/settings/users/delete", token, url.Values{"name": {"ghost"}})
	if st != http.StatusNotFound || !strings.Contains(settingsErrorText(body), "no user named") {
		t.Errorf("delete an unknown user: %d %q", st, settingsErrorText(body))
	}
}

// tableRowAttr returns the <tr> whose attr is value.
func tableRowAttr(t *testing.T, body, attr, value string) string {
	t.Helper()
	i := strings.Index(body, `<tr `+attr+`="`+value+`"`)
	if i < 0 {
		t.Fatalf("no row with %s=%q", attr, value)
	}
	row := body[i:]
	return row[:strings.Index(row, "</tr>")]
}

func TestSettingsPeople(t *testing.T) {
	e, c, token := settingsEnv(t)
	ctx := context.Background()
	personOf := func(ref string) store.Person {
		t.Helper()
		p, err := e.db.FindPerson(ctx, ref)
		if err != nil {
			t.Fatalf("find %s: %v", ref, err)
		}
		return p
	}
	// An e-mail of Alice's with no commit yet, and one that sluice.yaml's
	// people.aliases maps.
	if _, err := e.db.EnsurePersonKey(ctx, "alice@old.example.com", "Alice Example", store.SourceAuto); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.EnsurePersonKey(ctx, "ann@corp.example.com", "Ann Config", store.SourceConfig); err != nil {
		t.Fatal(err)
	}

	body := getBody(t, e, c, "/settings/people")
	for _, want := range []string{`id="suggestions"`, `<input type="hidden" name="into" value="alice@example.com">`,
		`<input type="hidden" name="person" value="alice@old.example.com">`, `id="reimport-note"`} {
		if !strings.Contains(body, want) {
			t.Errorf("people settings lack %q", want)
		}
	}
	if row := tableRowAttr(t, body, "data-key", "ann@corp.example.com"); !strings.Contains(row, configNote) || strings.Contains(row, "Split off") {
		t.Errorf("Ann's row does not show her as defined in sluice.yaml: %s", row)
	}
	if row := tableRowAttr(t, body, "data-key", "dave@example.com"); !strings.Contains(row, "excluded: "+configNote) || strings.Contains(row, "flag-include") {
		t.Errorf("Dave's row (people.exclude) offers to include him: %s", row)
	}

	// One-click merge of the suggestion.
	st, body := e.submit(t, c, "/settings/people/merge", token, url.Values{"into": {"alice@example.com"}, "person": {"alice@old.example.com"}})
	if st != http.StatusSeeOther || !strings.Contains(flashText(body), "into Alice Example (alice@example.com)") ||
		!strings.Contains(body, `id="flash-note"`) || !strings.Contains(body, "imports it anew") {
		t.Errorf("merge the suggestion: %d %q", st, flashText(body))
	}
	if strings.Contains(body, `id="suggestions"`) {
		t.Error("the merged suggestion is still suggested")
	}
	if a := personOf("alice@old.example.com"); a.Key != "alice@example.com" || len(a.Keys) != 2 {
		t.Errorf("after the merge alice@old.example.com is %s with keys %v", a.Key, a.Keys)
	}

	// Merge Carol into Alice by ticking both: Alice, with more commits,
	// stays; the people page shows one person with both commits.
	st, body = e.submit(t, c, "/settings/people/merge", token, url.Values{"person": {"carol@example.com", "alice@example.com"}})
	if st != http.StatusSeeOther || flashText(body) != "Merged Carol Chen (carol@example.com) into Alice Example (alice@example.com)." {
		t.Errorf("merge Carol into Alice: %d %q", st, flashText(body))
	}
	if a := personOf("carol@example.com"); a.Key != "alice@example.com" || a.Commits != 9 {
		t.Errorf("after the merge Carol is %s with %d commits", a.Key, a.Commits)
	}
	people := getBody(t, e, c, "/people")
	if strings.Contains(people, "Carol Chen") || !strings.Contains(people, "Alice Example") {
		t.Error("the people page still lists Carol after the merge")
	}
	// Refused merges: one person only; the configured person away.
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"person": {"alice@example.com"}}, http.StatusBadRequest, "two or more"},
		{url.Values{"person": {"alice@example.com", "carol@example.com"}}, http.StatusBadRequest, "already one person"},
		{url.Values{"person": {"ann@corp.example.com", "dave@example.com"}, "into": {"dave@example.com"}}, http.StatusConflict, "defined in sluice.yaml"},
		{url.Values{"person": {"nobody@example.com", "dave@example.com"}}, http.StatusNotFound, "no person"},
	} {
		st, body := e.submit(t, c, "/settings/people/merge", token, tc.form)
		if st != tc.status || !strings.Contains(settingsErrorText(body), tc.want) {
			t.Errorf("merge %v: %d %q, want %d %q", tc.form, st, settingsErrorText(body), tc.status, tc.want)
		}
	}

	// Split Carol's e-mail off again.
	st, body = e.submit(t, c, "/settings/people/split", token, url.Values{"key": {"carol@example.com"}})
	if st != http.StatusSeeOther || !strings.Contains(flashText(body), "Split carol@example.com off Alice Example") {
		t.Errorf("split Carol: %d %q", st, flashText(body))
	}
	if p := personOf("carol@example.com"); p.Key != "carol@example.com" || p.Commits != 4 {
		t.Errorf("after the split Carol is %s with %d commits", p.Key, p.Commits)
	}
	for _, tc := range []struct {
		key    string
		status int
		want   string
	}{
		{"carol@example.com", http.StatusConflict, "only e-mail or key"},
		{"ann@corp.example.com", http.StatusConflict, "defined in sluice.yaml"},
		{"nobody@example.com", http.StatusNotFound, "No person"},
	} {
		st, body := e.submit(t, c, "/settings/people/split", token, url.Values{"key": {tc.key}})
		if st != tc.status || !strings.Contains(settingsErrorText(body), tc.want) {
			t.Errorf("split %s: %d %q, want %d %q", tc.key, st, settingsErrorText(body), tc.status, tc.want)
		}
	}

	// Flags.
	for _, tc := range []struct {
		action           string
		excluded, hidden bool
		flash            string
	}{
		{"exclude", true, false, "is left out of the figures"},
		{"include", false, false, "counts in the figures again"},
		{"hide", true, true, "is hidden"},
		{"unhide", true, false, "is shown in lists again"},
	} {
		st, body := e.submit(t, c, "/settings/people/flags", token, url.Values{"person": {"carol@example.com"}, "action": {tc.action}})
		p := personOf("carol@example.com")
		if st != http.StatusSeeOther || p.Excluded != tc.excluded || p.Hidden != tc.hidden || !strings.Contains(flashText(body), tc.flash) {
			t.Errorf("%s Carol: %d, excluded %v hidden %v, flash %q", tc.action, st, p.Excluded, p.Hidden, flashText(body))
		}
	}
	if row := tableRowAttr(t, getBody(t, e, c, "/settings/people"), "data-key", "carol@example.com"); !strings.Contains(row, "excluded") || !strings.Contains(row, "flag-include") {
		t.Errorf("Carol's row after unhide: %s", row)
	}
	st, body = e.submit(t, c, "/settings/people/flags", token, url.Values{"person": {"dave@example.com"}, "action": {"include"}})
	if st != http.StatusConflict || !strings.Contains(settingsErrorText(body), "people.exclude") {
		t.Errorf("include Dave (people.exclude): %d %q", st, settingsErrorText(body))
	}
	st, body = e.submit(t, c, "/settings/people/flags", token, url.Values{"person": {"dave@example.com"}, "action": {"promote"}})
	if st != http.StatusBadRequest || !strings.Contains(settingsErrorText(body), "unknown") {
		t.Errorf("unknown action: %d %q", st, settingsErrorText(body))
	}
}

func TestSettingsTeams(t *testing.T) {
	e, c, token := settingsEnv(t)
	ctx := context.Background()
	team := func(name string) store.Team {
		t.Helper()
		tm, err := e.db.TeamByName(ctx, name)
		if err != nil {
			t.Fatalf("team %s: %v", name, err)
		}
		return tm
	}
	if body := getBody(t, e, c, "/settings/teams"); !strings.Contains(body, `id="no-teams"`) {
		t.Error("no empty state without teams")
	}
	st, body := e.submit(t, c, "/settings/teams", token, url.Values{"name": {"Platform"}})
	if st != http.StatusSeeOther || flashText(body) != `Created team &#34;Platform&#34;.` {
		t.Fatalf("create Platform: %d %q", st, flashText(body))
	}
	platform := team("Platform")
	st, body = e.submit(t, c, "/settings/teams", token, url.Values{"name": {"Storage"}, "parent": {itoa(platform.ID)}})
	if storage := team("Storage"); st != http.StatusSeeOther || storage.ParentID != platform.ID || !strings.Contains(body, `<span class="note">in Platform</span>`) {
		t.Errorf("create Storage under Platform: %d, parent %d, %q", st, storage.ParentID, flashText(body))
	}
	if st, body := e.submit(t, c, "/settings/teams", token, url.Values{"name": {"Platform"}}); st != http.StatusConflict || !strings.Contains(settingsErrorText(body), "already exists") {
		t.Errorf("create Platform again: %d %q", st, settingsErrorText(body))
	}

	// Members with dates.
	add := url.Values{"team": {itoa(platform.ID)}, "person": {"alice@example.com"}, "from": {"2024-01-01"}, "until": {"2024-06-01"}}
	st, body = e.submit(t, c, "/settings/teams/members", token, add)
	if st != http.StatusSeeOther || !strings.Contains(flashText(body), "from 2024-01-01 until 2024-06-01") {
		t.Errorf("add Alice: %d %q", st, flashText(body))
	}
	ms := team("Platform").Members
	if len(ms) != 1 || ms[0].PersonKey != "alice@example.com" || dayText(ms[0].Since) != "2024-01-01" || dayText(ms[0].Until) != "2024-06-01" {
		t.Errorf("Platform's members: %+v", ms)
	}
	if row := tableRowAttr(t, body, "data-person", "alice@example.com"); !strings.Contains(row, "<td>2024-01-01</td><td>2024-06-01</td>") {
		t.Errorf("Alice's membership row: %s", row)
	}
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"team": {itoa(platform.ID)}, "person": {"alice@example.com"}, "from": {"2024-05-01"}}, http.StatusConflict, "overlaps"},
		{url.Values{"team": {itoa(platform.ID)}, "person": {"alice@example.com"}, "from": {"May 1"}}, http.StatusBadRequest, "is not a date"},
		{url.Values{"team": {itoa(platform.ID)}, "person": {"alice@example.com"}, "from": {"2024-06-01"}, "until": {"2024-01-01"}}, http.StatusBadRequest, "must come after"},
		{url.Values{"team": {itoa(platform.ID)}, "person": {"nobody@example.com"}}, http.StatusNotFound, "no person"},
		{url.Values{"team": {"9999"}, "person": {"alice@example.com"}}, http.StatusNotFound, "no longer exists"},
	} {
		st, body := e.submit(t, c, "/settings/teams/members", token, tc.form)
		if st != tc.status || !strings.Contains(settingsErrorText(body), tc.want) {
			t.Errorf("add member %v: %d %q, want %d %q", tc.form, st, settingsErrorText(body), tc.status, tc.want)
		}
	}
	st, body = e.submit(t, c, "/settings/teams/members/remove", token, url.Values{"team": {itoa(platform.ID)}, "person": {"alice@example.com"}})
	if st != http.StatusSeeOther || len(team("Platform").Members) != 0 || !strings.Contains(flashText(body), "Removed Alice Example") {
		t.Errorf("remove Alice: %d %q", st, flashText(body))
	}

	// Move Storage to the top and back; a cycle is refused.
	storage := team("Storage")
	st, body = e.submit(t, c, "/settings/teams/parent", token, url.Values{"team": {itoa(storage.ID)}, "parent": {""}})
	if st != http.StatusSeeOther || team("Storage").ParentID != 0 || flashText(body) != `Moved team &#34;Storage&#34; to the top level.` {
		t.Errorf("move Storage to the top: %d %q", st, flashText(body))
	}
	e.submit(t, c, "/settings/teams/parent", token, url.Values{"team": {itoa(storage.ID)}, "parent": {itoa(platform.ID)}})
	st, body = e.submit(t, c, "/settings/teams/parent", token, url.Values{"team": {itoa(platform.ID)}, "parent": {itoa(storage.ID)}})
	if st != http.StatusConflict || !strings.Contains(settingsErrorText(body), "own ancestor") || team("Platform").ParentID != 0 {
		t.Errorf("move Platform under its subteam: %d %q", st, settingsErrorText(body))
	}

	// Delete Platform: Storage moves up.
	st, body = e.submit(t, c, "/settings/teams/delete", token, url.Values{"team": {itoa(platform.ID)}})
	if _, err := e.db.TeamByName(ctx, "Platform"); st != http.StatusSeeOther || err == nil || team("Storage").ParentID != 0 {
		t.Errorf("delete Platform: %d, %v, %q", st, err, flashText(body))
	}

	// A team of sluice.yaml is read-only.
	carol, _ := e.db.FindPersonID(ctx, "carol@example.com")
	if err := e.db.ReplaceConfigTeams(ctx, []store.TeamSpec{{Name: "Core", Members: []store.MemberSpec{{PersonID: carol}}}}); err != nil {
		t.Fatal(err)
	}
	core := team("Core")
	body = getBody(t, e, c, "/settings/teams")
	i := strings.Index(body, `data-team="Core"`)
	section := body[i : i+strings.Index(body[i:], "</section>")]
	if !strings.Contains(section, configNote) || strings.Contains(section, "Delete team") || strings.Contains(section, "remove-member") {
		t.Errorf("the configured team is not read-only:\n%s", section)
	}
	for path, form := range map[string]url.Values{
		"/settings/teams/delete":         {"team": {itoa(core.ID)}},
		"/settings/teams/parent":         {"team": {itoa(core.ID)}, "parent": {itoa(team("Storage").ID)}},
		"/settings/teams/members":        {"team": {itoa(core.ID)}, "person": {"alice@example.com"}},
		"/settings/teams/members/remove": {"team": {itoa(core.ID)}, "person": {"carol@example.com"}},
	} {
		st, body := e.submit(t, c, path, token, form)
		if st != http.StatusConflict || !strings.Contains(settingsErrorText(body), "defined in sluice.yaml") {
			t.Errorf("%s on the configured team: %d %q", path, st, settingsErrorText(body))
		}
	}
	if core := team("Core"); len(core.Members) != 1 {
		t.Errorf("the configured team changed: %+v", core)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// dismissForm returns the fields of the "Not the same person" form of the
// suggestion merging into into, or nil when there is no such suggestion.
func dismissForm(t *testing.T, body, into string) url.Values {
	t.Helper()
	i := strings.Index(body, `<li data-into="`+into+`">`)
	if i < 0 {
		return nil
	}
	li := body[i:]
	li = li[:strings.Index(li, "</li>")]
	j := strings.Index(li, `class="dismiss-suggestion"`)
	if j < 0 {
		t.Fatalf("the suggestion into %s has no dismiss button: %s", into, li)
	}
	f := li[strings.LastIndex(li[:j], "<form"):j]
	if !strings.Contains(f, `action="/settings/people/dismiss"`) {
		t.Errorf("the dismiss button of the suggestion into %s posts elsewhere: %s", into, f)
	}
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(f, -1) {
		v.Add(m[1], m[2])
	}
	return v
}

// TestSettingsDismissSuggestion: "Not the same person" dismisses one
// suggested merge — the whole group, with those sluice.yaml keeps off the
// merge button — and leaves the others; only an admin with the session's
// CSRF token may.
func TestSettingsDismissSuggestion(t *testing.T) {
	e, c, token := settingsEnv(t)
	ctx := context.Background()
	for _, p := range []struct{ key, name, source string }{
		{"alice@old.example.com", "Alice Example", store.SourceAuto},
		{"carol@old.example.com", "Carol Chen", store.SourceAuto},
		{"ann@corp.example.com", "Ann Config", store.SourceConfig},
		{"ann@home.example.com", "Ann Config", store.SourceConfig},
		{"ann.c@example.com", "Ann Config", store.SourceAuto},
	} {
		if _, err := e.db.EnsurePersonKey(ctx, p.key, p.name, p.source); err != nil {
			t.Fatal(err)
		}
	}
	// groups lists the store's suggested merges by their people's keys.
	groups := func() []string {
		t.Helper()
		gs, err := e.db.SuggestedMerges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range gs {
			var ks []string
			for _, p := range g {
				ks = append(ks, p.Key)
			}
			out = append(out, strings.Join(ks, " "))
		}
		return out
	}
	before := groups()
	if len(before) != 3 {
		t.Fatalf("suggested merges before: %q, want Alice's, Ann's and Carol's", before)
	}

	body := getBody(t, e, c, "/settings/people")
	alice := dismissForm(t, body, "alice@example.com")
	if want := (url.Values{"csrf_token": {token}, "person": {"alice@example.com", "alice@old.example.com"}}); !reflect.DeepEqual(alice, want) {
		t.Errorf("Alice's dismiss form: %v, want %v", alice, want)
	}
	ann := dismissForm(t, body, "ann@corp.example.com")
	if got, want := ann["person"], []string{"ann@corp.example.com", "ann@home.example.com", "ann.c@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ann's dismiss form names %v, want %v (everyone with the name, the configured too)", got, want)
	}

	// Refused: without the token, and as a viewer.
	form := url.Values{"action": alice["action"], "person": alice["person"]}
	req, _ := http.NewRequest("POST", e.ts.URL+"/settings/people/merge", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	if resp, body := e.do(t, c, req); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Form expired") {
		t.Errorf("dismiss without the CSRF token: %d, want 403 Form expired", resp.StatusCode)
	}
	viewer := e.client(t)
	e.loginAs(t, viewer, viewerUser, viewerPassword)
	if st, body := e.submit(t, viewer, "/settings/people/merge", e.csrfToken(t, viewer), form); st != http.StatusForbidden || !strings.Contains(body, "Admins only") {
		t.Errorf("dismiss as a viewer: %d, want 403 Admins only", st)
	}
	if got := groups(); !reflect.DeepEqual(got, before) {
		t.Errorf("refused dismissals changed the suggestions: %q, want %q", got, before)
	}

	// Alice's: gone, with a message; the others stay.
	st, body := e.submit(t, c, "/settings/people/dismiss", token, alice)
	if want := "Alice Example (alice@example.com), Alice Example (alice@old.example.com) are not suggested as one person any more."; st != http.StatusSeeOther || flashText(body) != want {
		t.Errorf("dismiss Alice's suggestion: %d %q, want %q", st, flashText(body), want)
	}
	if dismissForm(t, body, "alice@example.com") != nil {
		t.Error("the dismissed suggestion is still on the page")
	}
	if dismissForm(t, body, "carol@example.com") == nil || dismissForm(t, body, "ann@corp.example.com") == nil {
		t.Error("dismissing Alice's suggestion took others off the page")
	}
	if got := groups(); len(got) != 2 || strings.Contains(strings.Join(got, ";"), "alice") {
		t.Errorf("suggested merges after dismissing Alice's: %q", got)
	}
	// Ann's: the configured pair, which the merge button leaves out, goes too.
	st, body = e.submit(t, c, "/settings/people/dismiss", token, ann)
	if st != http.StatusSeeOther || !strings.Contains(flashText(body), "are not suggested as one person any more") {
		t.Errorf("dismiss Ann's suggestion: %d %q", st, flashText(body))
	}
	if got, want := groups(), []string{"carol@example.com carol@old.example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("suggested merges after dismissing Ann's: %q, want %q", got, want)
	}
	if dismissForm(t, body, "carol@example.com") == nil {
		t.Error("Carol's suggestion left the page")
	}

	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"person": {"carol@example.com"}}, http.StatusBadRequest, "two or more different people"},
		{url.Values{"person": {"carol@example.com", "CAROL@example.com"}}, http.StatusBadRequest, "two or more different people"},
		{url.Values{"person": {"carol@example.com", "nobody@example.com"}}, http.StatusNotFound, "no person"},
	} {
		st, body := e.submit(t, c, "/settings/people/dismiss", token, tc.form)
		if st != tc.status || !strings.Contains(settingsErrorText(body), tc.want) {
			t.Errorf("post %v: %d %q, want %d %q", tc.form, st, settingsErrorText(body), tc.status, tc.want)
		}
	}
	if got, want := groups(), []string{"carol@example.com carol@old.example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("refused posts changed the suggestions: %q, want %q", got, want)
	}
}
