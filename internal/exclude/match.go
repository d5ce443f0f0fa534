package exclude

import (
	"cmp"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// A pathMatcher tells whether any of a list of regular expressions matches
// a path (unanchored, as regexp.MatchString). Excluded runs for every
// changed file of every commit, and the plain ways are slow: go-enry's own
// enry.IsVendor (Linguist's vendor patterns as one alternation) takes
// about 8 µs a path, its generated-name rules another 13 µs, and running
// a pattern such as `(^|/)jquery([^./]*)\.js$` alone about 1 µs, since
// Go's regexp has nothing to skip ahead with. So:
//
//   - Each pattern gets literals, one of which any match must contain, and
//     for a pattern anchored at the end, literals one of which any match
//     ends with (both read off its syntax tree). The string is scanned
//     once, looking up each pair of adjacent bytes in a table of the
//     literals' first two; a pattern's regexp runs only when the string
//     contains one of its literals and ends with one of its suffixes.
//     Nearly all paths run no regexp at all.
//   - A pattern whose every match ends with "/", without end or
//     word-boundary assertions, matches a path exactly when it matches the
//     path's directory part, trailing slash included (every "/" of the path
//     lies in it). Those patterns are matched against the directory, and
//     the verdict cached per directory: otherwise every file of a monorepo's
//     packages/ would run NuGet's `(^|/)[Pp]ackages/[^/]+\.\d+/`.
//
// The verdict is exactly that of running every pattern on the path
// (TestPathMatcher, FuzzPathMatcher).
type pathMatcher struct {
	dir  *regexSet // run on the directory part
	path *regexSet // run on the whole path

	mu   sync.RWMutex
	dirs map[string]bool
}

// maxDirCache bounds the remembered directory verdicts; past it the cache
// starts over.
const maxDirCache = 1 << 16

func newPathMatcher(patterns []string) *pathMatcher {
	var dir, path []string
	for _, p := range patterns {
		if tree := parse(p); endsWithSlash(tree) && !hasEndAssertion(tree) {
			dir = append(dir, p)
		} else {
			path = append(path, p)
		}
	}
	return &pathMatcher{dir: newRegexSet(dir), path: newRegexSet(path), dirs: map[string]bool{}}
}

// match reports whether any pattern matches p, whose directory part (with
// its trailing slash, "" at the root) is dir.
func (m *pathMatcher) match(p, dir string) bool {
	return m.matchDir(dir) || m.path.match(p)
}

func (m *pathMatcher) matchDir(dir string) bool {
	if dir == "" {
		return false
	}
	m.mu.RLock()
	v, ok := m.dirs[dir]
	m.mu.RUnlock()
	if ok {
		return v
	}
	v = m.dir.match(dir)
	m.mu.Lock()
	if len(m.dirs) >= maxDirCache {
		clear(m.dirs)
	}
	m.dirs[strings.Clone(dir)] = v
	m.mu.Unlock()
	return v
}

// A regexSet matches a string against patterns, running a pattern's
// regexp only where the string contains one of its literals.
type regexSet struct {
	rules   []rule
	entries []entry         // sorted by pair
	start   [1 << 14]uint16 // pair → 1 + index of its first entry; 0: none
	always  []int           // unanchored rules without a usable literal
}

// A rule is one pattern. Most of Linguist's look like `(^|/)jquery…` or
// `-vsdoc\.js$`: a literal that follows "/" or the start of the string,
// or that starts at a fixed distance from the start of the match. Such a
// rule is anchored: its regexp is anchored and runs only from where the
// literal is found, which is much faster than Go's search from every
// position. The other rules run unanchored, once per string.
type rule struct {
	re       *regexp.Regexp
	anchored bool
	at       int      // anchored: bytes from the match's start to the literal, or afterSlash
	suffixes []string // ASCII lower case, one of which the string must end with; nil: any
}

// afterSlash marks a rule `(^|/)literal…`: the match starts at the literal,
// which starts the string or follows a "/".
const afterSlash = -1

type entry struct {
	pair uint16
	lit  string // ASCII lower case
	rule int
}

// maxRules bounds a regexSet (the match keeps one bit per rule).
const maxRules = 512

func newRegexSet(patterns []string) *regexSet {
	if len(patterns) > maxRules {
		panic("exclude: too many patterns")
	}
	s := &regexSet{}
	for i, p := range patterns {
		r, lits := newRule(p)
		s.rules = append(s.rules, r)
		if !r.anchored && score(lits) < 2 { // an anchored rule's literal is long enough
			s.always = append(s.always, i)
			continue
		}
		for _, l := range lits {
			s.entries = append(s.entries, entry{pair: pair(l[0], l[1]), lit: l, rule: i})
		}
	}
	slices.SortStableFunc(s.entries, func(a, b entry) int { return cmp.Compare(a.pair, b.pair) })
	for i := len(s.entries) - 1; i >= 0; i-- {
		s.start[s.entries[i].pair] = uint16(i + 1)
	}
	return s
}

// newRule compiles p and returns it with the literals to look for.
func newRule(p string) (rule, []string) {
	tree := parse(p)
	r := rule{suffixes: endLits(tree)}
	subs := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpConcat {
		subs = tree.Sub
	}
	if len(subs) > 1 && isStartOrSlash(subs[0]) {
		rest := subs[1:]
		if run := literalRun(rest); len(run) >= 2 && !hasBeginAssertion(rest...) {
			s := &syntax.Regexp{Op: syntax.OpConcat, Sub: rest}
			r.re, r.anchored, r.at = regexp.MustCompile(`^(?:`+s.String()+`)`), true, afterSlash
			return r, []string{run}
		}
	}
	w := 0
	for k, sub := range subs {
		if run := literalRun(subs[k:]); run != "" {
			if len(run) >= 2 && !hasBeginAssertion(tree) {
				r.re, r.anchored, r.at = regexp.MustCompile(`^(?:`+p+`)`), true, w
				return r, []string{run}
			}
			break
		}
		n, ok := fixedWidth(sub)
		if !ok {
			break
		}
		w += n
	}
	r.re = regexp.MustCompile(p)
	return r, required(tree)
}

func (s *regexSet) match(str string) bool {
	var tried [maxRules / 64]uint64
	for i := 0; i+1 < len(str); i++ {
		k := pair(str[i], str[i+1])
		j := int(s.start[k])
		if j == 0 {
			continue
		}
		for j--; j < len(s.entries) && s.entries[j].pair == k; j++ {
			e := &s.entries[j]
			if !hasPrefixFold(str[i:], e.lit) {
				continue
			}
			r := &s.rules[e.rule]
			if r.anchored {
				if r.matchAt(str, i) {
					return true
				}
				continue
			}
			if tried[e.rule/64]&(1<<(e.rule%64)) == 0 {
				tried[e.rule/64] |= 1 << (e.rule % 64)
				if r.suffixOK(str) && r.re.MatchString(str) {
					return true
				}
			}
		}
	}
	for _, i := range s.always {
		if r := &s.rules[i]; r.suffixOK(str) && r.re.MatchString(str) {
			return true
		}
	}
	return false
}

// matchAt reports whether an anchored rule matches str with its literal at
// i.
func (r *rule) matchAt(str string, i int) bool {
	if r.at == afterSlash {
		if i > 0 && str[i-1] != '/' {
			return false
		}
	} else if i -= r.at; i < 0 {
		return false
	}
	return r.suffixOK(str) && r.re.MatchString(str[i:])
}

func (r *rule) suffixOK(s string) bool {
	return r.suffixes == nil || slices.ContainsFunc(r.suffixes, func(x string) bool { return hasSuffixFold(s, x) })
}

func parse(p string) *syntax.Regexp {
	tree, err := syntax.Parse(p, syntax.Perl) // regexp.Compile's flags
	if err != nil {
		panic(err)
	}
	return tree
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// pair indexes two adjacent bytes, ASCII case folded (other bytes fold
// onto ASCII ones: the literals are checked in full anyway).
func pair(a, b byte) uint16 { return uint16(lower(a)&0x7f)<<7 | uint16(lower(b)&0x7f) }

// hasPrefixFold reports whether s starts with lit (lower case), ignoring
// ASCII case.
func hasPrefixFold(s, lit string) bool {
	if len(s) < len(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if lower(s[i]) != lit[i] {
			return false
		}
	}
	return true
}

// isStartOrSlash reports whether re is `(^|/)`.
func isStartOrSlash(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpAlternate || len(re.Sub) != 2 {
		return false
	}
	a, b := re.Sub[0], re.Sub[1]
	if a.Op != syntax.OpBeginText {
		a, b = b, a
	}
	return a.Op == syntax.OpBeginText && b.Op == syntax.OpLiteral && string(b.Rune) == "/"
}

// literalRun returns what the leading literals of subs (see caseBlind)
// match, in lower case.
func literalRun(subs []*syntax.Regexp) string {
	run := ""
	for _, s := range subs {
		l, ok := caseBlind(s)
		if !ok {
			break
		}
		run += l
	}
	return run
}

// fixedWidth returns how many bytes every match of re has, if that is
// fixed and re has no assertions.
func fixedWidth(re *syntax.Regexp) (int, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return 0, true
	case syntax.OpLiteral:
		l, ok := caseBlind(re)
		return len(l), ok
	case syntax.OpCharClass:
		return 1, len(re.Rune) > 0 && re.Rune[len(re.Rune)-1] < utf8.RuneSelf
	case syntax.OpCapture:
		return fixedWidth(re.Sub[0])
	case syntax.OpRepeat:
		n, ok := fixedWidth(re.Sub[0])
		return n * re.Min, ok && re.Min == re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		w := -1
		for _, s := range re.Sub {
			n, ok := fixedWidth(s)
			switch {
			case !ok:
				return 0, false
			case re.Op == syntax.OpConcat:
				w = max(w, 0) + n
			case w >= 0 && n != w:
				return 0, false
			default:
				w = n
			}
		}
		return w, w >= 0
	}
	return 0, false
}

// hasBeginAssertion reports whether one of res looks before its match.
func hasBeginAssertion(res ...*syntax.Regexp) bool {
	for _, re := range res {
		switch re.Op {
		case syntax.OpBeginText, syntax.OpBeginLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return true
		}
		if hasBeginAssertion(re.Sub...) {
			return true
		}
	}
	return false
}

// hasSuffixFold reports whether s ends with x (lower case), ignoring ASCII
// case.
func hasSuffixFold(s, x string) bool {
	return len(s) >= len(x) && hasPrefixFold(s[len(s)-len(x):], x)
}

// endsWithSlash reports whether every match of re ends with "/".
func endsWithSlash(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) > 0 && re.Rune[len(re.Rune)-1] == '/'
	case syntax.OpCharClass:
		return len(re.Rune) == 2 && re.Rune[0] == '/' && re.Rune[1] == '/'
	case syntax.OpCapture:
		return endsWithSlash(re.Sub[0])
	case syntax.OpConcat:
		return len(re.Sub) > 0 && endsWithSlash(re.Sub[len(re.Sub)-1])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !endsWithSlash(s) {
				return false
			}
		}
		return true
	}
	return false
}

// hasEndAssertion reports whether re looks past the end of its match.
func hasEndAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEndText, syntax.OpEndLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range re.Sub {
		if hasEndAssertion(s) {
			return true
		}
	}
	return false
}

// required returns literals (ASCII lower case), one of which every match
// of re contains; nil if it finds none.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if l, ok := caseBlind(re); ok {
			return []string{l}
		}
		// Its longest piece that is (see caseBlind).
		best := ""
		for _, piece := range strings.FieldsFunc(string(re.Rune), func(c rune) bool {
			return c >= utf8.RuneSelf || strings.ContainsRune("kKsS", c)
		}) {
			if len(piece) > len(best) {
				best = piece
			}
		}
		if best == "" {
			return nil
		}
		return []string{strings.ToLower(best)}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		return union(re.Sub, required)
	case syntax.OpConcat:
		// Adjacent literals, and classes of one letter in both cases, are
		// one literal to the case-blind filter: the parser keeps
		// `\.[Dd][Ss]_[Ss]tore` as three literals and two classes.
		var best []string
		run := ""
		for i, s := range re.Sub {
			if l, ok := caseBlind(s); ok {
				run += l
				if i+1 < len(re.Sub) {
					if _, ok := caseBlind(re.Sub[i+1]); ok {
						continue
					}
				}
				s = &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune(run)}
				run = ""
			}
			if l := required(s); score(l) > score(best) {
				best = l
			}
		}
		return best
	}
	return nil
}

// endLits returns literals (ASCII lower case), one of which every match
// of re ends the string with; nil if it finds none.
func endLits(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpCapture:
		return endLits(re.Sub[0])
	case syntax.OpAlternate:
		return union(re.Sub, endLits)
	case syntax.OpConcat:
		if n := len(re.Sub); n >= 2 && re.Sub[n-1].Op == syntax.OpEndText {
			return endings(re.Sub[n-2])
		}
	}
	return nil
}

// endings returns literals one of which every match of re ends with.
func endings(re *syntax.Regexp) []string {
	if l, ok := caseBlind(re); ok && l != "" {
		return []string{l}
	}
	switch re.Op {
	case syntax.OpCapture:
		return endings(re.Sub[0])
	case syntax.OpAlternate:
		return union(re.Sub, endings)
	case syntax.OpConcat:
		return endings(re.Sub[len(re.Sub)-1])
	}
	return nil
}

// union returns all of f's literals for subs; nil if one has none.
func union(subs []*syntax.Regexp, f func(*syntax.Regexp) []string) []string {
	var all []string
	for _, s := range subs {
		l := f(s)
		if l == nil {
			return nil
		}
		all = append(all, l...)
	}
	return all
}

// caseBlind returns what re matches, in lower case, if it is a literal or
// a class such as [Dd], all ASCII: what a case-blind filter of the string's
// bytes can look for. A case-insensitive literal with k or s does not
// qualify: (?i)k also matches the Kelvin sign, (?i)s the long s.
func caseBlind(re *syntax.Regexp) (string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		l := string(re.Rune)
		for _, c := range re.Rune {
			if c >= utf8.RuneSelf || re.Flags&syntax.FoldCase != 0 && strings.ContainsRune("kKsS", c) {
				return "", false
			}
		}
		return strings.ToLower(l), true
	case syntax.OpCharClass:
		r := re.Rune
		if len(r) == 4 && r[0] == r[1] && r[2] == r[3] && 'A' <= r[0] && r[0] <= 'Z' && r[2] == r[0]+'a'-'A' {
			return string(r[2]), true
		}
	}
	return "", false
}

// score rates literals as a filter: the length of the shortest, less two
// for a bare file extension such as ".js", which most paths of a
// repository may contain.
func score(lits []string) int {
	if len(lits) == 0 {
		return -1
	}
	s := math.MaxInt
	for _, l := range lits {
		n := len(l)
		if isExtension(l) {
			n -= 2
		}
		s = min(s, n)
	}
	return s
}

func isExtension(l string) bool {
	if len(l) < 2 || l[0] != '.' {
		return false
	}
	for i := 1; i < len(l); i++ {
		if c := l[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
