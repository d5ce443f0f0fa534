// Package exclude decides which changed files count in line metrics
// (metrics.md §2): lock files, vendored and third-party trees, minified
// assets, source maps and generated files are left out by default; binary
// files always are.
// Excluded files are still stored, and still feed line provenance.
package exclude

import (
	"bytes"
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

// ChecksGenerated reports whether files marked as generated in their first
// HeaderSize bytes are excluded (part of the defaults).
func (r *Rules) ChecksGenerated() bool { return r != nil && r.defaults }

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

// HeaderSize is how much of a file GeneratedHeader needs to see.
const HeaderSize = 1024

var (
	codeGenerated = []byte("Code generated")
	doNotEdit     = []byte("DO NOT EDIT")
	atGenerated   = []byte("@generated")
)

// GeneratedHeader reports whether the start of a file marks it as
// generated: a "Code generated … DO NOT EDIT" line (Go's convention, used
// by many generators) or an "@generated" tag, within the first HeaderSize
// bytes.
func GeneratedHeader(head []byte) bool {
	if len(head) > HeaderSize {
		head = head[:HeaderSize]
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
