// Package blameoracle computes the work-type counts of one commit exactly as
// the metric contract (metrics.md §3) defines them, using nothing but the
// git CLI: `git diff` for the hunks and `git blame` for the origin of every
// deleted line.
//
// It is deliberately simple and slow (a few git processes per changed
// file): it is the reference that faster engines are tested against, and
// the back end of `sluice verify`.
//
// For a non-merge commit C with parent P (the empty tree for a root
// commit):
//
//   - The file pairs are those of `git diff --raw -M P C` (git's default
//     rename detection). Binary files (numstat "-"), submodules (mode
//     160000 on either side) and excluded files are skipped whole, also
//     when only one side of a type change is binary or a submodule.
//   - The hunks of a pair are those that `git diff -U0 -M P C` prints for
//     it. In each hunk with d deleted and a added lines: Hunks += 1,
//     HALOC += max(a, d), NewWork += max(a−d, 0).
//   - Each deleted line gets the origin that `git blame P -- oldpath` names
//     for it. With age = author time of C − author time of the origin:
//     age > Window is legacy refactor; otherwise the same person as C's
//     author is rework and anyone else is help others. A negative age is
//     recent.
//
// Identities are git's mailmap-resolved author emails, lowercased; both
// `git log --format=%aE` and `git blame --porcelain` (author-mail) apply the
// mailmap when git runs inside the repository, as gitcmd.Runner does.
//
// A few git settings that would make the result depend on the user's
// configuration are pinned: the diff algorithm is git's default (Myers with
// the indent heuristic), external diff and textconv drivers are off, and
// blame ignores no revisions (blame.ignoreRevsFile is cleared).
package blameoracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/gitcmd"
)

// DefaultWindow is the rework window of metrics.md §3 (21 days), used when
// Oracle.Window is zero.
const DefaultWindow = 21 * 24 * time.Hour

// ErrMerge is returned by Oracle.Commit for a merge commit (more than one
// parent): merge commits get no work types.
var ErrMerge = errors.New("blameoracle: merge commits have no work types")

// Counts are the line figures of one commit (metrics.md §3).
// HALOC == NewWork + LegacyRefactor + HelpOthers + Rework always holds.
type Counts struct {
	// Hunks is the number of -U0 hunks over the counted files.
	Hunks int
	// HALOC is Σ max(added, deleted) over those hunks.
	HALOC int
	// NewWork is Σ max(added − deleted, 0) over those hunks.
	NewWork int
	// LegacyRefactor counts deleted lines whose origin is older than the
	// window.
	LegacyRefactor int
	// HelpOthers counts deleted lines whose origin is recent and by
	// another person.
	HelpOthers int
	// Rework counts deleted lines whose origin is recent and by the same
	// person.
	Rework int
}

// Oracle computes Counts with git diff and git blame.
type Oracle struct {
	// Git runs git inside the repository (so that the mailmap applies);
	// required.
	Git *gitcmd.Runner
	// Window is the age beyond which a deleted line is legacy; zero means
	// DefaultWindow. An age exactly equal to Window is still recent.
	Window time.Duration
	// Person maps a mailmap-resolved, lowercased email to a person key;
	// nil means the email itself is the person.
	Person func(email string) string
	// Excluded reports whether a file's lines count in no metric
	// (metrics.md §2); nil means no file is excluded. It is called with
	// the path at C, or at P for a deletion. Binary files and submodules
	// are always skipped, whatever it says.
	Excluded func(path string) bool
}

// modeSubmodule is a gitlink's mode in git diff --raw output.
const modeSubmodule = "160000"

// commitInfo is what Commit needs to know about C.
type commitInfo struct {
	parents []string
	email   string // mailmap-resolved, lowercased
	time    int64  // author time, Unix seconds
}

// origin is the blame origin of a line: a commit's resolved author.
type origin struct {
	email string // mailmap-resolved, lowercased
	time  int64
}

// pair is one file pair of the commit diff.
type pair struct {
	oldMode, newMode string
	oldPath, newPath string
	status           byte // A, C, D, M, R, T, U, X
}

// hunk is one -U0 hunk: d lines deleted from old line s, a lines added.
type hunk struct {
	s, d, a int
}

// Commit returns the Counts of the commit named by sha. It returns ErrMerge
// for a merge commit.
func (o *Oracle) Commit(ctx context.Context, sha string) (Counts, error) {
	var c Counts
	info, err := o.commitInfo(ctx, sha)
	if err != nil {
		return c, err
	}
	if len(info.parents) > 1 {
		return c, fmt.Errorf("%w (%s)", ErrMerge, sha)
	}
	parent := ""
	if len(info.parents) == 1 {
		parent = info.parents[0]
	} else {
		// A root commit is diffed against the empty tree: every line is
		// added, so every line is new work.
		out, err := o.Git.Output(ctx, "hash-object", "-t", "tree", "/dev/null")
		if err != nil {
			return c, err
		}
		parent = strings.TrimSpace(string(out))
	}
	pairs, err := o.pairs(ctx, parent, sha)
	if err != nil {
		return c, err
	}
	window := o.Window
	if window == 0 {
		window = DefaultWindow
	}
	me := o.person(info.email)
	for _, p := range pairs {
		hunks, err := o.hunks(ctx, parent, sha, p)
		if err != nil {
			return c, err
		}
		var deleted []hunk
		for _, h := range hunks {
			c.Hunks++
			c.HALOC += max(h.a, h.d)
			c.NewWork += max(h.a-h.d, 0)
			if h.d > 0 {
				deleted = append(deleted, h)
			}
		}
		if len(deleted) == 0 {
			continue
		}
		origins, err := o.blame(ctx, parent, p.oldPath, deleted)
		if err != nil {
			return c, err
		}
		for _, h := range deleted {
			for line := h.s; line < h.s+h.d; line++ {
				og, ok := origins[line]
				if !ok {
					return c, fmt.Errorf("blameoracle: git blame %s -- %q named no origin for line %d", parent, p.oldPath, line)
				}
				age := time.Duration(info.time-og.time) * time.Second
				switch {
				case age > window:
					c.LegacyRefactor++
				case o.person(og.email) == me:
					c.Rework++
				default:
					c.HelpOthers++
				}
			}
		}
	}
	return c, nil
}

// person is the person key of a resolved, lowercased email.
func (o *Oracle) person(email string) string {
	if o.Person == nil {
		return email
	}
	return o.Person(email)
}

// commitInfo reads C's parents, resolved author email and author time.
func (o *Oracle) commitInfo(ctx context.Context, sha string) (commitInfo, error) {
	var info commitInfo
	out, err := o.Git.Output(ctx, "log", "-1", "--no-show-signature", "--format=%P%x00%aE%x00%at", sha, "--")
	if err != nil {
		return info, err
	}
	f := strings.Split(strings.TrimSuffix(string(out), "\n"), "\x00")
	if len(f) != 3 {
		return info, fmt.Errorf("blameoracle: unexpected git log output for %s: %q", sha, out)
	}
	info.parents = strings.Fields(f[0])
	info.email = strings.ToLower(f[1])
	if info.time, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return info, fmt.Errorf("blameoracle: bad author time %q for %s", f[2], sha)
	}
	return info, nil
}

// pairs lists the counted file pairs of parent→sha: not binary, not a
// submodule, not excluded.
func (o *Oracle) pairs(ctx context.Context, parent, sha string) ([]pair, error) {
	raw, err := o.Git.Output(ctx, "diff", "--raw", "-z", "-M", "--no-abbrev", "--no-relative", "--no-ext-diff", "--no-textconv", parent, sha, "--")
	if err != nil {
		return nil, err
	}
	all, err := parseRaw(raw)
	if err != nil {
		return nil, err
	}
	num, err := o.Git.Output(ctx, "diff", "--numstat", "-z", "-M", "--no-relative", "--no-ext-diff", "--no-textconv", parent, sha, "--")
	if err != nil {
		return nil, err
	}
	stats, err := parseNumstat(num)
	if err != nil {
		return nil, err
	}
	// Both listings come from the same diff queue, in the same order.
	if len(stats) != len(all) {
		return nil, fmt.Errorf("blameoracle: git diff --raw listed %d files but --numstat %d for %s..%s", len(all), len(stats), parent, sha)
	}
	var pairs []pair
	for i, p := range all {
		if stats[i].path != p.newPath {
			return nil, fmt.Errorf("blameoracle: git diff --raw and --numstat disagree (%q, %q) for %s..%s", p.newPath, stats[i].path, parent, sha)
		}
		if stats[i].binary || p.oldMode == modeSubmodule || p.newMode == modeSubmodule {
			continue
		}
		path := p.newPath
		if p.status == 'D' {
			path = p.oldPath
		}
		if o.Excluded != nil && o.Excluded(path) {
			continue
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

// parseRaw parses `git diff --raw -z` output.
func parseRaw(b []byte) ([]pair, error) {
	var pairs []pair
	fields := bytes.Split(b, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) == 0 {
			continue // the terminating NUL
		}
		if f[0] != ':' {
			return nil, fmt.Errorf("blameoracle: unexpected git diff --raw record %q", f)
		}
		meta := strings.Fields(string(f[1:]))
		if len(meta) != 5 || meta[4] == "" {
			return nil, fmt.Errorf("blameoracle: unexpected git diff --raw record %q", f)
		}
		p := pair{oldMode: meta[0], newMode: meta[1], status: meta[4][0]}
		npaths := 1
		if p.status == 'R' || p.status == 'C' {
			npaths = 2
		}
		if i+npaths >= len(fields) {
			return nil, fmt.Errorf("blameoracle: truncated git diff --raw record %q", f)
		}
		p.oldPath = string(fields[i+1])
		p.newPath = p.oldPath
		if npaths == 2 {
			p.newPath = string(fields[i+2])
		}
		i += npaths
		pairs = append(pairs, p)
	}
	return pairs, nil
}

// numstat is one record of `git diff --numstat -z`.
type numstat struct {
	path   string // the new path
	binary bool   // numstat printed "-" for both counts
}

// parseNumstat parses `git diff --numstat -z` output.
func parseNumstat(b []byte) ([]numstat, error) {
	var recs []numstat
	fields := bytes.Split(b, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) == 0 {
			continue
		}
		parts := bytes.SplitN(f, []byte{'\t'}, 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("blameoracle: unexpected git diff --numstat record %q", f)
		}
		rec := numstat{path: string(parts[2]), binary: string(parts[0]) == "-" && string(parts[1]) == "-"}
		if len(parts[2]) == 0 {
			// A rename: the old and new paths follow.
			if i+2 >= len(fields) {
				return nil, fmt.Errorf("blameoracle: truncated git diff --numstat record %q", f)
			}
			rec.path = string(fields[i+2])
			i += 2
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// hunks returns the -U0 hunks that `git diff -U0 -M parent sha` prints for
// the pair p. The diff is restricted to the pair's paths, which yields
// exactly the pair's own section(s): rename detection only pairs deleted
// with added files, and the pair's two paths are the only candidates left.
// A type change (a file becoming a symlink, say) is printed by git as a
// deletion plus a creation, and so counted here.
func (o *Oracle) hunks(ctx context.Context, parent, sha string, p pair) ([]hunk, error) {
	args := []string{"diff", "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv",
		"--no-relative", "--diff-algorithm=myers", "--indent-heuristic", parent, sha, "--"}
	args = append(args, exactPath(p.oldPath)...)
	if p.newPath != p.oldPath {
		args = append(args, exactPath(p.newPath)...)
	}
	out, err := o.Git.Output(ctx, args...)
	if err != nil {
		return nil, err
	}
	want := 1
	if p.status == 'T' {
		want = 2 // git prints a type change as a deletion and a creation
	}
	if n := bytes.Count(append([]byte{'\n'}, out...), []byte("\ndiff --git ")); n != want {
		return nil, fmt.Errorf("blameoracle: git diff %s %s printed %d sections for %q (want %d)", parent, sha, n, p.newPath, want)
	}
	return parseHunks(out)
}

// exactPath is the pathspec that matches path and nothing else: a literal
// pathspec also matches everything under a directory of that name (a file
// replaced by a directory), which the exclusion removes.
func exactPath(path string) []string {
	return []string{":(literal)" + path, ":(exclude,literal)" + path + "/"}
}

// parseHunks collects the "@@ -s[,c] +s[,c] @@" headers of a -U0 patch. A
// content line always starts with '+', '-', ' ' or '\', and a file header
// line never starts with "@@", so every line starting with "@@ -" is a hunk
// header.
func parseHunks(patch []byte) ([]hunk, error) {
	var hunks []hunk
	for _, line := range bytes.Split(patch, []byte{'\n'}) {
		if !bytes.HasPrefix(line, []byte("@@ -")) {
			continue
		}
		h, err := parseHunkHeader(string(line))
		if err != nil {
			return nil, err
		}
		hunks = append(hunks, h)
	}
	return hunks, nil
}

// parseHunkHeader parses "@@ -s[,c] +s[,c] @@…"; an omitted count is 1.
func parseHunkHeader(line string) (hunk, error) {
	bad := fmt.Errorf("blameoracle: bad hunk header %q", line)
	f := strings.Fields(line)
	if len(f) < 4 || f[0] != "@@" || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return hunk{}, bad
	}
	s, d, err := parseRange(f[1][1:])
	if err != nil {
		return hunk{}, bad
	}
	_, a, err := parseRange(f[2][1:])
	if err != nil {
		return hunk{}, bad
	}
	return hunk{s: s, d: d, a: a}, nil
}

// parseRange parses "s" or "s,c" (c defaults to 1).
func parseRange(r string) (start, count int, err error) {
	s, c, found := strings.Cut(r, ",")
	if start, err = strconv.Atoi(s); err != nil {
		return 0, 0, err
	}
	count = 1
	if found {
		if count, err = strconv.Atoi(c); err != nil {
			return 0, 0, err
		}
	}
	if start < 0 || count < 0 {
		return 0, 0, errors.New("negative range")
	}
	return start, count, nil
}

// blame runs one `git blame --porcelain` at parent for path over the
// deleted ranges of hunks and returns the origin of every line in them,
// by line number in parent's version of the file.
func (o *Oracle) blame(ctx context.Context, parent, path string, hunks []hunk) (map[int]origin, error) {
	args := []string{"--literal-pathspecs", "blame", "--porcelain", "--ignore-revs-file="}
	for _, h := range hunks {
		args = append(args, "-L", fmt.Sprintf("%d,%d", h.s, h.s+h.d-1))
	}
	args = append(args, parent, "--", path)
	out, err := o.Git.Output(ctx, args...)
	if err != nil {
		return nil, err
	}
	return parsePorcelain(out)
}

// parsePorcelain parses `git blame --porcelain` output into final line →
// origin. Each line group starts with "<sha> <orig-line> <final-line>
// [<count>]"; the first group of a commit is followed by its headers
// (author-mail, author-time, boundary, …); every line's content follows,
// prefixed by a TAB. A boundary commit is still the line's origin.
func parsePorcelain(b []byte) (map[int]origin, error) {
	commits := map[string]*origin{}
	lines := map[string][]int{} // sha → final lines
	timed := map[string]bool{}  // sha → author-time seen
	var cur string
	expectHeader := true
	for _, line := range strings.Split(string(b), "\n") {
		if expectHeader {
			if line == "" {
				continue // the end of the output
			}
			f := strings.Fields(line)
			if len(f) < 3 || !isHex(f[0]) {
				return nil, fmt.Errorf("blameoracle: unexpected git blame line %q", line)
			}
			final, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, fmt.Errorf("blameoracle: unexpected git blame line %q", line)
			}
			cur = f[0]
			lines[cur] = append(lines[cur], final)
			if commits[cur] == nil {
				commits[cur] = &origin{}
			}
			expectHeader = false
			continue
		}
		if strings.HasPrefix(line, "\t") {
			expectHeader = true
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "author-mail":
			val = strings.TrimSuffix(strings.TrimPrefix(val, "<"), ">")
			commits[cur].email = strings.ToLower(val)
		case "author-time":
			t, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("blameoracle: unexpected git blame line %q", line)
			}
			commits[cur].time = t
			timed[cur] = true
		}
	}
	if !expectHeader {
		return nil, errors.New("blameoracle: truncated git blame output")
	}
	res := map[int]origin{}
	for sha, finals := range lines {
		og := commits[sha]
		if !timed[sha] {
			return nil, fmt.Errorf("blameoracle: git blame gave no author-time for %s", sha)
		}
		for _, n := range finals {
			res[n] = *og
		}
	}
	return res, nil
}

// isHex reports whether s is an object name (40 or 64 hex digits).
func isHex(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}
