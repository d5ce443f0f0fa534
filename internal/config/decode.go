package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a configuration file. Its message reads
// "sluice.yaml:7: unknown key ..." and names the key.
type Error struct {
	File string
	Line int    // 1-based; 0 when the problem has no single line
	Key  string // path of the key, such as sources[0].token; "" for the file
	Msg  string // the sentence after "file:line: "
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// parser holds the state of one Parse call.
type parser struct {
	file  string
	dir   string         // relative paths are resolved against it
	lines map[string]int // key path -> line, filled by walk
	errs  []error
}

// errAt returns an *Error at line whose message starts with key, if any.
func (p *parser) errAt(line int, key, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + " " + msg
	}
	return &Error{File: p.file, Line: line, Key: key, Msg: msg}
}

// errorf records a problem with key, at the key's line (or the nearest
// enclosing key's line when the key is absent from the file).
func (p *parser) errorf(key, format string, args ...any) {
	p.errs = append(p.errs, p.errAt(p.lineOf(key), key, format, args...))
}

func (p *parser) lineOf(key string) int {
	for key != "" {
		if l, ok := p.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

var (
	yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// yamlError rewrites the yaml package's "yaml: line 3: ..." messages as
// "sluice.yaml:3: ...". It should only see syntax errors: walk catches
// unknown keys and type mismatches first.
func (p *parser) yamlError(err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var errs []error
	for _, m := range msgs {
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			errs = append(errs, p.errAt(line, "", "invalid YAML: %s", sm[2]))
			continue
		}
		errs = append(errs, p.errAt(0, "", "invalid YAML: %s", strings.TrimPrefix(m, "yaml: ")))
	}
	return errors.Join(errs...)
}

var (
	configType   = reflect.TypeFor[Config]()
	secretType   = reflect.TypeFor[Secret]()
	durationType = reflect.TypeFor[time.Duration]()
	memberType   = reflect.TypeFor[TeamMember]()
)

// yamlKeys lists the yaml keys of a struct type in field order, with the
// field index of each.
func yamlKeys(t reflect.Type) (names []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		names = append(names, name)
		index[name] = i
	}
	return names, index
}

// walk checks node n against type t: every mapping key must be a field,
// every value of the right shape. It records each key's line in p.lines.
func (p *parser) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	where := "in " + path
	if path == "" {
		where = "at the top level"
	}
	switch {
	case t == secretType:
		if n.Kind != yaml.ScalarNode {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a ${ENV_VAR} reference, not %s", describe(n)))
		}
	case t == durationType:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a duration such as 90m, 2h or 21d, not %s", describe(n)))
			return
		}
		d, err := parseDuration(n.Value)
		if err != nil {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a duration such as 90m, 2h or 21d, not %q", n.Value))
			return
		}
		// The decoder reads time.Duration with time.ParseDuration, which
		// knows no days.
		n.Value = d.String()
	case t == memberType && n.Kind != yaml.MappingNode:
		if n.Kind != yaml.ScalarNode {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a person's e-mail, key or name, or a mapping such as {person: ann@example.com, from: 2026-03-01}, not %s", describe(n)))
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a mapping of keys, not %s", describe(n)))
			return
		}
		names, index := yamlKeys(t)
		p.walkMapping(n, t, path, where, names, index, map[string]int{})
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a list, not %s", describe(n)))
			return
		}
		for i, item := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			p.lines[ip] = item.Line
			p.walk(item, t.Elem(), ip)
		}
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a single value, not %s", describe(n)))
		}
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be true or false, not %s", describe(n)))
		}
	case t.Kind() == reflect.Int:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			p.errs = append(p.errs, p.errAt(n.Line, path, "must be a whole number such as 1000, not %s", describe(n)))
			return
		}
		if _, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, strconv.IntSize); err != nil {
			p.errs = append(p.errs, p.errAt(n.Line, path, "%s is out of range", n.Value))
		}
	default:
		// Config holds no other kinds; the strict decoder checks them.
	}
}

func (p *parser) walkMapping(n *yaml.Node, t reflect.Type, path, where string, names []string, index map[string]int, seen map[string]int) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			p.walkMerge(v, t, path, where, names, index, seen)
			continue
		}
		key := k.Value
		kp := key
		if path != "" {
			kp = path + "." + key
		}
		if _, ok := index[key]; !ok || k.Kind != yaml.ScalarNode {
			msg := fmt.Sprintf("unknown key %q %s", key, where)
			if s := suggest(key, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			msg += " (valid keys: " + strings.Join(names, ", ") + ")"
			p.errs = append(p.errs, &Error{File: p.file, Line: k.Line, Key: kp, Msg: msg})
			continue
		}
		if first, dup := seen[key]; dup {
			p.errs = append(p.errs, p.errAt(k.Line, kp, "is set twice (first at line %d)", first))
			continue
		}
		seen[key] = k.Line
		p.lines[kp] = k.Line
		p.walk(v, t.Field(index[key]).Type, kp)
	}
}

// walkMerge checks the mappings merged in by "<<: *anchor".
func (p *parser) walkMerge(v *yaml.Node, t reflect.Type, path, where string, names []string, index map[string]int, seen map[string]int) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		// Keys merged in may be overridden by the mapping itself, so they
		// do not count as set twice.
		p.walkMapping(v, t, path, where, names, index, map[string]int{})
	case yaml.SequenceNode:
		for _, item := range v.Content {
			p.walkMerge(item, t, path, where, names, index, seen)
		}
	default:
		p.errs = append(p.errs, p.errAt(v.Line, "", "a merge key (<<) %s must refer to a mapping, not %s", where, describe(v)))
	}
}

// daysRE matches a leading number of days: "21d", "1.5d", "1d12h".
var daysRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)d(.*)$`)

// parseDuration parses a Go duration (90m, 2h, 1h30m) in which a leading
// number of days may stand first: 21d, 1.5d, 1d12h; a day is 24 hours.
func parseDuration(s string) (time.Duration, error) {
	rest, neg := s, false
	if r, ok := strings.CutPrefix(rest, "-"); ok {
		rest, neg = r, true
	} else if r, ok := strings.CutPrefix(rest, "+"); ok {
		rest = r
	}
	m := daysRE.FindStringSubmatch(rest)
	if m == nil {
		return time.ParseDuration(s)
	}
	days, err := strconv.ParseFloat(m[1], 64)
	if err != nil || days*24 > float64(math.MaxInt64/time.Hour)-1 {
		return 0, fmt.Errorf("duration %q is out of range", s)
	}
	d := time.Duration(days * 24 * float64(time.Hour))
	if m[2] != "" {
		if strings.HasPrefix(m[2], "-") || strings.HasPrefix(m[2], "+") {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		more, err := time.ParseDuration(m[2])
		if err != nil || more > math.MaxInt64-d {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		d += more
	}
	if neg {
		d = -d
	}
	return d, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node holds, for "must be X, not Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an empty value"
}

// suggest returns the valid key closest to key, or "" when none is close.
func suggest(key string, valid []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	for _, v := range valid {
		if norm(v) == norm(key) || synonyms[norm(key)] == v {
			return v
		}
	}
	limit := 1
	switch {
	case len(key) >= 6:
		limit = 2
	case len(key) < 3:
		limit = 0
	}
	best, bestD := "", limit+1
	for _, v := range valid {
		if d := editDistance(strings.ToLower(key), v); d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" {
		return best
	}
	// "address" for "addr", "tok" for "token".
	if len(key) >= 3 {
		for _, v := range valid {
			if len(v) >= 3 && (strings.HasPrefix(key, v) || strings.HasPrefix(v, key)) {
				return v
			}
		}
	}
	return ""
}

// synonyms maps keys people write from habit (normalized as in suggest) to
// the key Sluice uses.
var synonyms = map[string]string{
	"address":  "addr",
	"adress":   "addr",
	"listen":   "addr",
	"user":     "username",
	"password": "token",
	"secret":   "token",
	"level":    "log_level",
	"ca":       "ca_file",
	"cacert":   "ca_file",
	"database": "db",
	"repos":    "repositories",
	"exclude":  "exclude_paths",
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
