package exclude

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/go-enry/go-enry/v2"
	"github.com/go-enry/go-enry/v2/data"
)

// reviewedVendorRules is the SHA-256 of go-enry v2.9.6's vendor patterns,
// one per line: the list enry.go's droppedVendor and narrowedVendor were
// decided against.
const reviewedVendorRules = "a2aa0ada6f0f8138e7f5099c38ad12107a7b6e3400d2e5ebaf6588af4612e2ed"

// TestEnryRulesReviewed fails when a go-enry upgrade changes Linguist's
// rules: review the changes against the policy at the top of enry.go
// (droppedVendor, narrowedVendor, nameRules, contentRules), then update
// this test.
func TestEnryRulesReviewed(t *testing.T) {
	var vendor []string
	in := map[string]bool{}
	for _, m := range data.VendorMatchers {
		vendor = append(vendor, m.String())
		in[m.String()] = true
	}
	if sum := fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(vendor, "\n")))); sum != reviewedVendorRules {
		t.Errorf("go-enry's vendor patterns changed (SHA-256 %s): review them", sum)
	}
	for p := range droppedVendor {
		if !in[p] {
			t.Errorf("droppedVendor: %q is not a go-enry pattern any more", p)
		}
	}
	for p, n := range narrowedVendor {
		if !in[p] {
			t.Errorf("narrowedVendor: %q is not a go-enry pattern any more", p)
		}
		if _, drop := droppedVendor[p]; drop {
			t.Errorf("%q is both dropped and narrowed", p)
		}
		regexp.MustCompile(n)
	}
	if len(nameRules) != len(data.GeneratedCodeNameMatchers) {
		t.Errorf("go-enry has %d generated-name rules, nameRules restates %d: review them",
			len(data.GeneratedCodeNameMatchers), len(nameRules))
	}
	if len(data.GeneratedCodeExtensions) != 3 {
		t.Errorf("go-enry's generated extensions changed: %v", data.GeneratedCodeExtensions)
	}
	seen := map[string]bool{}
	for _, m := range data.GeneratedCodeMatchers {
		n := matcherName(m)
		seen[n] = true
		if _, ok := contentRules[n]; !ok {
			t.Errorf("go-enry content rule %s is new: review it", n)
		}
	}
	for n := range contentRules {
		if !seen[n] {
			t.Errorf("contentRules: go-enry has no rule %s any more", n)
		}
	}
}

// namePaths exercise every go-enry generated-name rule, both ways.
var namePaths = []string{
	".idea/workspace.xml", "a/.idea/misc.xml", "idea/x", "Pods/A/b.m", "ios/Pods/x", "ApplePods/x",
	"Carthage/Build/x", "a/Carthage/Build/x", "F.Designer.cs", "f.DESIGNER.VB", "f.designer.js",
	"Login.feature.cs", "login.feature", "node_modules/x", "a/node_modules/x", "vendor/github.com/x/y.go",
	"tools/govendor/app.internal.go", "vendor/modules.txt", "Gopkg.lock", "glide.lock", "poetry.lock",
	"pdm.lock", "uv.lock", "esy.lock", "x.esy.lock", "esy.lock/index.json", "deno.lock",
	"npm-shrinkwrap.json", "package-lock.json", "pnpm-lock.yaml", ".pnp.cjs", "a/.pnp.loader.mjs",
	"pnp.js", "Godeps/Godeps.json", "composer.lock", "a/b.zep.c", "b.zep.php", ".zep.c", "Cargo.lock",
	"Cargo.toml.orig", "flake.lock", "MODULE.bazel.lock", "Pipfile.lock", ".terraform.lock.hcl",
	"infra/.terraform.lock.hcl", "terraform.lock.hcl", "src/__generated__/Q.ts", "X_TLB.pas",
	"x_tlb.pas", "htmlcov/index.html", "a/htmlcov/x", ".sqlx/query-1.json", "a/.sqlx/query-x.json",
	".sqlx/other.json", "main.go", "README.md",
}

// TestEnryNameRules checks nameRules against the go-enry functions they
// restate.
func TestEnryNameRules(t *testing.T) {
	if len(nameRules) != len(data.GeneratedCodeNameMatchers) {
		t.Skip("see TestEnryRulesReviewed")
	}
	paths := append(append(append([]string{}, namePaths...), excludedByDefault...), keptByDefault...)
	for i, n := range nameRules {
		re := regexp.MustCompile(n.regexp())
		hit := false
		for _, p := range paths {
			want := data.GeneratedCodeNameMatchers[i](p)
			hit = hit || want
			if got := re.MatchString(p); got != want {
				t.Errorf("nameRules[%d] %q on %q = %v, go-enry says %v", i, n.pattern, p, got, want)
			}
		}
		if !hit {
			t.Errorf("nameRules[%d] %q: no test path matches it", i, n.pattern)
		}
	}
	// What we keep of them agrees with enry.IsGenerated on the path alone.
	for _, p := range namePaths {
		dropped := false
		for _, n := range nameRules {
			if n.drop != "" && regexp.MustCompile(n.regexp()).MatchString(p) {
				dropped = true
			}
		}
		if want := enry.IsGenerated(p, nil); want && !dropped && !Default().Excluded(p, false) {
			t.Errorf("%q: go-enry calls it generated, Excluded does not", p)
		}
	}
}

// TestEnryVendorKept checks that the vendor rules we keep say what
// enry.IsVendor says, where they have not been dropped or narrowed.
func TestEnryVendorKept(t *testing.T) {
	for _, p := range excludedByDefault {
		if enry.IsVendor(p) && !Default().Excluded(p, false) {
			t.Errorf("%q: go-enry calls it vendored, Excluded does not", p)
		}
	}
}

// bruteForce runs every default path pattern on p: what pathMatcher must
// answer.
func bruteForce() func(p string) bool {
	var res []*regexp.Regexp
	for _, p := range append([]string{vendorDirs}, enryPathPatterns()...) {
		res = append(res, regexp.MustCompile(p))
	}
	return func(p string) bool {
		for _, re := range res {
			if re.MatchString(p) {
				return true
			}
		}
		return false
	}
}

func matcherSays(p string) bool {
	return defaults().match(p, p[:strings.LastIndexByte(p, '/')+1])
}

// TestPathMatcher checks the fast matcher against running every pattern.
func TestPathMatcher(t *testing.T) {
	want := bruteForce()
	paths := append(append(append([]string{}, namePaths...), excludedByDefault...), keptByDefault...)
	paths = append(paths, typicalPaths...)
	// (?i) matches k as the Kelvin sign and s as the long s.
	paths = append(paths, "x_tlb.pa\u017f", "F.De\u017figner.cs", "App.xcwor\u212aspacedata", "\u212a")
	// Each path also in other directories and in other case.
	for _, p := range paths[:len(paths):len(paths)] {
		paths = append(paths, "x/"+p, "a/b/"+p, strings.ToUpper(p), strings.ToLower(p), p+"/x", p+".txt")
	}
	// And random paths made of their pieces and the patterns' literals.
	var words []string
	for _, p := range paths {
		words = append(words, strings.Split(p, "/")...)
	}
	for _, set := range []*regexSet{defaults().dir, defaults().path} {
		for _, e := range set.entries {
			words = append(words, e.lit, strings.ToUpper(e.lit[:1])+e.lit[1:])
		}
	}
	words = append(words, "", ".", "-", "_", "1", "2.0", ".js", ".css", ".min", "/")
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for n := rnd.IntN(6); n >= 0; n-- {
			b.WriteString(words[rnd.IntN(len(words))])
			if rnd.IntN(3) == 0 {
				b.WriteByte('/')
			}
		}
		paths = append(paths, b.String())
	}
	for _, p := range paths {
		if got := matcherSays(p); got != want(p) {
			t.Errorf("pathMatcher on %q = %v, the patterns say %v", p, got, !got)
		}
	}
	for _, set := range []*regexSet{defaults().dir, defaults().path} {
		for _, i := range set.always {
			t.Errorf("pattern without a literal to look for, run on every path: %s", set.rules[i].re)
		}
	}
}

func FuzzPathMatcher(f *testing.F) {
	for _, p := range append(append([]string{}, excludedByDefault...), keptByDefault...) {
		f.Add(p)
	}
	want := bruteForce()
	f.Fuzz(func(t *testing.T, p string) {
		if got := matcherSays(p); got != want(p) {
			t.Errorf("pathMatcher on %q = %v, the patterns say %v", p, got, !got)
		}
	})
}

// TestPathMatcherForms checks the matcher's shortcuts on pattern forms
// beyond today's rules.
func TestPathMatcherForms(t *testing.T) {
	patterns := []string{
		`\.js$`, `(?i)\.KSH$`, `(?i)(^|/)make`, `^top/`, `\bword\b`, `(^|/)a(b|c)d/`,
		`[xy]z\.go$`, `(^|/)(foo|bar)baz`, `..\.md$`, `(?:^|/)q\d+/`, `(?i)Ü\.txt$`,
	}
	m := newPathMatcher(patterns)
	var res []*regexp.Regexp
	for _, p := range patterns {
		res = append(res, regexp.MustCompile(p))
	}
	paths := []string{
		"a.js", "a.js/x", "x.ksh", "X.KSH", "x.\u212ash", "Makefile", "src/MAKE", "srcmake", "top/x",
		"a/top/x", "a word here", "swordfish", "abd/x", "x/acd/", "x/aed/", "xz.go", "yz.go", "zz.go",
		"foobaz", "x/barbaz", "xbarbaz", "ab.md", "b.md", ".md", "q1/x", "x/q22/y", "q/x", "Ü.txt",
		"ü.TXT", "u.txt", "",
	}
	for _, p := range paths {
		want := false
		for _, re := range res {
			want = want || re.MatchString(p)
		}
		if got := m.match(p, p[:strings.LastIndexByte(p, '/')+1]); got != want {
			t.Errorf("on %q: %v, the patterns say %v", p, got, want)
		}
	}
}
