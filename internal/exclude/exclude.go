// Package exclude decides which changed files count in line metrics
// (metrics.md §2): lock files, vendored and third-party trees, minified
// assets and source maps are left out by default; binary files always are.
// Excluded files are still stored, and still feed line provenance.
package exclude

import (
	"fmt"
	"path"
	"strings"
)

// lockFiles are excluded wherever they appear.
var lockFiles = map[string]bool{
	"go.sum": true, "package-lock.json": true, "yarn.lock": true, "pnpm-lock.yaml": true,
	"Cargo.lock": true, "poetry.lock": true, "Gemfile.lock": true, "composer.lock": true,
}

// vendorDirs are excluded as a path component at any depth.
var vendorDirs = map[string]bool{"vendor": true, "node_modules": true, "third_party": true}

var suffixes = []string{".min.js", ".min.css", ".map"}

// Rules is a set of exclusion rules. The zero value excludes nothing but
// binary files.
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

// Excluded reports whether a file at p (slash-separated, repository
// relative) is left out of line metrics.
func (r *Rules) Excluded(p string, binary bool) bool {
	if binary {
		return true
	}
	if r == nil {
		return false
	}
	base := path.Base(p)
	if r.defaults {
		if lockFiles[base] {
			return true
		}
		for _, s := range suffixes {
			if strings.HasSuffix(base, s) {
				return true
			}
		}
		dir := path.Dir(p)
		for dir != "." && dir != "/" && dir != "" {
			if vendorDirs[path.Base(dir)] {
				return true
			}
			dir = path.Dir(dir)
		}
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
