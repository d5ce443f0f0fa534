// Package exclude decides which changed files count in line metrics
// (metrics.md §2): lock files, vendored and third-party trees, minified
// assets, source maps and generated files are left out by default; binary
// files always are.
// Excluded files are still stored, and still feed line provenance.
//
// Dependency: github.com/go-enry/go-enry/v2 (pure Go; its default regexp
// engine is Go's regexp, the Oniguruma one needs the "oniguruma" build tag
// and cgo, which we never set). It gives us GitHub Linguist's maintained
// rules — vendor.yml's paths of vendored code and generated.rb's generated
// files — which cover far more ecosystems (Godeps, bower_components,
// CocoaPods, Carthage, Gradle and Maven wrappers, .NET designer files,
// protobuf/Thrift/gRPC/Cython/… output, …) than we could keep current by
// hand. We do not take them blindly: Linguist tunes them for language
// statistics, where hiding a CI workflow or a fixture costs nothing, while
// here a false positive hides a team's own work. enry.go records, rule by
// rule, what we drop or narrow and why, and enry_test.go fails when an
// upgrade brings rules nobody has reviewed. Importing enry's data package
// costs about 9 ms and 5 MB of allocations at program start (its language
// tables are built at init) and about 1 MB of binary.
package exclude

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"sync"
)

// lockFiles are excluded wherever they appear.
var lockFiles = map[string]bool{
	"go.sum": true, "package-lock.json": true, "yarn.lock": true, "pnpm-lock.yaml": true,
	"Cargo.lock": true, "poetry.lock": true, "Gemfile.lock": true, "composer.lock": true,
}

// vendorDirs are excluded as a path component at any depth (as a pattern
// for the directory matcher).
const vendorDirs = `(^|/)(vendor|node_modules|third_party)/`

var suffixes = []string{".min.js", ".min.css", ".map"}

// Rules is a set of exclusion rules. The zero value excludes nothing but
// binary files. Rules are safe for concurrent use.
type Rules struct {
	defaults bool
	globs    []string
}

// New returns the rules: the built-in defaults unless noDefaults, plus the
// extra globs. A glob without a slash matches a file's base name at any
// depth; one with a slash matches the whole path (path.Match syntax).
func New(noDefaults bool, globs []string) (*Rules, error) {
	for _, g := range globs {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("exclude pattern %q: %w", g, err)
		}
	}
	return &Rules{defaults: !noDefaults, globs: globs}, nil
}

// Default returns the built-in rules.
func Default() *Rules { return &Rules{defaults: true} }

// None returns rules that exclude only binary files (--no-excludes).
func None() *Rules { return &Rules{} }

// ChecksGenerated reports whether files marked as generated in their first
// HeaderSize bytes are excluded (part of the defaults): see
// GeneratedContent.
func (r *Rules) ChecksGenerated() bool { return r != nil && r.defaults }

// Excluded reports whether a file at p (slash-separated, repository
// relative) is left out of line metrics. It looks at the path only; the
// content rules are GeneratedContent's.
func (r *Rules) Excluded(p string, binary bool) bool {
	if binary {
		return true
	}
	if r == nil {
		return false
	}
	slash := strings.LastIndexByte(p, '/')
	base := p[slash+1:]
	if r.defaults && defaultExcluded(p, p[:slash+1], base) {
		return true
	}
	for _, g := range r.globs {
		target := base
		if strings.Contains(g, "/") {
			target = p
		}
		if ok, _ := path.Match(g, target); ok {
			return true
		}
	}
	return false
}

// defaults holds the compiled path rules: ours plus the go-enry ones we
// keep (enry.go). Built on first use, not at program start.
var defaults = sync.OnceValue(func() *pathMatcher {
	return newPathMatcher(append([]string{vendorDirs}, enryPathPatterns()...))
})

// defaultExcluded applies the default path rules to p, whose directory
// part (with its trailing slash, "" at the root) is dir.
func defaultExcluded(p, dir, base string) bool {
	if lockFiles[base] {
		return true
	}
	for _, s := range suffixes {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return defaults().match(p, dir)
}

// HeaderSize is how much of the start of a file GeneratedContent needs to
// see. It is 4 KiB rather than the 1 KiB of the header marker rule because
// some of go-enry's rules read further: the first 30 lines of an HTML file,
// the average line length of a JavaScript or CSS file.
const HeaderSize = 4096

// markerWindow is how far GeneratedHeader looks (metrics.md §2: the first
// KiB).
const markerWindow = 1024

var (
	codeGenerated = []byte("Code generated")
	doNotEdit     = []byte("DO NOT EDIT")
	atGenerated   = []byte("@generated")
)

// GeneratedHeader reports whether the start of a file marks it as
// generated: a "Code generated … DO NOT EDIT" line (Go's convention, used
// by many generators) or an "@generated" tag, within the first KiB.
func GeneratedHeader(head []byte) bool {
	if len(head) > markerWindow {
		head = head[:markerWindow]
	}
	if bytes.Contains(head, atGenerated) {
		return true
	}
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if i := bytes.Index(line, codeGenerated); i >= 0 && bytes.Contains(line[i:], doNotEdit) {
			return true
		}
	}
	return false
}

// autotoolsMarkers mark the output of GNU Autoconf (configure) and
// Automake (Makefile.in) in their first lines. They stand in for
// Linguist's path rule `(^|/)configure$`, which also hides hand-written
// configure scripts (FFmpeg's, QEMU's).
var autotoolsMarkers = [][]byte{[]byte("Generated by GNU Autoconf"), []byte("generated by automake")}

// GeneratedContent reports whether a file at p whose first bytes are head
// (up to HeaderSize of them; more are ignored) is generated: the header
// markers of GeneratedHeader, the Autoconf/Automake markers, or one of the
// go-enry content rules we keep (enry.go: protobuf, Thrift, gRPC, Cython,
// JNI, PEG.js, Jison, Dart, jOOQ, … output, generator-tagged HTML,
// PostScript, minified JavaScript and CSS, source maps). Those rules look at
// the file's extension and name, so a verdict belongs to the pair of path
// and content, not to the content alone.
func GeneratedContent(p string, head []byte) bool {
	if len(head) > HeaderSize {
		head = head[:HeaderSize]
	}
	if GeneratedHeader(head) {
		return true
	}
	if len(head) == 0 {
		return false
	}
	window := head[:min(len(head), markerWindow)]
	for _, m := range autotoolsMarkers {
		if bytes.Contains(window, m) {
			return true
		}
	}
	return enryGeneratedContent(p, head)
}
