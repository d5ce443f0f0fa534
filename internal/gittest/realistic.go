package gittest

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RealisticOptions configures Realistic.
type RealisticOptions struct {
	// Commits is the exact number of commits in the stream, merges
	// included (default 1000). Every commit is reachable from a ref.
	Commits int
	// Seed selects the history. The same options always give
	// byte-identical output; another seed gives another history.
	Seed int64
	// Authors is the number of human authors (default 40, at least 4).
	// About a fifth of them also commit under a second identity that the
	// history's .mailmap maps back to the first; three bots come on top.
	Authors int
	// Start is the date of the first commit (default 2012-01-02 09:00 UTC).
	// Commits follow every 2¼ hours on average, so 50 000 commits span
	// about thirteen years.
	Start time.Time
}

// Realistic returns a git fast-import stream of a history shaped like a
// busy real project, for tests and benchmarks that need one; the same
// options always give the same bytes. It holds the whole stream in memory
// (about 12 KiB per commit: 250 MB for 20 000 commits); WriteRealistic
// and Repo.ImportRealistic stream it instead.
//
// The history has:
//
//   - main, a long-lived develop and release/1.N branches (release branches
//     tagged v1.N.k, most merged back into main, all kept as refs);
//   - short feature branches forked from main (sometimes from an older main
//     commit) or from develop, merged back with real merge commits (first
//     parent = the target), some fast-forwarded, some updated from main,
//     a few left unmerged; octopus merges and criss-cross merges now and
//     then; 10–15 % of the commits are merges;
//   - merge results computed as true 3-way merges of tracked file contents;
//     overlapping edits are conflicts, resolved "by hand" with ours,
//     theirs, both, or lines in neither parent;
//   - code-like text files of 30–800 lines (a few of 3 000+), edited in
//     small blocks, appended to, sometimes rewritten; renames with and
//     without edits, moves between directories, deletions and re-adds;
//   - CRLF and mixed line endings, files without a final newline, binary
//     files, symlinks, gitlinks (submodules with made-up commit ids),
//     paths with spaces and with non-UTF-8 bytes;
//   - lock files, vendor/, third_party/, generated files ("Code generated
//     … DO NOT EDIT.") and *.min.js;
//   - a .mailmap joining authors' second identities, bot authors
//     (dependabot[bot], github-actions[bot], renovate[bot]), timezones from
//     -0800 to +1000 with daylight saving, author dates older than the
//     parent's (rebased branches, cherry-picks, amended commits).
//
// In the stream, commit n (in the order written) has mark :n, so
// fast-import's --export-marks maps it to its id. Each file version is a
// blob command, written once with a mark above Commits and referenced by
// it; a merge commit lists its first parent in from, the others in merge,
// and only the changes against the first parent. Paths with a space, a
// quote, a backslash or bytes outside printable ASCII are C-quoted with
// octal escapes. Merged branches are deleted with reset.
func Realistic(o RealisticOptions) []byte {
	var b bytes.Buffer
	_ = WriteRealistic(&b, o) // a bytes.Buffer does not fail
	return b.Bytes()
}

// WriteRealistic writes the stream Realistic returns to w.
func WriteRealistic(w io.Writer, o RealisticOptions) error {
	if o.Commits <= 0 {
		o.Commits = 1000
	}
	if o.Authors <= 0 {
		o.Authors = 40
	}
	o.Authors = max(o.Authors, 4)
	if o.Start.IsZero() {
		o.Start = time.Date(2012, 1, 2, 9, 0, 0, 0, time.UTC)
	}
	g := newGen(o, w)
	g.run()
	return g.w.Flush()
}

// ImportRealistic streams the Realistic history into the repository with
// git fast-import, without holding the stream in memory.
func (r *Repo) ImportRealistic(o RealisticOptions) {
	r.T.Helper()
	cmd := exec.Command("git", "-C", r.Dir, "fast-import", "--quiet")
	cmd.Env = Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		r.T.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		r.T.Fatal(err)
	}
	werr := WriteRealistic(stdin, o)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		r.T.Fatalf("git fast-import: %v: %s", err, stderr.String())
	}
	if werr != nil {
		r.T.Fatalf("write the realistic history: %v", werr)
	}
}

// ---------------------------------------------------------------------
// Model: file versions and trees.

// kind is what a tree entry holds.
type kind uint8

const (
	kText    kind = iota // lines, rendered from line ids
	kRaw                 // bytes as they are (binary or small text)
	kLink                // symlink; data is the target
	kGitlink             // submodule; data is a 40-hex commit id
)

// style decides how a text file's line ids render.
type style uint8

const (
	stGo style = iota
	stJS
	stPy
	stMD
	stYAML
	stSQL
	stSh
	stCS
	stProto
	stSum  // go.sum
	stMod  // go.mod require lines
	stLock // package-lock.json
	stMin  // minified JavaScript: few, very long lines
)

// eol is a text file's line ending.
type eol uint8

const (
	eolLF eol = iota
	eolCRLF
	eolMixed // about a quarter of the lines end in CRLF
)

// version is one immutable version of a file. Every file has an identity
// (fid) that survives renames, so merges follow renames.
//
// A text file is a sequence of line ids; a line's text is a pure function of
// its id and the file's style. Edits keep ids of kept lines and take fresh
// ids for new ones, so the relative order of two ids is the same in every
// version they both appear in, and a diff between two versions of a file
// is a matter of set membership, not of an LCS.
type version struct {
	fid   int32
	kind  kind
	exec  bool
	style style
	eol   eol
	noEOF bool // no newline after the last line
	lines []uint32
	data  []byte
	blob  int // mark of the blob once written, 0 before
}

// derive returns a copy to change into a new version.
func (v *version) derive() *version {
	c := *v
	c.blob = 0
	return &c
}

func (v *version) mode() string {
	switch {
	case v.kind == kLink:
		return "120000"
	case v.kind == kGitlink:
		return "160000"
	case v.exec:
		return "100755"
	}
	return "100644"
}

func sameContent(a, b *version) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return a.kind == b.kind && a.exec == b.exec && a.noEOF == b.noEOF &&
		slices.Equal(a.lines, b.lines) && bytes.Equal(a.data, b.data)
}

// dirNode is one directory's files. It is never changed once built:
// trees share unchanged directories and compare them by pointer.
type dirNode struct {
	files map[string]*version
	names []string // sorted, built on demand
}

func (d *dirNode) sorted() []string {
	if d.names == nil {
		d.names = make([]string, 0, len(d.files))
		for n := range d.files {
			d.names = append(d.names, n)
		}
		slices.Sort(d.names)
	}
	return d.names
}

// tree is a snapshot of all files, two levels deep: directory path →
// directory. Cloning copies only the top map.
type tree struct{ dirs map[string]*dirNode }

func newTree() *tree { return &tree{dirs: map[string]*dirNode{}} }

func splitPath(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func (t *tree) clone() *tree {
	c := &tree{dirs: make(map[string]*dirNode, len(t.dirs))}
	for k, v := range t.dirs {
		c.dirs[k] = v
	}
	return c
}

func (t *tree) get(p string) *version {
	d, n := splitPath(p)
	if node := t.dirs[d]; node != nil {
		return node.files[n]
	}
	return nil
}

func (t *tree) set(p string, v *version) {
	d, n := splitPath(p)
	old := t.dirs[d]
	node := &dirNode{files: make(map[string]*version, 8)}
	if old != nil {
		for k, x := range old.files {
			node.files[k] = x
		}
	}
	node.files[n] = v
	t.dirs[d] = node
}

func (t *tree) del(p string) {
	d, n := splitPath(p)
	old := t.dirs[d]
	if old == nil || old.files[n] == nil {
		return
	}
	if len(old.files) == 1 {
		delete(t.dirs, d)
		return
	}
	node := &dirNode{files: make(map[string]*version, len(old.files))}
	for k, x := range old.files {
		if k != n {
			node.files[k] = x
		}
	}
	t.dirs[d] = node
}

// diffTrees returns the sorted paths whose entries differ between a and b.
func diffTrees(a, b *tree) []string {
	var out []string
	for d, na := range a.dirs {
		nb := b.dirs[d]
		if na == nb {
			continue
		}
		for name, va := range na.files {
			if nb == nil || nb.files[name] != va {
				out = append(out, joinPath(d, name))
			}
		}
		if nb != nil {
			for name := range nb.files {
				if _, ok := na.files[name]; !ok {
					out = append(out, joinPath(d, name))
				}
			}
		}
	}
	for d, nb := range b.dirs {
		if _, ok := a.dirs[d]; !ok {
			for name := range nb.files {
				out = append(out, joinPath(d, name))
			}
		}
	}
	slices.Sort(out)
	return out
}

// ---------------------------------------------------------------------
// Line-level 3-way merge on line ids.

// hunk replaces base[start:end] with ins.
type hunk struct {
	start, end int
	ins        []uint32
}

// idSet is a set of line ids with O(1) reset.
type idSet struct {
	stamp uint32
	m     []uint32
}

func (s *idSet) fill(ids []uint32, limit uint32) {
	if int(limit) >= len(s.m) {
		s.m = append(s.m, make([]uint32, int(limit)+1-len(s.m)+len(s.m)/2)...)
	}
	s.stamp++
	for _, id := range ids {
		s.m[id] = s.stamp
	}
}

func (s *idSet) has(id uint32) bool { return int(id) < len(s.m) && s.m[id] == s.stamp }

// diffLines returns the hunks that turn base into side. Lines are matched
// by id; if the order of two common ids disagrees (it should not) the
// script stays valid, only not minimal. A line whose final newline appears
// or disappears counts as changed, as it does for git.
func (g *gen) diffLines(base, side *version) []hunk {
	bl, sl := base.lines, side.lines
	p := 0
	for p < len(bl) && p < len(sl) && bl[p] == sl[p] {
		p++
	}
	eb, es := len(bl), len(sl)
	for eb > p && es > p && bl[eb-1] == sl[es-1] {
		eb--
		es--
	}
	g.setB.fill(bl[p:eb], g.nextID)
	g.setS.fill(sl[p:es], g.nextID)
	var hs []hunk
	i, j := p, p
	for i < eb || j < es {
		if i < eb && j < es && bl[i] == sl[j] {
			i++
			j++
			continue
		}
		si, sj := i, j
		for {
			moved := false
			for i < eb && !g.setS.has(bl[i]) {
				i++
				moved = true
			}
			for j < es && !g.setB.has(sl[j]) {
				j++
				moved = true
			}
			if i < eb && j < es && bl[i] != sl[j] {
				i++
				j++
				moved = true
			}
			if !moved || i >= eb && j >= es || i < eb && j < es && bl[i] == sl[j] {
				break
			}
		}
		if i == si && j == sj { // one side exhausted: the rest is one hunk
			i, j = eb, es
		}
		hs = append(hs, hunk{si, i, sl[sj:j]})
	}
	if base.noEOF || side.noEOF {
		hs = g.touchEnds(hs, base, side)
	}
	return hs
}

// touchEnds marks base lines whose newline differs in side as changed:
// base's last line, and side's last line if it is a base line.
func (g *gen) touchEnds(hs []hunk, base, side *version) []hunk {
	n := len(base.lines)
	if n == 0 {
		return hs
	}
	covered := func(i int) bool {
		for _, h := range hs {
			if h.start <= i && i < h.end {
				return true
			}
		}
		return false
	}
	// Side index of a kept base line.
	sideIndex := func(i int) int {
		k := i
		for _, h := range hs {
			if h.end <= i {
				k += len(h.ins) - (h.end - h.start)
			}
		}
		return k
	}
	touch := func(i int) {
		if covered(i) {
			return
		}
		h := hunk{i, i + 1, []uint32{base.lines[i]}}
		at := len(hs)
		for k, x := range hs {
			if x.start > i || x.start == i && x.end > i+1 {
				at = k
				break
			}
		}
		hs = slices.Insert(hs, at, h)
	}
	last := n - 1
	if !covered(last) {
		k := sideIndex(last)
		sideNoNL := k == len(side.lines)-1 && side.noEOF
		if sideNoNL != base.noEOF {
			touch(last)
		}
	}
	if side.noEOF && len(side.lines) > 0 {
		// Is side's last line a kept base line other than base's last?
		j := last
		if len(hs) > 0 && hs[len(hs)-1].end == n {
			h := hs[len(hs)-1]
			if len(h.ins) > 0 {
				return hs
			}
			j = h.start - 1
		}
		if j >= 0 && j != last && !covered(j) {
			touch(j)
		}
	}
	return hs
}

func applyHunks(base []uint32, from, to int, hs []hunk, out []uint32) []uint32 {
	p := from
	for _, h := range hs {
		out = append(out, base[p:h.start]...)
		out = append(out, h.ins...)
		p = h.end
	}
	return append(out, base[p:to]...)
}

func sameHunks(a, b []hunk) bool {
	return slices.EqualFunc(a, b, func(x, y hunk) bool {
		return x.start == y.start && x.end == y.end && slices.Equal(x.ins, y.ins)
	})
}

// mergeText merges two text versions with their base the way diff3 does:
// changes from both sides that overlap or touch conflict. With resolve,
// each conflict is resolved by hand; without, the first conflict aborts.
func (g *gen) mergeText(b, o, t *version, resolve bool) (*version, int) {
	ho := g.diffLines(b, o)
	ht := g.diffLines(b, t)
	bl := b.lines
	out := make([]uint32, 0, len(o.lines)+len(t.lines)-len(bl)+8)
	pos, i, j, conflicts := 0, 0, 0, 0
	for i < len(ho) || j < len(ht) {
		var gs int
		switch {
		case i == len(ho):
			gs = ht[j].start
		case j == len(ht):
			gs = ho[i].start
		default:
			gs = min(ho[i].start, ht[j].start)
		}
		ge, oi, tj := gs, i, j
		for {
			if i < len(ho) && ho[i].start <= ge {
				ge = max(ge, ho[i].end)
				i++
			} else if j < len(ht) && ht[j].start <= ge {
				ge = max(ge, ht[j].end)
				j++
			} else {
				break
			}
		}
		out = append(out, bl[pos:gs]...)
		oh, th := ho[oi:i], ht[tj:j]
		switch {
		case len(th) == 0:
			out = applyHunks(bl, gs, ge, oh, out)
		case len(oh) == 0 || sameHunks(oh, th):
			out = applyHunks(bl, gs, ge, th, out)
		default:
			conflicts++
			if !resolve {
				return nil, conflicts
			}
			ro := applyHunks(bl, gs, ge, oh, nil)
			rt := applyHunks(bl, gs, ge, th, nil)
			out = append(out, g.resolveLines(bl[gs:ge], ro, rt)...)
		}
		pos = ge
	}
	out = append(out, bl[pos:]...)
	r := o.derive()
	r.lines = out
	if o.noEOF == b.noEOF {
		r.noEOF = t.noEOF
	}
	if o.exec == b.exec {
		r.exec = t.exec
	}
	return r, conflicts
}

// resolveLines resolves one conflict region the way people do: keep ours,
// keep theirs, keep both, or edit by hand (lines in neither parent). It
// keeps line ids unique and in an order consistent with both parents.
func (g *gen) resolveLines(base, ours, theirs []uint32) []uint32 {
	inBase := map[uint32]bool{}
	for _, id := range base {
		inBase[id] = true
	}
	hasBase := func(s []uint32) bool {
		for _, id := range s {
			if inBase[id] {
				return true
			}
		}
		return false
	}
	disjoint := func() bool {
		in := map[uint32]bool{}
		for _, id := range ours {
			in[id] = true
		}
		for _, id := range theirs {
			if in[id] {
				return false
			}
		}
		return true
	}
	r := g.rng.Float64()
	switch {
	case r < 0.18:
		return slices.Clone(ours)
	case r < 0.28:
		return slices.Clone(theirs)
	case r < 0.50 && disjoint() && !hasBase(theirs):
		return append(slices.Clone(ours), theirs...)
	case r < 0.50 && disjoint() && !hasBase(ours):
		return append(slices.Clone(theirs), ours...)
	}
	// By hand: start from one side, change or add a few lines.
	res := slices.Clone(ours)
	if g.rng.IntN(3) == 0 {
		res = slices.Clone(theirs)
	}
	if len(res) > 0 && g.rng.IntN(2) == 0 {
		k := min(len(res), 1+g.rng.IntN(3))
		at := g.rng.IntN(len(res) - k + 1)
		return slices.Replace(res, at, at+k, g.fresh(1+g.rng.IntN(k+1))...)
	}
	at := g.rng.IntN(len(res) + 1)
	return slices.Insert(res, at, g.fresh(1+g.rng.IntN(3))...)
}

// side is one tree's entry for a file identity.
type side struct {
	ok   bool
	path string
	v    *version
}

func sameSide(a, b side) bool {
	return a.ok == b.ok && (!a.ok || a.path == b.path && sameContent(a.v, b.v))
}

// mergeTrees merges theirs into ours with base, file identity by file
// identity, so renames on one side and edits on the other combine. It
// returns the result and the number of conflicts; without resolve it
// stops at the first conflict and returns a nil tree.
func (g *gen) mergeTrees(ours, theirs, base *tree, resolve bool) (*tree, int) {
	ct := diffTrees(base, theirs)
	if len(ct) == 0 {
		return ours.clone(), 0
	}
	co := diffTrees(base, ours)
	paths := make([]string, 0, len(co)+len(ct))
	paths = append(append(paths, co...), ct...)
	slices.Sort(paths)
	paths = slices.Compact(paths)

	type entry struct{ b, o, t side }
	info := map[int32]*entry{}
	var fids []int32
	at := func(f int32) *entry {
		e := info[f]
		if e == nil {
			e = &entry{}
			info[f] = e
			fids = append(fids, f)
		}
		return e
	}
	for _, p := range paths {
		if v := base.get(p); v != nil {
			at(v.fid).b = side{true, p, v}
		}
		if v := ours.get(p); v != nil {
			at(v.fid).o = side{true, p, v}
		}
		if v := theirs.get(p); v != nil {
			at(v.fid).t = side{true, p, v}
		}
	}
	slices.Sort(fids)

	res := ours.clone()
	conflicts := 0
	var first, second []side // placements: where ours has them, then the rest
	for _, f := range fids {
		e := info[f]
		r, c := g.mergeEntry(e.b, e.o, e.t, resolve)
		conflicts += c
		if c > 0 && !resolve {
			return nil, conflicts
		}
		if e.o.ok && (!r.ok || r.path != e.o.path) {
			res.del(e.o.path)
		}
		switch {
		case !r.ok:
		case e.o.ok && r.path == e.o.path:
			if r.v != e.o.v {
				first = append(first, r)
			}
		default:
			second = append(second, r)
		}
	}
	for _, r := range append(first, second...) {
		if cur := res.get(r.path); cur != nil && cur.fid != r.v.fid {
			conflicts++ // two files want one path: keep the one already there
			if !resolve {
				return nil, conflicts
			}
			continue
		}
		res.set(r.path, r.v)
	}
	return res, conflicts
}

// mergeEntry merges one file identity.
func (g *gen) mergeEntry(b, o, t side, resolve bool) (side, int) {
	switch {
	case sameSide(o, b):
		return t, 0
	case sameSide(t, b), sameSide(o, t):
		return o, 0
	}
	if !resolve {
		// Both sides changed it: only two text edits may still merge cleanly.
		if !(b.ok && o.ok && t.ok && b.v.kind == kText && o.v.kind == kText && t.v.kind == kText) {
			return side{}, 1
		}
	}
	if !o.ok || !t.ok || !b.ok { // modify/delete, or added twice
		if !b.ok && o.ok {
			return o, 1
		}
		if g.rng.IntN(2) == 0 {
			return side{}, 1
		}
		if o.ok {
			return o, 1
		}
		return t, 1
	}
	conflicts := 0
	path := o.path
	switch {
	case o.path == b.path:
		path = t.path
	case t.path == b.path, t.path == o.path:
	default:
		conflicts++ // renamed differently on both sides: keep ours
	}
	var v *version
	switch {
	case sameContent(o.v, b.v):
		v = t.v
	case sameContent(t.v, b.v), sameContent(o.v, t.v):
		v = o.v
	case o.v.kind == kText && t.v.kind == kText && b.v.kind == kText:
		var c int
		v, c = g.mergeText(b.v, o.v, t.v, resolve)
		conflicts += c
		if v == nil {
			return side{}, conflicts
		}
	default:
		conflicts++
		switch r := g.rng.IntN(5); {
		case r < 2:
			v = o.v
		case r < 4 || o.v.kind != kRaw || bytes.IndexByte(o.v.data, 0) < 0 || len(o.v.data) < 64:
			v = t.v
		default: // a new binary, in neither parent
			v = g.editRaw(o.v)
		}
	}
	return side{true, path, v}, conflicts
}

// ---------------------------------------------------------------------
// Rendering: a line's text is a function of its id, the seed and the
// file's style. Ids below len(literals) are fixed lines (file headers).

var literals = []string{
	"",
	"// Code generated by protoc-gen-go. DO NOT EDIT.",
	"// versions:",
	"module example.com/acme/platform",
	"go 1.22",
	"require (",
	")",
	"{",
	`  "name": "web",`,
	`  "lockfileVersion": 3,`,
	`  "requires": true,`,
	`  "packages": {`,
	"#!/usr/bin/env bash",
	"set -euo pipefail",
	"// Code generated by MockGen. DO NOT EDIT.",
	`syntax = "proto3";`,
}

const (
	litProtoc = 1 + iota
	litVersions
	litModule
	litGo
	litRequire
	litClose
	litBrace
	litName
	litLockVersion
	litRequires
	litPackages
	litShebang
	litSet
	litMockGen
	litSyntax
)

var verbs = [64]string{
	"load", "save", "parse", "build", "fetch", "sync", "merge", "render",
	"validate", "resolve", "compute", "refresh", "encode", "decode", "flush", "queue",
	"retry", "index", "scan", "apply", "close", "open", "send", "handle",
	"watch", "match", "split", "join", "sort", "filter", "update", "delete",
	"create", "collect", "report", "track", "lock", "unlock", "reset", "start",
	"stop", "emit", "check", "wrap", "read", "write", "list", "find",
	"count", "trim", "prune", "normalize", "schedule", "dispatch", "migrate", "hash",
	"sign", "verify", "notify", "cache", "batch", "drain", "probe", "mark",
}

var nouns = [64]string{
	"account", "order", "invoice", "user", "session", "token", "event", "job",
	"queue", "report", "metric", "record", "batch", "commit", "branch", "repo",
	"author", "team", "config", "request", "response", "payload", "cache", "index",
	"entry", "item", "message", "channel", "worker", "task", "schedule", "window",
	"range", "cursor", "page", "filter", "rule", "policy", "limit", "quota",
	"plan", "price", "ticket", "comment", "review", "label", "project", "sprint",
	"issue", "build", "deploy", "release", "tag", "file", "path", "blob",
	"tree", "diff", "hunk", "line", "stat", "score", "chart", "owner",
}

var goTypes = [16]string{
	"string", "int", "int64", "bool", "error", "[]byte", "time.Time", "*Config",
	"map[string]int", "[]string", "uint32", "float64", "*Client", "[]*Entry", "time.Duration", "any",
}

var capNouns, capVerbs [64]string

func init() {
	for i := range 64 {
		capNouns[i] = strings.ToUpper(nouns[i][:1]) + nouns[i][1:]
		capVerbs[i] = strings.ToUpper(verbs[i][:1]) + verbs[i][1:]
	}
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

const tabs = "\t\t\t\t\t\t"
const spaces = "                        "

func appendNum(b []byte, n uint64) []byte { return strconv.AppendUint(b, n, 10) }

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func appendB64(b []byte, h uint64, n int) []byte {
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			h = mix(h + uint64(i))
		}
		b = append(b, b64[h&63])
		h >>= 6
	}
	return b
}

// appendLine appends the text of line id (without its line ending).
func (g *gen) appendLine(b []byte, st style, id uint32) []byte {
	if int(id) < len(literals) {
		return append(b, literals[id]...)
	}
	h := mix(uint64(id) ^ g.salt)
	v, n, n2 := h>>16&63, h>>22&63, h>>28&63
	num := h >> 34 % 1000
	ind := int(h >> 8 % 3)
	sel := h % 100
	switch st {
	case stGo:
		switch {
		case sel < 11:
			return b
		case sel < 19:
			return append(append(b, tabs[:ind]...), '}')
		case sel < 22:
			return append(b, "\treturn nil"...)
		case sel < 24:
			return append(b, "\t\treturn err"...)
		case sel < 27:
			return append(append(b, tabs[:ind+1]...), "if err != nil {"...)
		case sel < 36:
			b = append(append(b, tabs[:ind]...), "// "...)
			b = append(append(append(b, verbs[v]...), capNouns[n]...), ' ')
			b = append(append(b, verbs[v]...), "s the "...)
			b = append(append(b, nouns[n2]...), " before the "...)
			return append(append(b, nouns[n]...), " is used."...)
		case sel < 41:
			b = append(append(append(b, "func ("...), nouns[n][0]), " *"...)
			b = append(append(append(b, capNouns[n]...), ") "...), verbs[v]...)
			b = append(append(append(b, capNouns[n2]...), "(ctx context.Context, "...), nouns[n2]...)
			return append(append(append(b, ' '), goTypes[num%16]...), ") error {"...)
		case sel < 46:
			b = append(append(append(b, "func "...), verbs[v]...), capNouns[n]...)
			b = append(append(append(b, capNouns[n2]...), '('), nouns[n]...)
			return append(append(append(b, "s []"...), capNouns[n2]...), ") (int, error) {"...)
		case sel < 60:
			b = append(append(append(b, tabs[:ind+1]...), nouns[n]...), capNouns[n2]...)
			b = append(append(append(b, " := "...), verbs[v]...), capNouns[n]...)
			return append(appendNum(append(append(append(b, '('), nouns[n2]...), ", "...), num), ')')
		case sel < 70:
			b = append(append(append(b, tabs[:ind+1]...), "if "...), nouns[n]...)
			return append(append(append(b, '.'), capNouns[n2]...), " == nil {"...)
		case sel < 78:
			b = append(append(append(b, tabs[:ind+2]...), "return fmt.Errorf(\""...), verbs[v]...)
			b = append(append(append(append(b, ' '), nouns[n]...), " %d: %w\", "...), nouns[n2]...)
			return append(appendNum(append(b, "ID+"...), num), ')')
		case sel < 86:
			b = append(append(append(b, tabs[:ind+1]...), nouns[n]...), "s = append("...)
			b = append(append(append(b, nouns[n]...), "s, "...), nouns[n2]...)
			return append(append(append(b, '.'), capVerbs[v]...), "())"...)
		case sel < 93:
			b = append(append(append(b, '\t'), capNouns[n]...), capNouns[n2]...)
			b = append(append(append(b, ' '), goTypes[num%16]...), " `json:\""...)
			return append(append(append(append(b, nouns[n]...), '_'), nouns[n2]...), "\"`"...)
		default:
			b = append(append(append(b, tabs[:ind+1]...), "s."...), verbs[v]...)
			b = append(appendNum(append(append(b, capNouns[n]...), '('), num), ", "...)
			return append(append(b, nouns[n2]...), ')')
		}
	case stJS, stCS:
		pad := spaces[:2*ind]
		if st == stCS {
			pad = spaces[:4*ind]
		}
		switch {
		case sel < 12:
			return b
		case sel < 22:
			return append(append(b, pad...), '}')
		case sel < 26:
			if st == stCS {
				return append(b, "        return null;"...)
			}
			return append(b, "});"...)
		case sel < 36:
			b = append(append(append(b, pad...), "// "...), capVerbs[v]...)
			return append(append(append(append(b, " the "...), nouns[n]...), " for each "...), nouns[n2]...)
		case sel < 46:
			if st == stCS {
				b = append(append(b, "    public async Task<"...), capNouns[n]...)
				b = append(append(append(append(b, "> "...), capVerbs[v]...), capNouns[n2]...), "Async(int "...)
				return append(append(b, nouns[n]...), "Id)"...)
			}
			b = append(append(append(b, "export function "...), verbs[v]...), capNouns[n]...)
			return append(append(append(b, '('), nouns[n2]...), ") {"...)
		case sel < 66:
			b = append(append(b, pad...), "  const "...)
			if st == stCS {
				b = append(b[:len(b)-6], "var "...)
			}
			b = append(append(append(b, nouns[n]...), capNouns[n2]...), " = await api."...)
			return append(appendNum(append(append(append(b, verbs[v]...), capNouns[n]...), '('), num), ");"...)
		case sel < 76:
			return append(append(append(append(b, pad...), "  if (!"...), nouns[n]...), ") {"...)
		case sel < 84:
			b = append(append(append(b, pad...), "    throw new Error('"...), verbs[v]...)
			return append(append(append(b, " failed for "...), nouns[n]...), "');"...)
		case sel < 92:
			if st == stCS {
				return append(append(append(b, "using Acme."...), capNouns[n]...), ';')
			}
			b = append(append(append(b, "import { "...), capNouns[n]...), capNouns[n2]...)
			return append(append(append(b, " } from './"...), nouns[n]...), "';"...)
		default:
			b = append(append(append(b, pad...), "  this."...), nouns[n]...)
			return append(appendNum(append(append(append(b, " = "...), nouns[n2]...), " * "...), num), ';')
		}
	case stPy:
		pad := spaces[:4*ind]
		switch {
		case sel < 14:
			return b
		case sel < 20:
			return append(append(b, pad...), "    return None"...)
		case sel < 30:
			b = append(append(append(b, pad...), "# "...), capVerbs[v]...)
			return append(append(append(append(b, " the "...), nouns[n]...), " of each "...), nouns[n2]...)
		case sel < 40:
			b = append(append(append(append(b, "def "...), verbs[v]...), '_'), nouns[n]...)
			return append(appendNum(append(append(append(b, '('), nouns[n2]...), ", limit="...), num), "):"...)
		case sel < 45:
			return append(append(append(append(b, "class "...), capNouns[n]...), capNouns[n2]...), ":"...)
		case sel < 60:
			return append(append(append(append(b, pad...), "    if "...), nouns[n]...), " is None:"...)
		case sel < 70:
			b = append(append(append(b, pad...), "        raise ValueError(\""...), verbs[v]...)
			return append(append(b, nouns[n]...), "\")"...)
		default:
			b = append(append(append(append(b, pad...), "    "...), nouns[n]...), " = "...)
			b = append(append(append(b, verbs[v]...), '_'), nouns[n2]...)
			return append(appendNum(append(b, '('), num), ')')
		}
	case stMD:
		switch {
		case sel < 20:
			return b
		case sel < 23:
			return append(b, "```"...)
		case sel < 30:
			b = append(append(append(b, "## "...), capVerbs[v]...), " the "...)
			return append(b, nouns[n]...)
		case sel < 50:
			b = append(append(append(b, "- The "...), nouns[n]...), ' ')
			b = append(append(append(b, verbs[v]...), "s every "...), nouns[n2]...)
			return appendNum(append(b, " within "...), num)
		default:
			b = append(append(append(b, "When a "...), nouns[n]...), " is "...)
			b = append(append(append(b, verbs[v]...), "ed, the "...), nouns[n2]...)
			return append(appendNum(append(b, " waits "...), num), "ms."...)
		}
	case stYAML:
		pad := spaces[:2*ind]
		switch {
		case sel < 10:
			return b
		case sel < 30:
			return append(append(append(append(b, pad...), "- name: "...), nouns[n]...), nouns[n2]...)
		case sel < 45:
			return appendNum(append(append(b, pad...), "  replicas: "...), num%9+1)
		default:
			b = append(append(append(append(b, pad...), "  "...), nouns[n]...), '_')
			return append(append(append(b, verbs[v]...), ": "...), nouns[n2]...)
		}
	case stSQL:
		switch {
		case sel < 12:
			return b
		case sel < 22:
			return append(b, ");"...)
		case sel < 32:
			b = append(append(append(b, "CREATE TABLE "...), nouns[n]...), '_')
			return append(append(b, nouns[n2]...), "s ("...)
		case sel < 40:
			return append(append(append(b, "-- "...), capVerbs[v]...), " every row once."...)
		case sel < 48:
			b = append(append(append(b, "CREATE INDEX "...), nouns[n]...), "_idx ON "...)
			return append(append(append(append(b, nouns[n2]...), " ("...), nouns[n]...), "_id);"...)
		default:
			b = append(append(append(append(b, "  "...), nouns[n]...), '_'), verbs[v]...)
			return append(b, " TEXT NOT NULL,"...)
		}
	case stSh:
		switch {
		case sel < 12:
			return b
		case sel < 20:
			return append(b, "fi"...)
		case sel < 35:
			return append(append(append(b, "if [ -z \"${"...), strings.ToUpper(nouns[n])...), "}\" ]; then"...)
		case sel < 50:
			b = append(append(append(b, "  echo \""...), verbs[v]...), "ing "...)
			return append(append(b, nouns[n]...), "\" >&2"...)
		default:
			b = append(append(append(append(b, verbs[v]...), '_'), nouns[n]...), " \"$"...)
			return append(append(b, strings.ToUpper(nouns[n2])...), "\""...)
		}
	case stProto:
		switch {
		case sel < 12:
			return b
		case sel < 24:
			return append(b, "}"...)
		case sel < 34:
			return append(append(append(append(b, "message "...), capNouns[n]...), capNouns[n2]...), " {"...)
		case sel < 44:
			b = append(append(append(b, "  rpc "...), capVerbs[v]...), capNouns[n]...)
			b = append(append(append(append(b, '('), capVerbs[v]...), capNouns[n]...), "Request) returns ("...)
			return append(append(b, capNouns[n2]...), ");"...)
		default:
			b = append(append(append(append(b, "  string "...), nouns[n]...), '_'), nouns[n2]...)
			return append(appendNum(append(b, " = "...), num%40+1), ';')
		}
	case stSum, stMod:
		if st == stMod {
			b = append(b, '\t')
		}
		b = append(append(append(append(b, "github.com/"...), nouns[n]...), "hq/"...), verbs[v]...)
		b = append(append(b, '-'), nouns[n2]...)
		b = appendNum(append(appendNum(append(b, " v1."...), num%40), '.'), h>>44%20)
		if st == stMod {
			return b
		}
		if sel < 50 {
			b = append(b, "/go.mod"...)
		}
		return append(appendB64(append(b, " h1:"...), h, 43), '=')
	case stLock:
		name := func(b []byte) []byte { return append(append(append(b, nouns[n]...), '-'), verbs[v]...) }
		switch {
		case sel < 18:
			return append(b, "    },"...)
		case sel < 30:
			return append(b, `      "dev": true,`...)
		case sel < 45:
			return append(name(append(b, `    "node_modules/`...)), `": {`...)
		case sel < 60:
			b = appendNum(append(b, `      "version": "`...), num%12)
			return append(appendNum(append(b, '.'), h>>44%30), `.0",`...)
		case sel < 80:
			b = name(append(b, `      "resolved": "https://registry.npmjs.org/`...))
			return append(appendNum(name(append(b, "/-/"...)), num), `.tgz",`...)
		default:
			return append(appendB64(append(b, `      "integrity": "sha512-`...), h, 86), `==",`...)
		}
	case stMin:
		s := h
		k := 60 + int(num%90)
		for i := 0; i < k; i++ {
			s = mix(s + uint64(i))
			switch s % 5 {
			case 0:
				b = append(append(append(b, "function "...), nouns[s>>8&63][:1]...), "(e,t){"...)
			case 1:
				b = append(append(append(b, "return e."...), verbs[s>>8&63]...), "(t)}"...)
			case 2:
				b = append(appendNum(append(append(b, "var "...), verbs[s>>8&63][:2]...), s>>20%100), ';')
			case 3:
				b = append(append(append(b, "t."...), nouns[s>>8&63]...), "=!0,"...)
			default:
				b = append(append(append(b, "if(!"...), nouns[s>>8&63][:1]...), ")throw Error(\"e\");"...)
			}
		}
		return b
	}
	return b
}

// appendText appends a text version's bytes.
func (g *gen) appendText(b []byte, v *version) []byte {
	for i, id := range v.lines {
		b = g.appendLine(b, v.style, id)
		if i == len(v.lines)-1 && v.noEOF {
			break
		}
		switch {
		case v.eol == eolCRLF, v.eol == eolMixed && mix(uint64(id)^g.salt)>>50&3 == 0:
			b = append(b, '\r', '\n')
		default:
			b = append(b, '\n')
		}
	}
	return b
}

// ---------------------------------------------------------------------
// The simulated project.

type person struct {
	name, email       string
	altName, altEmail string // second identity, joined by .mailmap
	login             string
	tz                int // minutes east of UTC
	dst               bool
	from, to          float64 // active part of the history
}

// tzAt is the person's UTC offset at t, with a rough daylight saving time.
func (p *person) tzAt(t int64) int {
	if p.dst {
		if m := time.Unix(t, 0).UTC().Month(); m >= time.April && m <= time.October {
			return p.tz + 60
		}
	}
	return p.tz
}

type sig struct {
	name, email string
	when        int64
	tz          int
}

type branchKind uint8

const (
	bMain branchKind = iota
	bDevelop
	bRelease
	bFeature
	bBot
)

type branch struct {
	kind    branchKind
	name    string // short name, refs/heads/<name>
	tip     int    // mark of the tip commit
	t       *tree
	target  *branch // where it merges into
	base    *tree   // merge base with target
	baseSeq int     // main sequence number of base (main-targeted branches)
	forkTip int     // target's tip when base was taken; equal tips allow a fast-forward
	left    int     // commits still to make
	own     int     // commits made
	owner   *person
	files   []string // working set
	focus   float64  // where in a file its edits go
	back    int64    // rebased work: author dates this far behind
	pr      int
	title   string
	abandon bool
	partner *branch // criss-cross partner, until one of the two lands
	crossX  *tree   // merge base with target once the partner landed
	crossed bool
	noFF    bool
	tagged  int // release: tip when last tagged
	patch   int
}

func (b *branch) ref() string { return "refs/heads/" + b.name }

type snap struct {
	t         *tree
	mark, seq int
}

type dirInfo struct {
	path  string
	style style
	ext   string
	crlf  bool
	exec  bool
}

type picked struct {
	author  sig
	msg     string
	changes [][2]*version // before and after
	paths   []string
}

type graveEntry struct {
	path string
	v    *version
}

type gen struct {
	o      RealisticOptions
	rng    *rand.Rand
	salt   uint64
	w      *bufio.Writer
	buf    []byte // rendered file content
	numBuf [20]byte

	mark, made int
	blobMark   int
	now        int64
	nextID     uint32
	nextFID    int32
	setB, setS idSet

	people                            []*person
	dependabot, actions, renovate, gh *person

	main, develop, release *branch
	features               []*branch
	snaps                  []snap
	mainSeq                int
	pending                func()
	octopi, crosses        int
	linkToFile, fileToLink int

	dirs     []dirInfo
	dirIndex map[string]int
	used     map[string]bool // every path a file was created at
	hot      []string
	hotPos   int
	grave    []graveEntry
	picks    []picked
	pinned   map[int32]bool
	binaries []string
	links    []string
	gitlinks []string
	vendored []string

	pr, leftRefs, maxLeft    int
	devAt, nextRel, relEvery int
	relMinor                 int
	mailmapAt                int
	mailmapDone              bool
	devSyncSeq               int
	devDirty                 bool
	migration                int
}

func newGen(o RealisticOptions, w io.Writer) *gen {
	s := uint64(o.Seed)
	g := &gen{
		o:        o,
		rng:      rand.New(rand.NewPCG(s, 0x5eed0fc0ffee)),
		salt:     mix(s ^ 0x9e3779b97f4a7c15),
		w:        bufio.NewWriterSize(w, 1<<16),
		now:      o.Start.Unix(),
		nextID:   uint32(len(literals)),
		dirIndex: map[string]int{},
		used:     map[string]bool{},
		pinned:   map[int32]bool{},
		hot:      make([]string, 0, 64),
		maxLeft:  8 + o.Commits/2500,
		devAt:    max(8, o.Commits/25),
		relEvery: min(max(o.Commits/12, 120), 3000),
	}
	g.nextRel = g.relEvery
	g.blobMark = o.Commits // commit marks are 1..Commits
	g.mailmapAt = o.Commits / 3
	return g
}

func (g *gen) run() {
	g.w.WriteString("feature done\n")
	g.makePeople()
	g.initial()
	for g.made < g.o.Commits {
		g.step()
	}
	g.w.WriteString("done\n")
}

// step makes the next commit (rarely none: a fast-forward, an abandoned
// branch or a tag).
func (g *gen) step() {
	if p := g.pending; p != nil {
		g.pending = nil
		p()
		return
	}
	switch {
	case g.develop == nil && g.made >= g.devAt:
		g.startDevelop()
		return
	case g.made >= g.nextRel:
		if g.release != nil {
			g.finishRelease()
		} else {
			g.startRelease()
		}
		return
	case !g.mailmapDone && g.made >= g.mailmapAt:
		g.mailmapDone = true
		e := g.editor(g.main)
		e.set(".mailmap", &version{fid: e.t.get(".mailmap").fid, kind: kRaw, data: g.mailmap(len(g.people))})
		g.commitEdits(g.main, e, g.people[0], "Add missing aliases to .mailmap")
		return
	}
	r := g.rng.Float64()
	switch {
	case r < 0.010:
		g.botPR()
		return
	case r < 0.013:
		g.actionsCommit()
		return
	case r < 0.040 && g.develop != nil:
		g.developCommit()
		return
	case r < 0.050 && g.develop != nil:
		if g.developSync() {
			return
		}
	case r < 0.075 && g.release != nil:
		if g.releaseWork() {
			return
		}
	}
	var ready, working []*branch
	for _, f := range g.features {
		if f.left <= 0 {
			ready = append(ready, f)
		} else {
			working = append(working, f)
		}
	}
	if len(ready) > 0 && g.rng.IntN(2) == 0 {
		g.mergeReady(ready)
		return
	}
	switch r := g.rng.Float64(); {
	case r < 0.36:
		g.mainCommit()
	case len(working) < 5+g.o.Commits/8000 && r < 0.5:
		g.startFeature()
	case len(working) > 0:
		g.featureWork(working)
	default:
		g.mainCommit()
	}
}

// ---------------------------------------------------------------------
// People.

var firstNames = []string{
	"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Dennis", "Margaret",
	"Linus", "Guido", "Rob", "Radia", "Sophie", "Tim", "Anita", "John", "Hedy", "Katherine",
	"Dorothy", "Leslie", "Niklaus", "Bjarne", "Yukihiro", "Rasmus", "Larry", "José", "Zoë", "Łukasz",
	"Søren", "Amélie", "Chidi", "Priya", "Wei", "Mei", "Aarav", "Fatima", "Olusegun", "Ingrid",
	"Mateo", "Hiroshi", "Nadia", "Kofi", "Elena", "Tomasz", "Aiko", "Rahul", "Sven", "Lucía",
	"Omar", "Yara", "Dmitri", "Ana", "Kwame", "Sakura", "Liam", "Noa", "Emeka", "Freya",
}

var lastNames = []string{
	"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Ritchie", "Hamilton",
	"Torvalds", "van Rossum", "Pike", "Perlman", "Wilson", "Berners-Lee", "Borg", "McCarthy", "Lamarr", "Johnson",
	"Vaughan", "Lamport", "Wirth", "Stroustrup", "Matsumoto", "Lerdorf", "Wall", "García", "Müller", "Kowalski",
	"Nørgaard", "Dubois", "Okafor", "Sharma", "Zhang", "Chen", "Patel", "Haddad", "Adeyemi", "Larsen",
	"Rossi", "Tanaka", "Petrova", "Mensah", "Ivanova", "Nowak", "Suzuki", "Gupta", "Andersson", "Fernández",
	"Khalil", "Cohen", "Volkov", "Silva", "Boateng", "Yamamoto", "O'Brien", "Levi", "Eze", "Holm",
}

var zones = []struct {
	tz  int
	dst bool
}{
	{0, false}, {60, true}, {60, true}, {120, false}, {-300, true}, {-360, true}, {-420, true},
	{-480, true}, {330, false}, {480, false}, {540, false}, {600, false}, {-180, false}, {345, false},
	{180, false}, {60, true}, {-300, true}, {0, true},
}

// coreZones are the zones of the first six people, who are active all the
// time, so every history spans them.
var coreZones = []struct {
	tz  int
	dst bool
}{{60, true}, {-480, true}, {330, false}, {-300, true}, {0, true}, {540, false}}

// slug folds a name to lowercase ASCII letters and digits.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune("éèëê", r):
			b.WriteByte('e')
		case strings.ContainsRune("áàãåä", r):
			b.WriteByte('a')
		case strings.ContainsRune("óòöø", r):
			b.WriteByte('o')
		case strings.ContainsRune("úùü", r):
			b.WriteByte('u')
		case r == 'í':
			b.WriteByte('i')
		case r == 'ł':
			b.WriteByte('l')
		case r == 'ñ':
			b.WriteByte('n')
		}
	}
	return b.String()
}

func (g *gen) makePeople() {
	seen := map[string]bool{}
	for len(g.people) < g.o.Authors {
		first, last := firstNames[g.rng.IntN(len(firstNames))], lastNames[g.rng.IntN(len(lastNames))]
		name := first + " " + last
		if seen[name] {
			if len(seen) < 3000 {
				continue
			}
			name += " " + strconv.Itoa(len(g.people))
		}
		seen[name] = true
		fs, ls := slug(first), slug(last)
		p := &person{name: name, login: fs[:1] + ls + strconv.Itoa(len(g.people)%7)}
		switch r := g.rng.Float64(); {
		case r < 0.45:
			p.email = fs + "." + ls + "@acme.example"
		case r < 0.7:
			p.email = strconv.Itoa(100000+g.rng.IntN(9000000)) + "+" + p.login + "@users.noreply.github.com"
		default:
			p.email = p.login + "@mail.example.org"
		}
		if seen[p.email] {
			p.email = strconv.Itoa(len(g.people)) + "." + p.email
		}
		seen[p.email] = true
		if g.rng.IntN(5) == 0 || len(g.people) == 1 {
			if g.rng.IntN(2) == 0 {
				p.altName, p.altEmail = name, fs+ls[:1]+"@old-corp.example"
			} else {
				p.altName, p.altEmail = p.login, p.login+"@laptop.local"
			}
		}
		z := zones[g.rng.IntN(len(zones))]
		if i := len(g.people); i < len(coreZones) {
			z = coreZones[(i+int(g.salt%6))%len(coreZones)]
		}
		p.tz, p.dst = z.tz, z.dst
		p.from, p.to = 0, 1
		if len(g.people) >= 6 {
			p.from = g.rng.Float64() * 0.8
			p.to = min(1, p.from+0.15+g.rng.Float64()*(1-p.from))
		}
		g.people = append(g.people, p)
	}
	g.dependabot = &person{name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com", login: "dependabot"}
	g.actions = &person{name: "github-actions[bot]", email: "41898282+github-actions[bot]@users.noreply.github.com"}
	g.renovate = &person{name: "renovate[bot]", email: "29139614+renovate[bot]@users.noreply.github.com", login: "renovate"}
	g.gh = &person{name: "GitHub", email: "noreply@github.com"}
}

// mailmap is the .mailmap for the first n people.
func (g *gen) mailmap(n int) []byte {
	var lines []string
	for _, p := range g.people[:n] {
		switch {
		case p.altEmail == "":
		case p.altName == p.name:
			lines = append(lines, p.name+" <"+p.email+"> <"+p.altEmail+">")
		default:
			lines = append(lines, p.name+" <"+p.email+"> "+p.altName+" <"+p.altEmail+">")
		}
	}
	slices.Sort(lines)
	return []byte("# One line per person with more than one identity.\n" + strings.Join(lines, "\n") + "\n")
}

// pickAuthor picks an active person, the early ones more often.
func (g *gen) pickAuthor() *person {
	at := float64(g.made) / float64(g.o.Commits)
	for range 16 {
		p := g.people[int(math.Pow(g.rng.Float64(), 1.6)*float64(len(g.people)))]
		if at >= p.from && at <= p.to {
			return p
		}
	}
	return g.people[g.rng.IntN(4)]
}

func (g *gen) maintainer() *person { return g.people[g.rng.IntN(4)] }

// tick advances the clock to the next commit: minutes to days.
func (g *gen) tick() int64 {
	var gap int64
	switch r := g.rng.Float64(); {
	case r < 0.6:
		gap = 60 + g.rng.Int64N(29*60)
	case r < 0.9:
		gap = 1800 + g.rng.Int64N(150*60)
	case r < 0.985:
		gap = 3*3600 + g.rng.Int64N(15*3600)
	default:
		gap = 24*3600 + g.rng.Int64N(2*24*3600)
	}
	g.now += gap
	return g.now
}

// sigs returns author and committer for a commit by who, whose work may
// be rebased (authored back seconds earlier).
func (g *gen) sigs(who *person, back int64) (author, committer sig) {
	now := g.tick()
	name, email := who.name, who.email
	if who.altEmail != "" && g.rng.IntN(10) < 3 {
		name, email = who.altName, who.altEmail
	}
	at := now
	switch {
	case back > 0:
		at = now - back
	case g.rng.IntN(12) == 0: // amended or committed later
		at = now - 60 - g.rng.Int64N(3*3600)
	}
	author = sig{name, email, at, who.tzAt(at)}
	committer = sig{name, email, now, who.tzAt(now)}
	if who == g.dependabot || who == g.renovate {
		committer = sig{g.gh.name, g.gh.email, now, 0}
	}
	return author, committer
}

// ---------------------------------------------------------------------
// Stream output.

func (g *gen) str(s string) { g.w.WriteString(s) }

func (g *gen) num(n int64) { g.w.Write(strconv.AppendInt(g.numBuf[:0], n, 10)) }

func (g *gen) writeSig(what string, s sig) {
	g.str(what)
	g.str(" ")
	g.str(s.name)
	g.str(" <")
	g.str(s.email)
	g.str("> ")
	g.num(s.when)
	tz := s.tz
	sign := byte('+')
	if tz < 0 {
		sign, tz = '-', -tz
	}
	g.w.Write([]byte{' ', sign, byte('0' + tz/600), byte('0' + tz/60%10), byte('0' + tz%60/10), byte('0' + tz%10), '\n'})
}

func (g *gen) data(b []byte) {
	g.str("data ")
	g.num(int64(len(b)))
	g.str("\n")
	g.w.Write(b)
	g.str("\n")
}

// header writes a commit's header; parents are marks, the first parent
// first. It returns the new commit's mark.
func (g *gen) header(ref string, author, committer sig, msg string, parents ...int) int {
	g.mark++
	g.made++
	g.str("commit ")
	g.str(ref)
	g.str("\nmark :")
	g.num(int64(g.mark))
	g.str("\n")
	g.writeSig("author", author)
	g.writeSig("committer", committer)
	g.data([]byte(msg))
	for i, p := range parents {
		if i == 0 {
			g.str("from :")
		} else {
			g.str("merge :")
		}
		g.num(int64(p))
		g.str("\n")
	}
	return g.mark
}

// quote C-quotes a path for fast-import when it has bytes other than
// printable ASCII, or a space (the source path of R must be quoted then).
func quote(p string) string {
	plain := true
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return p
	}
	b := []byte{'"'}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < ' ' || c >= 0x7f:
			b = append(b, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

// change is one file change of a commit: M (v at path), D, or R (src to
// path).
type change struct {
	op        byte
	src, path string
	v         *version
}

// commit writes a commit with its changes; parents are marks, the first
// parent first. Contents not written before go first as blob commands, so
// each version is in the stream once and merges only point at marks.
func (g *gen) commit(ref string, author, committer sig, msg string, changes []change, parents ...int) int {
	for _, c := range changes {
		if c.op != 'M' || c.v.kind == kGitlink || c.v.blob != 0 {
			continue
		}
		g.blobMark++
		c.v.blob = g.blobMark
		g.str("blob\nmark :")
		g.num(int64(g.blobMark))
		g.str("\n")
		if c.v.kind == kText {
			g.buf = g.appendText(g.buf[:0], c.v)
			g.data(g.buf)
		} else {
			g.data(c.v.data)
		}
	}
	mark := g.header(ref, author, committer, msg, parents...)
	for _, c := range changes {
		switch c.op {
		case 'R':
			g.str("R " + quote(c.src) + " " + quote(c.path) + "\n")
		case 'D':
			g.str("D " + quote(c.path) + "\n")
		default:
			g.str("M ")
			g.str(c.v.mode())
			g.str(" ")
			if c.v.kind == kGitlink {
				g.w.Write(c.v.data)
			} else {
				g.str(":")
				g.num(int64(c.v.blob))
			}
			g.str(" ")
			g.str(quote(c.path))
			g.str("\n")
		}
	}
	g.str("\n")
	return mark
}

// diffChanges lists the changes that turn tree a into b.
func diffChanges(a, b *tree) []change {
	var cs []change
	for _, p := range diffTrees(a, b) {
		if v := b.get(p); v == nil {
			cs = append(cs, change{op: 'D', path: p})
		} else if !sameContent(a.get(p), v) {
			cs = append(cs, change{op: 'M', path: p, v: v})
		}
	}
	return cs
}

func (g *gen) tag(name string, mark int, who *person, annotated bool, msg string) {
	if !annotated {
		g.str("reset refs/tags/" + name + "\nfrom :")
		g.num(int64(mark))
		g.str("\n\n")
		return
	}
	g.str("tag " + name + "\nfrom :")
	g.num(int64(mark))
	g.str("\n")
	g.writeSig("tagger", sig{who.name, who.email, g.now + 60, who.tzAt(g.now)})
	g.data([]byte(msg))
}

// ---------------------------------------------------------------------
// Commits that edit files.

// editor records one commit's changes to a branch's tree.
type editor struct {
	t       *tree
	orig    map[string]*version
	touched []string
	renames [][2]string
}

func (g *gen) editor(b *branch) *editor {
	return &editor{t: b.t, orig: map[string]*version{}}
}

func (e *editor) note(p string) {
	if _, ok := e.orig[p]; !ok {
		e.orig[p] = e.t.get(p)
		e.touched = append(e.touched, p)
	}
}

func (e *editor) set(p string, v *version) { e.note(p); e.t.set(p, v) }

func (e *editor) del(p string) { e.note(p); e.t.del(p) }

func (e *editor) rename(src, dst string) {
	e.note(src)
	e.note(dst)
	v := e.t.get(src)
	e.t.del(src)
	e.t.set(dst, v)
	e.renames = append(e.renames, [2]string{src, dst})
}

// changes lists renames first (as R), then the remaining changes.
func (e *editor) changes() []change {
	fi := make(map[string]*version, len(e.orig))
	for p, v := range e.orig {
		fi[p] = v
	}
	var cs []change
	for _, r := range e.renames {
		if fi[r[0]] == nil {
			continue
		}
		cs = append(cs, change{op: 'R', src: r[0], path: r[1]})
		fi[r[1]], fi[r[0]] = fi[r[0]], nil
	}
	slices.Sort(e.touched)
	for _, p := range e.touched {
		v := e.t.get(p)
		switch {
		case v == fi[p]:
		case v == nil:
			cs = append(cs, change{op: 'D', path: p})
		default:
			cs = append(cs, change{op: 'M', path: p, v: v})
		}
	}
	return cs
}

// commitEdits commits e on b by who.
func (g *gen) commitEdits(b *branch, e *editor, who *person, msg string) {
	if len(e.touched) == 0 {
		g.fallbackEdit(e)
	}
	a, c := g.sigs(who, b.back)
	var parents []int
	if b.tip != 0 {
		parents = []int{b.tip}
	}
	b.tip = g.commit(b.ref(), a, c, msg, e.changes(), parents...)
	if b == g.main {
		g.mainMoved()
		g.keepForPick(e, a, msg)
	}
}

func (g *gen) mainMoved() {
	g.mainSeq++
	if len(g.snaps) == 40 {
		g.snaps = append(g.snaps[:0], g.snaps[1:]...)
	}
	g.snaps = append(g.snaps, snap{g.main.t.clone(), g.main.tip, g.mainSeq})
}

// keepForPick remembers a main commit that only edits text files, for
// release branches to cherry-pick.
func (g *gen) keepForPick(e *editor, a sig, msg string) {
	if len(e.renames) > 0 {
		return
	}
	pk := picked{author: a, msg: msg}
	for _, p := range e.touched {
		before, after := e.orig[p], e.t.get(p)
		if before == nil || after == nil || before.kind != kText || after.kind != kText || before.fid != after.fid {
			return
		}
		pk.paths = append(pk.paths, p)
		pk.changes = append(pk.changes, [2]*version{before, after})
	}
	if len(g.picks) == 30 {
		g.picks = append(g.picks[:0], g.picks[1:]...)
	}
	g.picks = append(g.picks, pk)
}

func (g *gen) fallbackEdit(e *editor) {
	p := g.pickFile(e.t, 0)
	if p == "" {
		p = "README.md"
	}
	e.set(p, g.editText(e.t.get(p), true, 0, -1))
}

func (g *gen) title() string {
	v, n, n2 := g.rng.IntN(64), nouns[g.rng.IntN(64)], nouns[g.rng.IntN(64)]
	var t string
	switch g.rng.IntN(7) {
	case 0:
		t = "fix(" + n + "): " + verbs[v] + " " + n2 + " before the " + n + " is closed"
	case 1:
		t = capVerbs[v] + " " + n + " " + n2 + "s"
	case 2:
		t = "feat(" + n + "): " + verbs[v] + " " + n2 + "s in batches"
	case 3:
		t = "Refactor " + n + " " + verbs[v] + " path"
	case 4:
		t = "chore: " + verbs[v] + " " + n + " config"
	case 5:
		t = "Fix flaky " + n + " " + n2 + " test"
	default:
		t = capVerbs[v] + " the " + n + " when the " + n2 + " is empty"
	}
	return t
}

func (g *gen) message(who *person) string {
	msg := g.title()
	switch r := g.rng.IntN(20); {
	case r < 6:
		msg += "\n\nThe " + nouns[g.rng.IntN(64)] + " was " + verbs[g.rng.IntN(64)] + "ed twice when the " +
			nouns[g.rng.IntN(64)] + " changed.\nThis keeps one path for both."
	case r == 6:
		co := g.pickAuthor()
		if co != who {
			msg += "\n\nCo-authored-by: " + co.name + " <" + co.email + ">"
		}
	}
	return msg
}

// mainCommit is a commit straight on main.
func (g *gen) mainCommit() {
	who := g.pickAuthor()
	e := g.editor(g.main)
	g.edits(e, nil)
	g.commitEdits(g.main, e, who, g.message(who))
}

// edits makes the file changes of an ordinary commit.
func (g *gen) edits(e *editor, b *branch) {
	chance := func(p float64) bool { return g.rng.Float64() < p }
	if chance(0.07) {
		g.addFile(e)
	}
	if chance(0.006) {
		g.renameFile(e, false, false)
	}
	if chance(0.007) {
		g.renameFile(e, true, false)
	}
	if chance(0.004) {
		g.renameFile(e, g.rng.IntN(2) == 0, true)
	}
	if chance(0.0008) {
		g.movePackage(e)
	}
	if chance(0.005) {
		g.deleteFile(e)
	}
	if chance(0.004) {
		g.readdFile(e)
	}
	if chance(0.008) {
		g.binaryChange(e)
	}
	// Rare kinds of change come sooner if they have not come yet, so
	// that even short histories have them.
	rare := g.linkToFile == 0 || g.fileToLink == 0
	if chance(0.006) || rare && g.made > g.o.Commits/10 && chance(0.03) {
		g.symlinkChange(e)
	}
	if chance(0.003) {
		g.gitlinkChange(e)
	}
	if chance(0.004) {
		g.lockChange(e)
	}
	if chance(0.002) {
		g.vendorChange(e)
	}
	if chance(0.003) {
		g.generatedChange(e)
	}
	if chance(0.002) {
		g.minChange(e)
	}
	n := 1
	switch r := g.rng.Float64(); {
	case r < 0.62:
	case r < 0.87:
		n = 2
	case r < 0.97:
		n = 3 + g.rng.IntN(2)
	default:
		n = 5 + g.rng.IntN(6)
	}
	focus := g.rng.Float64()
	if b != nil && b.kind == bFeature {
		focus = b.focus
	}
	for range n {
		var p string
		if b != nil && len(b.files) > 0 && g.rng.IntN(4) != 0 {
			p = b.files[g.rng.IntN(len(b.files))]
		} else {
			p = g.pickFile(e.t, 0.1)
		}
		if v := e.t.get(p); v != nil && v.kind == kText {
			e.set(p, g.editText(v, false, 0, focus))
			g.heat(p)
		}
	}
}

func (g *gen) heat(p string) {
	if len(g.hot) < cap(g.hot) {
		g.hot = append(g.hot, p)
		return
	}
	g.hot[g.hotPos] = p
	g.hotPos = (g.hotPos + 1) % len(g.hot)
}

// pickFile picks a text file in a code directory, from the recently
// edited ones with probability hot; "" if none was found.
func (g *gen) pickFile(t *tree, hot float64) string {
	for range 12 {
		var p string
		if len(g.hot) > 0 && g.rng.Float64() < hot {
			p = g.hot[g.rng.IntN(len(g.hot))]
		} else {
			d := g.dirs[g.rng.IntN(len(g.dirs))]
			node := t.dirs[d.path]
			if node == nil {
				continue
			}
			names := node.sorted()
			p = joinPath(d.path, names[g.rng.IntN(len(names))])
		}
		if v := t.get(p); v != nil && v.kind == kText && (!g.pinned[v.fid] || g.rng.IntN(4) == 0) {
			return p
		}
	}
	return ""
}

func (g *gen) fresh(n int) []uint32 {
	s := make([]uint32, n)
	for i := range s {
		g.nextID++
		s[i] = g.nextID
	}
	return s
}

func (g *gen) blockLen() int {
	switch r := g.rng.Float64(); {
	case r < 0.45:
		return 1
	case r < 0.7:
		return 2 + g.rng.IntN(2)
	case r < 0.9:
		return 4 + g.rng.IntN(5)
	}
	return 9 + g.rng.IntN(12)
}

// editText edits a text file in small blocks; the first head lines stay.
// small keeps the edit to one small change (renames stay recognisable).
// Blocks go near focus (0..1 of the file) if it is not negative, as one
// piece of work tends to touch one area of a file.
func (g *gen) editText(v *version, small bool, head int, focus float64) *version {
	nv := v.derive()
	lines := slices.Clone(v.lines)
	ops := 1
	if !small && g.rng.Float64() < 0.35 {
		ops += 1 + g.rng.IntN(3)
	}
	for ; ops > 0; ops-- {
		lo := min(head, len(lines))
		hi := len(lines)
		n := hi - lo
		// place returns where a block of k lines (k <= n) starts.
		place := func(k int) int {
			if focus < 0 {
				return lo + g.rng.IntN(n-k+1)
			}
			spread := max(6, n/12)
			at := int(focus*float64(n)) - spread + g.rng.IntN(2*spread+1)
			return lo + min(max(at, 0), n-k)
		}
		r := g.rng.Float64()
		switch {
		case small:
			r *= 0.55
		case n > 800 && !g.pinned[v.fid] && g.rng.IntN(2) == 0:
			r = 0.6
		case n < 15:
			r = 0.5
		}
		k := g.blockLen()
		switch {
		case r < 0.40 && n > 0: // change a block
			k = min(k, n)
			at := place(k)
			lines = slices.Replace(lines, at, at+k, g.fresh(max(1, k+g.rng.IntN(5)-2))...)
		case r < 0.55: // insert a block
			at := place(0)
			lines = slices.Insert(lines, at, g.fresh(k)...)
		case r < 0.70 && n > 12: // delete a block
			if n > 800 && !g.pinned[v.fid] {
				k *= 4
			}
			k = min(k, n-10)
			at := place(k)
			lines = slices.Delete(lines, at, at+k)
		case r < 0.77: // append
			lines = append(lines, g.fresh(k)...)
			if nv.noEOF && g.rng.IntN(2) == 0 {
				nv.noEOF = false
			}
		case r < 0.93 && n > 0: // change one line
			lines[place(1)] = g.fresh(1)[0]
		case r < 0.96 && len(lines) > 0: // final newline comes or goes
			nv.noEOF = !nv.noEOF
		case n > 10: // rewrite a large part
			k = n * (3 + g.rng.IntN(5)) / 10
			at := lo + g.rng.IntN(n-k+1)
			lines = slices.Replace(lines, at, at+k, g.fresh(k*(8+g.rng.IntN(5))/10)...)
		default:
			lines = append(lines, g.fresh(k)...)
		}
	}
	if slices.Equal(lines, v.lines) && nv.noEOF == v.noEOF {
		lines = slices.Insert(lines, min(head, len(lines)), g.fresh(1)...)
	}
	nv.lines = lines
	return nv
}

func (g *gen) newText(st style, e eol, noEOF bool, head []uint32, n int) *version {
	g.nextFID++
	return &version{fid: g.nextFID, kind: kText, style: st, eol: e, noEOF: noEOF, lines: append(head, g.fresh(n)...)}
}

func (g *gen) newRaw(k kind, data []byte) *version {
	g.nextFID++
	return &version{fid: g.nextFID, kind: k, data: data}
}

// size draws a file length in lines: mostly 30–300, some up to 800, a
// few up to 1 500.
func (g *gen) size(st style) int {
	logU := func(lo, hi float64) int {
		return int(lo * math.Pow(hi/lo, g.rng.Float64()))
	}
	switch st {
	case stYAML, stSQL, stSh:
		return logU(15, 200)
	}
	switch r := g.rng.Float64(); {
	case r < 0.78:
		return logU(30, 300)
	case r < 0.99:
		return logU(300, 800)
	}
	return logU(800, 1500)
}

func (g *gen) addDir(d dirInfo) {
	if _, ok := g.dirIndex[d.path]; ok {
		return
	}
	g.dirIndex[d.path] = len(g.dirs)
	g.dirs = append(g.dirs, d)
}

// fileName makes a path in d no file was ever created at.
func (g *gen) fileName(d dirInfo) string {
	for i := 0; ; i++ {
		v, n, n2 := verbs[g.rng.IntN(64)], nouns[g.rng.IntN(64)], nouns[g.rng.IntN(64)]
		var name string
		switch {
		case d.style == stGo && g.rng.IntN(4) == 0:
			name = n + "_" + v + "_test"
		case d.style == stGo:
			name = n + "_" + v
		case d.style == stJS && d.ext == ".tsx", d.style == stCS:
			name = capNouns[g.rng.IntN(64)] + capVerbs[g.rng.IntN(64)]
		case d.style == stSQL:
			g.migration++
			name = strconv.Itoa(1000 + g.migration)[1:] + "_" + v + "_" + n
		case d.style == stMD && strings.Contains(d.path, " "):
			name = capNouns[g.rng.IntN(64)] + " " + capVerbs[g.rng.IntN(64)] + " Notes"
		default:
			name = n + "-" + n2
		}
		if i > 3 {
			name += strconv.Itoa(i)
		}
		p := joinPath(d.path, name+d.ext)
		if !g.used[p] {
			g.used[p] = true
			return p
		}
	}
}

// textFor makes a new text file for directory d.
func (g *gen) textFor(d dirInfo, n int) *version {
	e := eolLF
	switch r := g.rng.Float64(); {
	case d.crlf:
		e = eolCRLF
	case d.style == stMD && r < 0.08, r < 0.02:
		e = eolCRLF
	case r < 0.03:
		e = eolMixed
	}
	var head []uint32
	if d.style == stSh {
		head = []uint32{litShebang, litSet}
	}
	v := g.newText(d.style, e, g.rng.IntN(20) == 0, head, n)
	v.exec = d.exec
	return v
}

func (g *gen) addFile(e *editor) {
	if g.rng.IntN(60) == 0 {
		n, n2 := nouns[g.rng.IntN(64)], nouns[g.rng.IntN(64)]
		if g.rng.IntN(3) == 0 {
			g.addDir(dirInfo{path: "web/src/" + n, style: stJS, ext: ".ts"})
		} else {
			g.addDir(dirInfo{path: "internal/" + n + "/" + n2, style: stGo, ext: ".go"})
		}
		d := g.dirs[len(g.dirs)-1]
		e.set(g.fileName(d), g.textFor(d, g.size(d.style)))
		return
	}
	d := g.dirs[g.rng.IntN(len(g.dirs))]
	e.set(g.fileName(d), g.textFor(d, g.size(d.style)))
}

// renameFile renames a file, perhaps with a small edit, perhaps into
// another directory of the same kind.
func (g *gen) renameFile(e *editor, edit, move bool) {
	p := g.pickFile(e.t, 0.1)
	if p == "" {
		return
	}
	v := e.t.get(p)
	dir, name := splitPath(p)
	d := g.dirs[g.dirIndex[dir]]
	var dst string
	if move {
		for range 10 {
			o := g.dirs[g.rng.IntN(len(g.dirs))]
			if o.path != dir && o.style == d.style && o.ext == d.ext {
				dst = joinPath(o.path, name)
				if g.used[dst] {
					dst = g.fileName(o)
				}
				g.used[dst] = true
				break
			}
		}
		if dst == "" {
			return
		}
	} else {
		dst = g.fileName(d)
	}
	e.rename(p, dst)
	if edit {
		e.set(dst, g.editText(v, true, 0, -1))
	}
}

// movePackage moves every file of a directory to a new one.
func (g *gen) movePackage(e *editor) {
	for range 10 {
		d := g.dirs[g.rng.IntN(len(g.dirs))]
		node := e.t.dirs[d.path]
		if d.style != stGo || node == nil || len(node.files) < 2 {
			continue
		}
		nd := d
		nd.path = "internal/" + nouns[g.rng.IntN(64)] + "/" + nouns[g.rng.IntN(64)] + "v" + strconv.Itoa(len(g.dirs))
		g.addDir(nd)
		for _, name := range slices.Clone(node.sorted()) {
			dst := joinPath(nd.path, name)
			g.used[dst] = true
			e.rename(joinPath(d.path, name), dst)
		}
		return
	}
}

func (g *gen) deleteFile(e *editor) {
	p := g.pickFile(e.t, 0)
	if v := e.t.get(p); p != "" && !g.pinned[v.fid] {
		e.del(p)
		if len(g.grave) == 50 {
			g.grave = append(g.grave[:0], g.grave[1:]...)
		}
		g.grave = append(g.grave, graveEntry{p, v})
	}
}

// readdFile brings a deleted file back at its old path, with part of its
// old content.
func (g *gen) readdFile(e *editor) {
	if len(g.grave) == 0 {
		return
	}
	i := g.rng.IntN(len(g.grave))
	ge := g.grave[i]
	if e.t.get(ge.path) != nil {
		return
	}
	g.grave = append(g.grave[:i], g.grave[i+1:]...)
	lines := slices.Clone(ge.v.lines)
	if n := len(lines); n > 20 {
		k := n / (3 + g.rng.IntN(4))
		at := g.rng.IntN(n - k)
		lines = slices.Replace(lines, at, at+k, g.fresh(k/2+1)...)
	}
	g.nextFID++
	nv := ge.v.derive()
	nv.fid, nv.lines = g.nextFID, lines
	e.set(ge.path, nv)
}

func (g *gen) binary(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for i := 16; i < n; i += 8 {
		x := g.rng.Uint64()
		for k := 0; k < 8 && i+k < n; k++ {
			b[i+k] = byte(x >> (8 * k))
		}
	}
	for i := 16; i < n; i += 61 {
		b[i] = 0
	}
	return b
}

// editRaw changes a binary file: a few bytes, an appended chunk, or all.
func (g *gen) editRaw(v *version) *version {
	nv := v.derive()
	d := slices.Clone(v.data)
	switch r := g.rng.IntN(10); {
	case r < 6:
		for range 1 + g.rng.IntN(16) {
			d[16+g.rng.IntN(len(d)-16)] = byte(g.rng.Uint32())
		}
	case r < 8:
		d = append(d, g.binary(16 + g.rng.IntN(240))[16:]...)
	default:
		d = g.binary(256 + g.rng.IntN(4000))
	}
	nv.data = d
	return nv
}

func (g *gen) binaryChange(e *editor) {
	if g.rng.IntN(2) == 0 || len(g.binaries) == 0 {
		p := "assets/" + nouns[g.rng.IntN(64)] + "-" + verbs[g.rng.IntN(64)] + ".png"
		if g.rng.IntN(3) == 0 {
			p = "testdata/fixtures/" + nouns[g.rng.IntN(64)] + strconv.Itoa(len(g.binaries)) + ".bin"
		}
		if g.used[p] {
			return
		}
		g.used[p] = true
		g.binaries = append(g.binaries, p)
		e.set(p, g.newRaw(kRaw, g.binary(200+g.rng.IntN(6000))))
		return
	}
	p := g.binaries[g.rng.IntN(len(g.binaries))]
	if v := e.t.get(p); v != nil && v.kind == kRaw {
		e.set(p, g.editRaw(v))
	}
}

var linkTargets = []string{"../README.md", "../docs/reference.md", "prod.yaml", "staging.yaml", "../cmd/server", "../cmd/worker", "../../shared/settings.yaml"}

// symlinkChange retargets a symlink; one of them (docs/README.md) now and
// then becomes a regular file and back.
func (g *gen) symlinkChange(e *editor) {
	const toggled = "docs/README.md"
	p := g.links[g.rng.IntN(len(g.links))]
	if g.rng.IntN(2) == 0 || g.linkToFile == 0 || g.fileToLink == 0 {
		p = toggled
	}
	v := e.t.get(p)
	switch {
	case v == nil:
	case p == toggled && v.kind == kLink && (g.linkToFile == 0 || g.rng.IntN(2) == 0):
		e.set(p, &version{fid: v.fid, kind: kText, style: stMD, lines: g.fresh(5 + g.rng.IntN(30))})
		g.linkToFile++
	case v.kind == kLink:
		nv := v.derive()
		nv.data = []byte(linkTargets[g.rng.IntN(len(linkTargets))])
		if bytes.Equal(nv.data, v.data) {
			nv.data = append(nv.data, ".orig"...)
		}
		e.set(p, nv)
	case p == toggled:
		e.set(p, &version{fid: v.fid, kind: kLink, data: []byte(linkTargets[g.rng.IntN(len(linkTargets))])})
		g.fileToLink++
	}
}

func (g *gen) hex40() []byte {
	b := make([]byte, 40)
	for i := range b {
		b[i] = "0123456789abcdef"[g.rng.IntN(16)]
	}
	return b
}

func (g *gen) gitlinkChange(e *editor) {
	p := g.gitlinks[g.rng.IntN(len(g.gitlinks))]
	if v := e.t.get(p); v != nil && v.kind == kGitlink {
		nv := v.derive()
		nv.data = g.hex40()
		e.set(p, nv)
	}
}

// lockChange edits go.sum or package-lock.json the way a dependency
// update does.
func (g *gen) lockChange(e *editor) {
	p := "go.sum"
	if g.rng.IntN(2) == 0 {
		p = "web/package-lock.json"
	}
	if v := e.t.get(p); v != nil && v.kind == kText {
		head := 0
		if p != "go.sum" {
			head = 5
		}
		e.set(p, g.editText(v, false, head, -1))
	}
}

func (g *gen) vendorChange(e *editor) {
	for range 2 + g.rng.IntN(3) {
		p := g.vendored[g.rng.IntN(len(g.vendored))]
		if v := e.t.get(p); v != nil && v.kind == kText {
			e.set(p, g.editText(v, false, 0, -1))
		}
	}
	if v := e.t.get("vendor/modules.txt"); v != nil {
		e.set("vendor/modules.txt", g.editText(v, true, 0, -1))
	}
}

// generatedChange edits the .proto and regenerates its .pb.go.
func (g *gen) generatedChange(e *editor) {
	if v := e.t.get("api/v1/service.proto"); v != nil && v.kind == kText {
		e.set("api/v1/service.proto", g.editText(v, true, 1, -1))
	}
	for _, p := range []string{"api/v1/service.pb.go", "internal/mocks/store_mock.go"} {
		if v := e.t.get(p); v != nil && v.kind == kText {
			for range 1 + g.rng.IntN(4) {
				v = g.editText(v, false, 2, -1)
			}
			e.set(p, v)
		}
		if g.rng.IntN(2) == 0 {
			break
		}
	}
}

func (g *gen) minChange(e *editor) {
	const p = "web/static/vendor.min.js"
	if v := e.t.get(p); v != nil && v.kind == kText {
		nv := v.derive()
		if g.rng.IntN(3) == 0 {
			nv.lines = g.fresh(3 + g.rng.IntN(6))
		} else {
			nv.lines = slices.Clone(v.lines)
			nv.lines[g.rng.IntN(len(nv.lines))] = g.fresh(1)[0]
		}
		e.set(p, nv)
	}
}

// ---------------------------------------------------------------------
// The first commit.

var codeDirs = []dirInfo{
	{path: "cmd/server", style: stGo, ext: ".go"},
	{path: "cmd/worker", style: stGo, ext: ".go"},
	{path: "internal/api", style: stGo, ext: ".go"},
	{path: "internal/api/middleware", style: stGo, ext: ".go"},
	{path: "internal/auth", style: stGo, ext: ".go"},
	{path: "internal/billing", style: stGo, ext: ".go"},
	{path: "internal/cache", style: stGo, ext: ".go"},
	{path: "internal/config", style: stGo, ext: ".go"},
	{path: "internal/events", style: stGo, ext: ".go"},
	{path: "internal/ingest", style: stGo, ext: ".go"},
	{path: "internal/jobs", style: stGo, ext: ".go"},
	{path: "internal/mail", style: stGo, ext: ".go"},
	{path: "internal/metrics", style: stGo, ext: ".go"},
	{path: "internal/search", style: stGo, ext: ".go"},
	{path: "internal/storage", style: stGo, ext: ".go"},
	{path: "internal/storage/sqlite", style: stGo, ext: ".go"},
	{path: "internal/users", style: stGo, ext: ".go"},
	{path: "internal/legacy", style: stGo, ext: ".go"},
	{path: "pkg/client", style: stGo, ext: ".go"},
	{path: "web/src/components", style: stJS, ext: ".tsx"},
	{path: "web/src/pages", style: stJS, ext: ".tsx"},
	{path: "web/src/lib", style: stJS, ext: ".ts"},
	{path: "web/src/legacy", style: stJS, ext: ".js"},
	{path: "tools/scripts", style: stPy, ext: ".py"},
	{path: "scripts", style: stSh, ext: ".sh", exec: true},
	{path: "migrations", style: stSQL, ext: ".sql"},
	{path: "deploy/k8s", style: stYAML, ext: ".yaml"},
	{path: "config", style: stYAML, ext: ".yaml"},
	{path: "docs", style: stMD, ext: ".md"},
	{path: "docs/Design Notes", style: stMD, ext: ".md"},
	{path: "docs/legacy", style: stMD, ext: ".md"},
	{path: "docs/i18n", style: stMD, ext: ".md"},
	{path: "tools/win", style: stCS, ext: ".cs", crlf: true},
}

const license = `MIT License

Copyright (c) 2012 Acme Platform authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, subject to the following conditions:
the above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.
`

const gitmodules = `[submodule "third_party/protobuf"]
	path = third_party/protobuf
	url = https://github.com/protocolbuffers/protobuf.git
[submodule "extern/ui-kit"]
	path = extern/ui-kit
	url = https://git.example.com/acme/ui-kit.git
`

func (g *gen) initial() {
	for _, d := range codeDirs {
		g.addDir(d)
	}
	g.main = &branch{kind: bMain, name: "main", t: newTree()}
	e := g.editor(g.main)
	put := func(p string, v *version) *version {
		g.used[p] = true
		e.set(p, v)
		return v
	}
	for _, d := range codeDirs {
		for range 2 + g.rng.IntN(4) {
			e.set(g.fileName(d), g.textFor(d, g.size(d.style)))
		}
	}
	for _, l := range []struct {
		path string
		st   style
		eol  eol
	}{
		{"internal/legacy/engine.go", stGo, eolMixed},
		{"web/src/legacy/app.js", stJS, eolLF},
		{"docs/reference.md", stMD, eolLF},
	} {
		v := put(l.path, g.newText(l.st, l.eol, false, nil, 3000+g.rng.IntN(800)))
		g.pinned[v.fid] = true
	}
	put("README.md", g.newText(stMD, eolLF, false, nil, 80))
	put("CHANGELOG.md", g.newText(stMD, eolLF, false, nil, 30))
	put("LICENSE", g.newRaw(kRaw, []byte(license)))
	put(".gitignore", g.newRaw(kRaw, []byte("/bin/*\n!/bin/server\n*.log\nnode_modules/\n.env\n")))
	put(".mailmap", g.newRaw(kRaw, g.mailmap(len(g.people)/2)))
	put(".gitmodules", g.newRaw(kRaw, []byte(gitmodules)))
	put("VERSION", g.newRaw(kRaw, []byte("1.0.0-dev\n")))
	mod := g.newText(stMod, eolLF, false, []uint32{litModule, litGo, litRequire}, 14)
	mod.lines = append(mod.lines, litClose)
	put("go.mod", mod)
	put("go.sum", g.newText(stSum, eolLF, false, nil, 300))
	put("Makefile", g.newText(stSh, eolLF, false, nil, 60))
	put("web/package-lock.json", g.newText(stLock, eolLF, false, []uint32{litBrace, litName, litLockVersion, litRequires, litPackages}, 700))
	put("web/static/vendor.min.js", g.newText(stMin, eolLF, true, nil, 6))
	put("api/v1/service.proto", g.newText(stProto, eolLF, false, []uint32{litSyntax}, 120))
	put("api/v1/service.pb.go", g.newText(stGo, eolLF, false, []uint32{litProtoc, litVersions}, 900))
	put("internal/mocks/store_mock.go", g.newText(stGo, eolLF, false, []uint32{litMockGen, litVersions}, 400))
	for _, p := range []string{
		"vendor/github.com/gorilla/mux/mux.go", "vendor/github.com/gorilla/mux/route.go",
		"vendor/github.com/gorilla/mux/regexp.go", "vendor/github.com/pkg/errors/errors.go",
		"vendor/github.com/pkg/errors/stack.go", "vendor/golang.org/x/sync/errgroup/errgroup.go",
		"third_party/jsonpath/jsonpath.go",
	} {
		put(p, g.newText(stGo, eolLF, false, nil, 150+g.rng.IntN(700)))
		g.vendored = append(g.vendored, p)
	}
	put("vendor/modules.txt", g.newText(stMod, eolLF, false, nil, 20))
	for _, p := range []string{"assets/logo.png", "assets/Logo Final (2).png", "assets/favicon.ico", "testdata/fixtures/sample.bin"} {
		put(p, g.newRaw(kRaw, g.binary(300+g.rng.IntN(4000))))
		g.binaries = append(g.binaries, p)
	}
	put("testdata/names/\xff\xfe-utf16.txt", g.newRaw(kRaw, []byte("\xff\xfeh\x00i\x00\n\x00")))
	put("docs/legacy/r\xe9sum\xe9-latin1.md", g.textFor(g.dirs[g.dirIndex["docs/legacy"]], 40))
	put("docs/i18n/übersicht.md", g.textFor(g.dirs[g.dirIndex["docs/i18n"]], 60))
	put("docs/Design Notes/Sync Protocol.md", g.newText(stMD, eolCRLF, false, nil, 120))
	put("config/prod.yaml", g.newText(stYAML, eolLF, false, nil, 40))
	put("config/staging.yaml", g.newText(stYAML, eolLF, true, nil, 35))
	for _, l := range [][2]string{{"bin/server", "../cmd/server"}, {"config/current.yaml", "prod.yaml"}, {"docs/README.md", "../README.md"}} {
		put(l[0], g.newRaw(kLink, []byte(l[1])))
		g.links = append(g.links, l[0])
	}
	for _, p := range []string{"third_party/protobuf", "extern/ui-kit"} {
		put(p, g.newRaw(kGitlink, g.hex40()))
		g.gitlinks = append(g.gitlinks, p)
	}
	g.commitEdits(g.main, e, g.people[0], "Initial commit")
}

// ---------------------------------------------------------------------
// Branches.

func (g *gen) featureLen() int {
	switch r := g.rng.Float64(); {
	case r < 0.2:
		return 1
	case r < 0.4:
		return 2
	case r < 0.65:
		return 3 + g.rng.IntN(2)
	case r < 0.93:
		return 5 + g.rng.IntN(5)
	}
	return 10 + g.rng.IntN(11)
}

func (g *gen) startFeature() {
	f := &branch{kind: bFeature, owner: g.pickAuthor(), left: g.featureLen(), title: g.title(), focus: g.rng.Float64()}
	g.pr++
	f.pr = g.pr
	prefix := []string{"feature/", "fix/", f.owner.login + "/", "chore/"}[g.rng.IntN(4)]
	f.name = prefix + strconv.Itoa(f.pr) + "-" + nouns[g.rng.IntN(64)] + "-" + verbs[g.rng.IntN(64)]
	f.target = g.main
	if g.develop != nil && g.rng.IntN(7) == 0 {
		f.target = g.develop
	}
	if f.target == g.main && len(g.snaps) > 4 && g.rng.IntN(4) == 0 {
		s := g.snaps[g.rng.IntN(len(g.snaps)-2)] // an older main commit
		f.t, f.base, f.tip, f.forkTip, f.baseSeq = s.t.clone(), s.t, s.mark, s.mark, s.seq
	} else {
		f.t, f.base, f.tip, f.forkTip, f.baseSeq = f.target.t.clone(), f.target.t.clone(), f.target.tip, f.target.tip, g.mainSeq
	}
	if g.rng.IntN(9) == 0 { // rebased before the push: authored days ago
		f.back = 86400 + g.rng.Int64N(9*86400)
	}
	f.abandon = g.rng.IntN(40) == 0
	for range 1 + g.rng.IntN(4) {
		if p := g.pickFile(f.t, 0.1); p != "" {
			f.files = append(f.files, p)
		}
	}
	g.features = append(g.features, f)
	g.featureCommit(f)
}

func (g *gen) featureCommit(f *branch) {
	who := f.owner
	if g.rng.IntN(10) == 0 {
		who = g.pickAuthor()
	}
	e := g.editor(f)
	g.edits(e, f)
	g.commitEdits(f, e, who, g.message(who))
	f.left--
	f.own++
}

func (g *gen) featureWork(working []*branch) {
	f := working[g.rng.IntN(len(working))]
	switch r := g.rng.Float64(); {
	case r < 0.04 && f.partner == nil && !f.crossed && f.own > 0 && f.target.tip != f.forkTip:
		g.updateFeature(f)
	case (r < 0.07 || g.crosses == 0 && r < 0.2) && f.target == g.main && f.own > 0 && g.crissCross(f, working):
	default:
		g.featureCommit(f)
	}
}

// updateFeature merges the target into the feature ("update branch").
func (g *gen) updateFeature(f *branch) {
	tgt := f.target
	res, _ := g.mergeTrees(f.t, tgt.t, f.base, true)
	a, c := g.sigs(f.owner, 0)
	f.tip = g.commit(f.ref(), a, c, "Merge branch '"+tgt.name+"' into "+f.name, diffChanges(f.t, res), f.tip, tgt.tip)
	f.t, f.base, f.forkTip = res, tgt.t.clone(), tgt.tip
	if tgt == g.main {
		f.baseSeq = g.mainSeq
	}
}

// crissCross merges two main-bound features into each other, from their
// tips before either merge, so later merges into main have two merge
// bases. It only does so when the merge is clean (both merges then have
// the same tree), and reports whether it made a commit.
func (g *gen) crissCross(f *branch, working []*branch) bool {
	if f.crossed || f.partner != nil {
		return false
	}
	var cands []*branch
	for _, h := range working {
		if h != f && h.kind == bFeature && h.target == g.main && h.partner == nil && !h.crossed && h.own > 0 {
			cands = append(cands, h)
		}
	}
	if len(cands) == 0 {
		return false
	}
	h := cands[g.rng.IntN(len(cands))]
	older, newer := f, h
	if h.baseSeq < f.baseSeq {
		older, newer = h, f
	}
	x, c := g.mergeTrees(f.t, h.t, older.base, false)
	if c > 0 {
		return false
	}
	f1 := f.tip
	a, cm := g.sigs(f.owner, 0)
	f.tip = g.commit(f.ref(), a, cm, "Merge branch '"+h.name+"' into "+f.name, diffChanges(f.t, x), f.tip, h.tip)
	f.t = x
	xh, cross := x.clone(), x.clone()
	g.pending = func() {
		a, c := g.sigs(h.owner, 0)
		h.tip = g.commit(h.ref(), a, c, "Merge branch '"+f.name+"' into "+h.name, diffChanges(h.t, xh), h.tip, f1)
		h.t = xh
	}
	base, seq := newer.base, newer.baseSeq
	for _, b := range []*branch{f, h} {
		b.base, b.baseSeq, b.crossX, b.crossed, b.noFF = base, seq, cross, true, true
	}
	f.partner, h.partner = h, f
	g.crosses++
	return true
}

// mergeReady lands a finished branch: a merge commit, an octopus merge, a
// fast-forward, or nothing for an abandoned branch.
func (g *gen) mergeReady(ready []*branch) {
	f := ready[g.rng.IntN(len(ready))]
	if f.abandon && g.leftRefs < g.maxLeft {
		g.leftRefs++
		g.drop(f, true)
		return
	}
	tgt := f.target
	if tgt == g.main && f.kind == bFeature && f.partner == nil && (g.rng.IntN(6) == 0 || g.octopi == 0 && g.rng.IntN(2) == 0) && g.octopus(f, ready) {
		return
	}
	if f.kind == bFeature && !f.noFF && tgt.tip == f.forkTip && g.rng.IntN(5) < 3 {
		g.str("reset " + tgt.ref() + "\nfrom :")
		g.num(int64(f.tip))
		g.str("\n\n")
		tgt.t, tgt.tip = f.t, f.tip
		g.landed(f)
		return
	}
	res, _ := g.mergeTrees(tgt.t, f.t, f.base, true)
	merger := f.owner
	if f.kind == bBot || g.rng.IntN(2) == 0 {
		merger = g.maintainer()
	}
	var msg string
	if f.kind == bBot || g.rng.IntN(4) != 0 {
		login := f.owner.login
		if f.kind == bBot {
			login = "acme"
		}
		msg = "Merge pull request #" + strconv.Itoa(f.pr) + " from " + login + "/" + f.name + "\n\n" + f.title
	} else {
		msg = "Merge branch '" + f.name + "'"
		if tgt != g.main {
			msg += " into " + tgt.name
		}
	}
	a, c := g.sigs(merger, 0)
	tgt.tip = g.commit(tgt.ref(), a, c, msg, diffChanges(tgt.t, res), tgt.tip, f.tip)
	tgt.t = res
	g.landed(f)
}

// octopus merges f and one or two other finished features into main in
// one commit, if all merge cleanly.
func (g *gen) octopus(f *branch, ready []*branch) bool {
	var others []*branch
	for _, x := range ready {
		if x != f && x.kind == bFeature && x.target == g.main && x.partner == nil && !x.abandon {
			others = append(others, x)
		}
	}
	if len(others) == 0 {
		return false
	}
	res, c := g.mergeTrees(g.main.t, f.t, f.base, false)
	if c > 0 {
		return false
	}
	parts := []*branch{f}
	for _, i := range g.rng.Perm(len(others)) {
		if len(parts) == 3 {
			break
		}
		x := others[i]
		if r, c := g.mergeTrees(res, x.t, x.base, false); c == 0 {
			res = r
			parts = append(parts, x)
		}
	}
	if len(parts) < 2 {
		return false
	}
	parents := []int{g.main.tip}
	var names []string
	for _, x := range parts {
		parents = append(parents, x.tip)
		names = append(names, "'"+x.name+"'")
	}
	msg := "Merge branches " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	a, cm := g.sigs(g.maintainer(), 0)
	g.main.tip = g.commit(g.main.ref(), a, cm, msg, diffChanges(g.main.t, res), parents...)
	g.main.t = res
	for _, x := range parts {
		g.drop(x, false)
	}
	g.mainMoved()
	g.octopi++
	return true
}

// landed does the bookkeeping after f went into its target.
func (g *gen) landed(f *branch) {
	switch f.target {
	case g.main:
		g.mainMoved()
	case g.develop:
		g.devDirty = true
	}
	if p := f.partner; p != nil {
		// The partner now shares two merge bases with main; git merges them
		// into a virtual base, which is the tree of the criss-cross merges.
		p.base, p.partner = p.crossX, nil
	}
	keep := g.rng.IntN(30) == 0 && g.leftRefs < g.maxLeft
	if keep {
		g.leftRefs++
	}
	g.drop(f, keep)
}

// drop forgets a branch; its ref goes unless keep.
func (g *gen) drop(f *branch, keep bool) {
	g.features = slices.DeleteFunc(g.features, func(x *branch) bool { return x == f })
	if !keep {
		g.str("reset " + f.ref() + "\n\n")
	}
}

// ---------------------------------------------------------------------
// develop, releases, bots.

func (g *gen) startDevelop() {
	m := g.main
	g.develop = &branch{kind: bDevelop, name: "develop", target: m, t: m.t.clone(), base: m.t.clone(), tip: m.tip, forkTip: m.tip}
	g.devSyncSeq = g.mainSeq
	g.developCommit()
}

func (g *gen) developCommit() {
	who := g.pickAuthor()
	e := g.editor(g.develop)
	g.edits(e, nil)
	g.commitEdits(g.develop, e, who, g.message(who))
	g.devDirty = true
}

// developSync merges develop into main or main into develop.
func (g *gen) developSync() bool {
	d, m := g.develop, g.main
	if g.devDirty && (g.rng.IntN(2) == 0 || g.mainSeq == g.devSyncSeq) {
		res, _ := g.mergeTrees(m.t, d.t, d.base, true)
		a, c := g.sigs(g.maintainer(), 0)
		m.tip = g.commit(m.ref(), a, c, "Merge branch 'develop'", diffChanges(m.t, res), m.tip, d.tip)
		m.t = res
		d.base = d.t.clone()
		g.devDirty = false
		g.mainMoved()
		return true
	}
	if g.mainSeq != g.devSyncSeq {
		res, _ := g.mergeTrees(d.t, m.t, d.base, true)
		a, c := g.sigs(g.maintainer(), 0)
		d.tip = g.commit(d.ref(), a, c, "Merge branch 'main' into develop", diffChanges(d.t, res), d.tip, m.tip)
		d.t = res
		d.base = m.t.clone()
		g.devSyncSeq = g.mainSeq
		g.devDirty = true
		return true
	}
	return false
}

func (g *gen) setRaw(e *editor, p, content string) {
	nv := e.t.get(p).derive()
	nv.data = []byte(content)
	e.set(p, nv)
}

func (g *gen) startRelease() {
	g.relMinor++
	ver := "1." + strconv.Itoa(g.relMinor)
	m := g.main
	rel := &branch{kind: bRelease, name: "release/" + ver, target: m, t: m.t.clone(), base: m.t.clone(), tip: m.tip, forkTip: m.tip, owner: g.maintainer()}
	e := g.editor(rel)
	g.setRaw(e, "VERSION", ver+".0\n")
	if v := e.t.get("CHANGELOG.md"); v != nil && v.kind == kText {
		nv := v.derive()
		nv.lines = slices.Insert(slices.Clone(v.lines), min(2, len(v.lines)), g.fresh(4+g.rng.IntN(10))...)
		e.set("CHANGELOG.md", nv)
	}
	g.commitEdits(rel, e, rel.owner, "Release "+ver+".0")
	g.release = rel
	g.nextRel = g.made + g.relEvery
	next := "1." + strconv.Itoa(g.relMinor+1) + ".0-dev\n"
	g.pending = func() {
		e := g.editor(g.main)
		g.setRaw(e, "VERSION", next)
		g.commitEdits(g.main, e, rel.owner, "Start "+strings.TrimSpace(next)+" development")
	}
}

func (g *gen) tagRelease(rel *branch) {
	name := "v" + strings.TrimPrefix(rel.name, "release/") + "." + strconv.Itoa(rel.patch)
	g.tag(name, rel.tip, rel.owner, rel.patch == 0 || g.rng.IntN(2) == 0, "Release "+name[1:]+"\n")
	rel.patch++
	rel.tagged = rel.tip
}

func (g *gen) finishRelease() {
	rel, m := g.release, g.main
	g.release = nil
	if rel.tagged != rel.tip {
		g.tagRelease(rel)
	}
	if g.rng.IntN(4) == 0 {
		return // stays a ref, never merged back
	}
	res, _ := g.mergeTrees(m.t, rel.t, rel.base, true)
	a, c := g.sigs(rel.owner, 0)
	m.tip = g.commit(m.ref(), a, c, "Merge branch '"+rel.name+"'", diffChanges(m.t, res), m.tip, rel.tip)
	m.t = res
	g.mainMoved()
}

// releaseWork makes a fix or a cherry-pick on the release branch, or tags
// it (no commit; reports false).
func (g *gen) releaseWork() bool {
	rel := g.release
	switch r := g.rng.IntN(20); {
	case r < 8 && g.cherryPick(rel):
		return true
	case r < 11 && rel.tagged != rel.tip:
		g.tagRelease(rel)
		return false
	}
	who := rel.owner
	if g.rng.IntN(2) == 0 {
		who = g.pickAuthor()
	}
	e := g.editor(rel)
	for range 1 + g.rng.IntN(2) {
		if p := g.pickFile(e.t, 0.3); p != "" {
			e.set(p, g.editText(e.t.get(p), true, 0, -1))
		}
	}
	g.commitEdits(rel, e, who, "fix: "+g.title())
	return true
}

// cherryPick applies a recent main commit to the release branch, keeping
// its author and author date, if it applies cleanly.
func (g *gen) cherryPick(rel *branch) bool {
	for k := len(g.picks) - 1; k >= 0 && k >= len(g.picks)-4; k-- {
		pk := g.picks[k]
		res := make([]*version, len(pk.paths))
		ok, changed := true, false
		for i, p := range pk.paths {
			before, after := pk.changes[i][0], pk.changes[i][1]
			cur := rel.t.get(p)
			if cur == nil || cur.fid != before.fid || cur.kind != kText {
				ok = false
				break
			}
			if sameContent(cur, before) {
				res[i] = after
			} else if res[i], _ = g.mergeText(before, cur, after, false); res[i] == nil {
				ok = false
				break
			}
			changed = changed || !sameContent(res[i], cur)
		}
		if !ok || !changed {
			continue
		}
		g.picks = slices.Delete(g.picks, k, k+1)
		e := g.editor(rel)
		for i, p := range pk.paths {
			e.set(p, res[i])
		}
		now := g.tick()
		who := rel.owner
		rel.tip = g.commit(rel.ref(), pk.author, sig{who.name, who.email, now, who.tzAt(now)}, pk.msg, e.changes(), rel.tip)
		return true
	}
	return false
}

// botPR opens a dependency-update branch with one commit by a bot.
func (g *gen) botPR() {
	bot := g.dependabot
	if g.rng.IntN(5) == 0 {
		bot = g.renovate
	}
	m := g.main
	b := &branch{kind: bBot, owner: bot, target: m, t: m.t.clone(), base: m.t.clone(), tip: m.tip, forkTip: m.tip, baseSeq: g.mainSeq}
	g.pr++
	b.pr = g.pr
	minor, patch := g.rng.IntN(30), g.rng.IntN(20)
	from := "1." + strconv.Itoa(minor) + "." + strconv.Itoa(patch)
	to := "1." + strconv.Itoa(minor) + "." + strconv.Itoa(patch+1+g.rng.IntN(3))
	e := g.editor(b)
	var dep string
	if g.rng.IntN(3) == 0 {
		dep = nouns[g.rng.IntN(64)] + "-" + verbs[g.rng.IntN(64)]
		b.name = bot.login + "/npm_and_yarn/web/" + dep + "-" + to
		if v := e.t.get("web/package-lock.json"); v != nil && v.kind == kText {
			for range 1 + g.rng.IntN(3) {
				v = g.editText(v, true, 5, -1)
			}
			e.set("web/package-lock.json", v)
		}
	} else {
		dep = "github.com/" + nouns[g.rng.IntN(64)] + "hq/" + verbs[g.rng.IntN(64)]
		b.name = bot.login + "/go_modules/" + dep + "-" + to
		if v := e.t.get("go.mod"); v != nil && v.kind == kText && len(v.lines) > 4 {
			nv := v.derive()
			nv.lines = slices.Clone(v.lines)
			nv.lines[3+g.rng.IntN(len(v.lines)-4)] = g.fresh(1)[0]
			e.set("go.mod", nv)
		}
		if v := e.t.get("go.sum"); v != nil && v.kind == kText && len(v.lines) > 4 {
			nv := v.derive()
			at := g.rng.IntN(len(v.lines) - 2)
			nv.lines = slices.Replace(slices.Clone(v.lines), at, at+2, g.fresh(2)...)
			e.set("go.sum", nv)
		}
	}
	b.title = "Bump " + dep + " from " + from + " to " + to
	msg := b.title + "\n\nBumps [" + dep + "](https://" + dep + ") from " + from + " to " + to + ".\n\n" +
		"---\nupdated-dependencies:\n- dependency-name: " + dep + "\n  dependency-type: direct:production\n...\n\n" +
		"Signed-off-by: " + bot.name + " <support@github.com>"
	g.commitEdits(b, e, bot, msg)
	b.abandon = g.rng.IntN(7) == 0
	g.features = append(g.features, b)
}

// actionsCommit is a CI bot regenerating files on main.
func (g *gen) actionsCommit() {
	e := g.editor(g.main)
	g.generatedChange(e)
	g.commitEdits(g.main, e, g.actions, "chore: regenerate API stubs [skip ci]")
}
