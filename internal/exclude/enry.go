package exclude

import (
	"path"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/go-enry/go-enry/v2/data"
)

// Which of go-enry's (GitHub Linguist's) rules we apply, reviewed rule by
// rule for go-enry v2.9.6 (Linguist 537297cd). The test
// TestEnryRulesReviewed fails when an upgrade changes the rules, so that
// the new ones get the same review. The policy: leave a file out only when
// it is third-party code copied into the repository, or written by a tool
// rather than by a person. Linguist, which only sizes languages, also
// hides things a team writes and maintains itself — CI and editor
// configuration, packaging, test data, documentation sources, generic
// directory names such as cache/, dist/ or env/ — and those must count
// here.

// droppedVendor lists the patterns of data.VendorMatchers (Linguist's
// vendor.yml) we do not apply, and why.
var droppedVendor = map[string]string{
	`(^|/)cache/`:                           "cache/ is as often the team's own package (internal/cache/)",
	`(^|/)dist/`:                            "dist/ holds hand-written packaging as often as build output; minified output is caught by content",
	`(^|/)configure$`:                       "hand-written configure scripts exist (FFmpeg, QEMU); Autoconf's output is caught by its header instead",
	`(^|/)testdata/`:                        "test data is written by the team",
	`(^|/)\.indent\.pro`:                    "a hand-written indent(1) profile",
	`([^\s]*)import\.(css|less|scss|styl)$`: "a stylesheet named …import.scss is usually the project's own import list",
	`(^|/)bootstrap([^/.]*)(\..*)?\.(js|css|less|scss|styl)$`: "bootstrap.js is a common name for an application's entry point (Laravel, webpack); minified Bootstrap is caught as *.min.*",
	`(^|/)skeleton\.(css|less|scss|styl)$`:                    "skeleton is a common UI component name (loading skeletons)",
	`(^|/)animate\.(css|less|scss|styl)$`:                     "a project's own animation stylesheet is often called animate.scss",
	`(^|/)[Ee]xtern(als?)?/`:                                  "external/ often holds the team's own integrations (clients of external services)",
	`^debian/`:                                                "Debian packaging is written by the project's maintainers",
	`(^|/)\.sublime-project`:                                  "a hand-written editor project file",
	`(^|/)\.vscode/`:                                          "hand-written editor settings and launch configurations",
	`(^|/)prototype(.*)\.js$`:                                 "matches any prototype*.js, and every .js file under a prototype…/ directory",
	`(^|/)effects\.js$`:                                       "effects.js is a common name for a project's own module (NgRx, Redux)",
	`(^|/)controls\.js$`:                                      "controls.js is a common name for a project's own module",
	`(^|/)dragdrop\.js$`:                                      "dragdrop.js is a common name for a project's own module",
	`(.*?)\.d\.ts$`:                                           "TypeScript declarations are often hand-written (global.d.ts, typings for untyped modules)",
	`(^|/)Chart\.js$`:                                         "Chart.js is a common name for a project's own React/Vue component",
	`(^|/)docs?/_?(build|themes?|templates?|static)/`:         "documentation templates and static files (Sphinx _templates, _static) are hand-written",
	`(^|/)env/`:                                               "env/ often holds the team's own environment configuration or package",
	`(^|/)fabfile\.py$`:                                       "a hand-written Fabric deployment script",
	`(^|/)\.osx$`:                                             "a hand-written macOS settings script",
	`\.xctemplate/`:                                           "Xcode file templates are written by the team",
	`(^|/)\.gitattributes$`:                                   "hand-written git configuration",
	`(^|/)\.gitignore$`:                                       "hand-written git configuration",
	`(^|/)\.gitmodules$`:                                      "hand-written git configuration",
	`(^|/)[Tt]ests?/fixtures/`:                                "test fixtures are written by the team",
	`(^|/)[Ss]pecs?/fixtures/`:                                "test fixtures are written by the team",
	`(^|/)Vagrantfile$`:                                       "a hand-written Vagrant configuration",
	`(^|/)inst/extdata/`:                                      "an R package's own data files",
	`(^|/)proguard\.pro$`:                                     "hand-written ProGuard configuration",
	`(^|/)proguard-rules\.pro$`:                               "hand-written ProGuard configuration",
	`(^|/)Jenkinsfile$`:                                       "a hand-written CI pipeline",
	`(^|/)\.gitpod\.Dockerfile$`:                              "a hand-written Gitpod image",
	`(^|/)\.github/`:                                          "hand-written CI workflows, actions and templates",
	`(^|/)\.teamcity/`:                                        "hand-written TeamCity configuration (Kotlin DSL)",
	`(^|/)[Pp]ackages\/.+\.\d+\/`:                             "replaced by narrowedVendor's one-component form",
}

// narrowedVendor replaces vendor patterns that Linguist means as file
// names but whose `[^.]*`, `.*` or `[^\s]*` also matches "/": as written,
// `(^|/)react(-[^.]*)?\.js$` hides every .js file under a react-app/
// directory and `(^|/)angular([^.]*)\.js$` every one under angular-client/.
// We confine them to the last path component. NuGet's packages/Id.Version/
// is one component too; `(^|/)[Pp]ackages\/.+\.\d+\/` (dropped above) also
// hid packages/web/versioned_docs/version-2.0/ in a monorepo.
var narrowedVendor = map[string]string{
	`(^|/)custom\.bootstrap([^\s]*)(js|css|less|scss|styl)$`: `(^|/)custom\.bootstrap([^\s/]*)(js|css|less|scss|styl)$`,
	`(^|/)jquery([^.]*)\.js$`:                                `(^|/)jquery([^./]*)\.js$`,
	`(^|/)jquery\.(ui|effects)\.([^.]*)\.(js|css)$`:          `(^|/)jquery\.(ui|effects)\.([^./]*)\.(js|css)$`,
	`(^|/)mootools([^.]*)\d+\.\d+.\d+([^.]*)\.js$`:           `(^|/)mootools([^./]*)\d+\.\d+.\d+([^./]*)\.js$`,
	`(^|/)yahoo-([^.]*)\.js$`:                                `(^|/)yahoo-([^./]*)\.js$`,
	`(^|/)yui([^.]*)\.js$`:                                   `(^|/)yui([^./]*)\.js$`,
	`(^|/)tiny_mce([^.]*)\.js$`:                              `(^|/)tiny_mce([^./]*)\.js$`,
	`(^|/)fontello(.*?)\.css$`:                               `(^|/)fontello([^/]*?)\.css$`,
	`(^|/)shBrush([^.]*)\.js$`:                               `(^|/)shBrush([^./]*)\.js$`,
	`(^|/)angular([^.]*)\.js$`:                               `(^|/)angular([^./]*)\.js$`,
	`(^|\/)d3(\.v\d+)?([^.]*)\.js$`:                          `(^|/)d3(\.v\d+)?([^./]*)\.js$`,
	`(^|/)react(-[^.]*)?\.js$`:                               `(^|/)react(-[^./]*)?\.js$`,
	`(^|/)jquery([^.]*)\.validate(\.unobtrusive)?\.js$`:      `(^|/)jquery([^./]*)\.validate(\.unobtrusive)?\.js$`,
	`(^|/)jquery([^.]*)\.unobtrusive\-ajax\.js$`:             `(^|/)jquery([^./]*)\.unobtrusive\-ajax\.js$`,
	`(^|/)cordova([^.]*)\.js$`:                               `(^|/)cordova([^./]*)\.js$`,
	`(^|/)foundation(\..*)?\.js$`:                            `(^|/)foundation(\.[^/]*)?\.js$`,
}

// extraVendor are our own additions to the vendor patterns.
var extraVendor = []string{
	`(^|/)[Pp]ackages/[^/]+\.\d+/`, // NuGet's packages/Newtonsoft.Json.13.0.1/
}

// nameRule is one of data.GeneratedCodeNameMatchers (Linguist's
// generated.rb, path part). enry exposes them only as opaque functions,
// costing 13 µs per path together, so we restate them as patterns for
// pathMatcher, in enry's order; TestEnryNameRules checks each against
// enry's function.
type nameRule struct {
	kind    byte   // 'm' regexp, 'c' contains, 'e' ends with
	pattern string // as in enry's source
	drop    string // why we do not apply it; "" if we do
}

var nameRules = []nameRule{
	{'m', `(?:^|\/)\.idea\/`, ""},         // IntelliJ IDEA project files
	{'m', `(^Pods|\/Pods)\/`, ""},         // CocoaPods
	{'m', `(^|\/)Carthage\/Build\/`, ""},  // Carthage build output
	{'m', `(?i)\.designer\.(cs|vb)$`, ""}, // .NET designer files
	{'m', `(?i)\.feature\.cs$`, ""},       // SpecFlow
	{'c', "node_modules/", ""},            // npm
	{'m', `vendor\/([-0-9A-Za-z]+\.)+(com|edu|gov|in|me|net|org|fm|io)`, "Go's vendor/ is our own component rule; unanchored, this only adds directories whose name merely ends in vendor (govendor/)"},
	{'e', "Gopkg.lock", ""},
	{'e', "glide.lock", ""},
	{'e', "poetry.lock", ""},
	{'e', "pdm.lock", ""},
	{'e', "uv.lock", ""},
	{'m', `(^|\/)(\w+\.)?esy.lock$`, ""},
	{'e', "deno.lock", ""},
	{'e', "npm-shrinkwrap.json", ""},
	{'e', "package-lock.json", ""},
	{'e', "pnpm-lock.yaml", ""},
	{'m', `(^|\/)\.pnp\..*$`, ""}, // Yarn Plug'n'Play
	{'c', "Godeps/", ""},
	{'e', "composer.lock", ""},
	{'m', `.\.zep\.(?:c|h|php)$`, ""}, // Zephir output
	{'e', "Cargo.lock", ""},
	{'e', "Cargo.toml.orig", ""},
	{'m', `(^|\/)flake\.lock$`, ""},
	{'m', `(^|\/)MODULE\.bazel\.lock$`, ""},
	{'e', "Pipfile.lock", ""},
	{'m', `(?:^|\/)\.terraform\.lock\.hcl$`, ""},
	{'c', "__generated__/", ""},                    // Relay
	{'m', `(?i)_tlb\.pas$`, ""},                    // Delphi type library imports
	{'m', `(?:^|\/)htmlcov\/`, ""},                 // coverage.py HTML reports
	{'m', `(?:^|.*\/)\.sqlx\/query-.+\.json$`, ""}, // SQLx offline query data
}

func (n nameRule) regexp() string {
	switch n.kind {
	case 'c':
		return regexp.QuoteMeta(n.pattern)
	case 'e':
		return regexp.QuoteMeta(n.pattern) + "$"
	}
	return n.pattern
}

// enryPathPatterns returns the enry path rules we apply, as patterns:
// vendor, generated by name, and generated by extension
// (data.GeneratedCodeExtensions: Xcode's .nib, .xcworkspacedata,
// .xcuserstate).
func enryPathPatterns() []string {
	var ps []string
	for _, m := range data.VendorMatchers {
		p := m.String()
		if _, drop := droppedVendor[p]; drop {
			continue
		}
		if n, ok := narrowedVendor[p]; ok {
			p = n
		}
		ps = append(ps, p)
	}
	ps = append(ps, extraVendor...)
	for _, n := range nameRules {
		if n.drop == "" {
			ps = append(ps, n.regexp())
		}
	}
	for ext := range data.GeneratedCodeExtensions {
		ps = append(ps, `(?i)`+regexp.QuoteMeta(ext)+`$`)
	}
	return ps
}

// contentRules decides on each of data.GeneratedCodeMatchers (Linguist's
// generated.rb, content part), by function name: "" to apply it, else why
// not. Ingest passes only the first HeaderSize bytes, so the rules that
// read a file's last lines cannot work.
var contentRules = map[string]string{
	"isMinifiedFile":                      "", // .js/.css averaging over 110 characters a line (judged on the first HeaderSize bytes)
	"hasSourceMapReference":               "reads the file's last lines",
	"isSourceMap":                         "", // *.js.map, *.css.map, or a first line {"version":3,…
	"isCompiledCoffeeScript":              "reads the file's last lines",
	"isGeneratedNetDocfile":               "reads the file's last lines",
	"isGeneratedJavaScriptPEGParser":      "",
	"isGeneratedPostScript":               "",
	"isGeneratedGo":                       "any mention of \"Code generated by\" in the first 40 lines, even in a hand-written file that documents a generator; Go's real convention is GeneratedHeader's rule",
	"isGeneratedProtobufFromGo":           "",
	"isGeneratedProtobuf":                 "",
	"isGeneratedJavaScriptProtocolBuffer": "",
	"isGeneratedApacheThrift":             "",
	"isGeneratedJNIHeader":                "",
	"isVCRCassette":                       "reads the file's last lines",
	"isCompiledCythonFile":                "",
	"isGeneratedModule":                   "",
	"isGeneratedUnity3DMeta":              "",
	"isGeneratedRacc":                     "",
	"isGeneratedJFlex":                    "",
	"isGeneratedGrammarKit":               "",
	"isGeneratedRoxygen2":                 "",
	"isGeneratedJison":                    "",
	"isGeneratedGRPCCpp":                  "",
	"isGeneratedDart":                     "",
	"isGeneratedPerlPPPortHeader":         "",
	"isGeneratedGameMakerStudio":          "",
	"isGeneratedGimp":                     "",
	"isGeneratedVisualStudio6":            "",
	"isGeneratedHaxe":                     "",
	"isGeneratedHTML":                     "",
	"isGeneratedJooq":                     "",
}

// matcherName is the name of one of enry's content rules: its function's.
func matcherName(m data.GeneratedCodeMatcher) string {
	name := runtime.FuncForPC(reflect.ValueOf(m).Pointer()).Name()
	return name[strings.LastIndexByte(name, '.')+1:]
}

var contentMatchers = sync.OnceValue(func() []data.GeneratedCodeMatcher {
	var ms []data.GeneratedCodeMatcher
	for _, m := range data.GeneratedCodeMatchers {
		if why, ok := contentRules[matcherName(m)]; ok && why == "" {
			ms = append(ms, m)
		}
	}
	return ms
})

// enryGeneratedContent applies the enry content rules we keep, the way
// enry.IsGenerated calls them.
func enryGeneratedContent(p string, head []byte) bool {
	ext := strings.ToLower(path.Ext(p))
	lp := strings.ToLower(p)
	for _, m := range contentMatchers() {
		if m(lp, ext, head) {
			return true
		}
	}
	return false
}
