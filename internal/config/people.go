package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// githubNoreply matches GitHub's noreply commit e-mails; keep it in step
// with store.PersonKey.
var githubNoreply = regexp.MustCompile(`^(?:[0-9]+\+)?([^@+]+)@users\.noreply\.github\.com$`)

// PersonRefKey returns the person key a reference in sluice.yaml names
// (as store.PersonKey computes it: the lowercased e-mail, github:LOGIN for
// a GitHub noreply address) and true, or "" and false when the reference
// is a person's name rather than an e-mail or key.
func PersonRefKey(ref string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(ref))
	if m := githubNoreply.FindStringSubmatch(l); m != nil {
		return "github:" + m[1], true
	}
	if strings.Contains(l, "@") {
		return l, true
	}
	for _, prefix := range []string{"github:", "name:"} {
		if strings.HasPrefix(l, prefix) && len(l) > len(prefix) {
			return l, true
		}
	}
	return "", false
}

// validatePeople checks people: and teams:.
func (p *parser) validatePeople(c *Config) {
	// alias of each key, for duplicates across aliases and team members.
	aliasOf := map[string]int{}
	for i, a := range c.People.Aliases {
		key := fmt.Sprintf("people.aliases[%d]", i)
		if len(a.Emails) == 0 {
			p.errorf(key+".emails", "is required: list the e-mails (or github:LOGIN keys) of the person")
		}
		seen := map[string]bool{}
		for j, e := range a.Emails {
			ek := fmt.Sprintf("%s.emails[%d]", key, j)
			k, ok := PersonRefKey(e)
			if !ok || strings.HasPrefix(k, "name:") {
				p.errorf(ek, "%q is not an e-mail address or a github:LOGIN key", e)
				continue
			}
			if seen[k] {
				p.errorf(ek, "%q is listed twice in this alias", e)
				continue
			}
			seen[k] = true
			if other, dup := aliasOf[k]; dup {
				p.errorf(ek, "%q is already in people.aliases[%d] (line %d); aliases overlap: an e-mail belongs to one alias only, so merge the two aliases into one",
					e, other, p.lineOf(fmt.Sprintf("people.aliases[%d]", other)))
				continue
			}
			aliasOf[k] = i
		}
	}
	for _, list := range []struct {
		name string
		refs []string
	}{{"people.exclude", c.People.Exclude}, {"people.hide", c.People.Hide}} {
		for i, r := range list.refs {
			if strings.TrimSpace(r) == "" {
				p.errorf(fmt.Sprintf("%s[%d]", list.name, i), "is empty; write a person's e-mail, key or name")
			}
		}
	}
	names := map[string]string{}
	p.validateTeams(c.Teams, "teams", names, aliasOf)
}

func (p *parser) validateTeams(teams []Team, path string, names map[string]string, aliasOf map[string]int) {
	for i := range teams {
		t := &teams[i]
		key := fmt.Sprintf("%s[%d]", path, i)
		name := strings.TrimSpace(t.Name)
		switch first, dup := names[name]; {
		case name == "":
			p.errorf(key+".name", "is required")
		case dup:
			p.errorf(key+".name", "%q is already used by %s (line %d); team names must be unique", t.Name, first, p.lineOf(first))
		default:
			names[name] = key
		}
		type seen struct {
			key         string
			from, until *int
		}
		people := map[string][]seen{}
		for j := range t.Members {
			m := &t.Members[j]
			mk := fmt.Sprintf("%s.members[%d]", key, j)
			if strings.TrimSpace(m.Person) == "" {
				p.errorf(mk+".person", "is required: a person's e-mail, key or name")
				continue
			}
			m.FromDay = p.day(m.From, mk+".from")
			m.UntilDay = p.day(m.Until, mk+".until")
			if m.FromDay != nil && m.UntilDay != nil && *m.FromDay >= *m.UntilDay {
				p.errorf(mk+".until", "%s is not after from %s; the membership must end after it starts (until is the first day no longer on the team)", m.Until, m.From)
				continue
			}
			who := strings.ToLower(strings.Join(strings.Fields(m.Person), " "))
			if k, ok := PersonRefKey(m.Person); ok {
				who = k
				if a, ok := aliasOf[k]; ok {
					who = fmt.Sprintf("alias %d", a)
				}
			}
			for _, s := range people[who] {
				if overlaps(s.from, s.until, m.FromDay, m.UntilDay) {
					p.errorf(mk, "%q is already a member of team %q (%s, line %d); list a person once per team (twice only with periods that do not overlap)",
						m.Person, t.Name, s.key, p.lineOf(s.key))
					break
				}
			}
			people[who] = append(people[who], seen{key: mk, from: m.FromDay, until: m.UntilDay})
		}
		p.validateTeams(t.Teams, key+".teams", names, aliasOf)
	}
}

// day parses a YYYY-MM-DD date into days since 1970-01-01; nil when s is
// empty or bad (reported).
func (p *parser) day(s, key string) *int {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		p.errorf(key, "must be a date such as 2026-03-01, not %q", s)
		return nil
	}
	d := int(t.Unix() / 86400)
	return &d
}

// overlaps reports whether [s1, u1) and [s2, u2) share a day; nil is open.
func overlaps(s1, u1, s2, u2 *int) bool {
	before := func(s, u *int) bool { return s == nil || u == nil || *s < *u }
	return before(s1, u2) && before(s2, u1)
}
