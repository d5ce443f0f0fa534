package provenance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/blameoracle"
	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
	"github.com/sluicehq/sluice/internal/gittest"
)

func TestMain(m *testing.M) {
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	os.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	os.Exit(m.Run())
}

// replayAll replays every commit of the repository and returns each
// non-merge commit's totals over all its files.
func replayAll(t testing.TB, dir string, opts Options) map[string]Counts {
	t.Helper()
	e := New(&gitcmd.Runner{Dir: dir}, opts)
	// Several diff-tree processes, whatever the machine, so that the
	// tests cover taking their chunks back in order.
	e.DiffProcs, e.chunk = 3, 16
	defer func() { t.Logf("replay: %+v", e.Stats) }()
	got := map[string]Counts{}
	tips := revs(t, dir)
	err := e.Replay(context.Background(), tips, nil, func(c *gitlog.Commit, files []Counts) error {
		if c.IsMerge() {
			if files != nil {
				t.Errorf("merge %s has counts", c.SHA)
			}
			return nil
		}
		var sum Counts
		for _, f := range files {
			sum.Add(f)
		}
		got[c.SHA] = sum
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// revs is rev-list input naming every ref of the repository.
func revs(t testing.TB, dir string) string {
	t.Helper()
	r := &gitcmd.Runner{Dir: dir}
	out, err := r.Output(context.Background(), "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/tags")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// checkOracle compares the engine's counts with the oracle's for the given
// commits (all when shas is nil).
func checkOracle(t *testing.T, dir string, got map[string]Counts, shas []string, window time.Duration) {
	t.Helper()
	o := &blameoracle.Oracle{Git: &gitcmd.Runner{Dir: dir}, Window: window}
	if shas == nil {
		for sha := range got {
			shas = append(shas, sha)
		}
	}
	type result struct {
		sha  string
		want blameoracle.Counts
		err  error
	}
	jobs := make(chan string)
	results := make(chan result)
	for range 4 {
		go func() {
			for sha := range jobs {
				want, err := o.Commit(context.Background(), sha)
				results <- result{sha, want, err}
			}
		}()
	}
	go func() {
		for _, sha := range shas {
			jobs <- sha
		}
		close(jobs)
	}()
	bad := 0
	for range shas {
		res := <-results
		if res.err != nil {
			t.Errorf("oracle %s: %v", res.sha, res.err)
			continue
		}
		sha, want := res.sha, res.want
		g := got[sha]
		w := Counts{want.Hunks, want.HALOC, want.NewWork, want.LegacyRefactor, want.HelpOthers, want.Rework}
		if g != w {
			bad++
			if bad <= 10 {
				subject, _ := (&gitcmd.Runner{Dir: dir}).Output(context.Background(), "log", "-1", "--format=%s", sha)
				t.Errorf("%s (%s): engine %+v, blame %+v", sha[:10], strings.TrimSpace(string(subject)), g, w)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d commits disagree with git blame", bad, len(shas))
	}
}

var people = []gittest.Person{
	{Name: "Ada Lovelace", Email: "ada@example.com"},
	{Name: "Grace Hopper", Email: "grace@example.com"},
	{Name: "Alan Turing", Email: "alan@example.com"},
	{Name: "Ada L", Email: "ADA.L@old.example.com"}, // mailmapped to ada
}

// history builds a random history with the git CLI: edits, renames with
// edits, deletions and re-additions, CRLF, missing final newlines, binary
// files, symlinks and type changes, gitlinks, non-UTF-8 paths, branches
// merged cleanly and with hand-resolved conflicts, octopus and criss-cross
// merges, and author dates older than the parent's.
type history struct {
	t        *testing.T
	r        *gittest.Repo
	rng      *rand.Rand
	when     time.Time
	n        int
	branches []string
}

func newHistory(t *testing.T, seed uint64) *history {
	h := &history{t: t, r: gittest.New(t), rng: rand.New(rand.NewPCG(seed, 7)), when: time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)}
	h.r.Git("config", "merge.conflictstyle", "merge")
	h.r.Write(map[string]string{".mailmap": "Ada Lovelace <ada@example.com> Ada L <ada.l@old.example.com>\n"})
	return h
}

func (h *history) line(tag string) string {
	return fmt.Sprintf("%s_%d := compute(%d)", tag, h.rng.IntN(1e6), h.rng.IntN(100))
}

// content is a new file body of n lines.
func (h *history) content(n int) []string {
	var ls []string
	for i := 0; i < n; i++ {
		switch h.rng.IntN(8) {
		case 0:
			ls = append(ls, "}")
		case 1:
			ls = append(ls, "")
		default:
			ls = append(ls, h.line("v"))
		}
	}
	return ls
}

func (h *history) read(p string) []string {
	b, err := os.ReadFile(filepath.Join(h.r.Dir, p))
	if err != nil {
		return nil
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func (h *history) write(p string, ls []string, finalNewline bool) {
	s := strings.Join(ls, "\n")
	if finalNewline && len(ls) > 0 {
		s += "\n"
	}
	full := filepath.Join(h.r.Dir, p)
	os.Remove(full)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// edit changes a few blocks of an existing file.
func (h *history) edit(p string) {
	ls := h.read(p)
	for k := 0; k < 1+h.rng.IntN(3); k++ {
		at := 0
		if len(ls) > 0 {
			at = h.rng.IntN(len(ls) + 1)
		}
		switch h.rng.IntN(3) {
		case 0: // insert
			ls = append(ls[:at], append(h.content(1+h.rng.IntN(5)), ls[at:]...)...)
		case 1: // delete
			n := min(1+h.rng.IntN(4), len(ls)-at)
			ls = append(ls[:at], ls[at+n:]...)
		default: // replace
			n := min(1+h.rng.IntN(4), len(ls)-at)
			ls = append(ls[:at], append(h.content(n+h.rng.IntN(2)), ls[at+n:]...)...)
		}
	}
	h.write(p, ls, h.rng.IntN(10) != 0)
}

func (h *history) tracked() []string {
	out := h.r.Git("-c", "core.quotePath=false", "ls-files", "-s")
	var fs []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "100644 ") {
			fs = append(fs, l[strings.IndexByte(l, '\t')+1:])
		}
	}
	return fs
}

func (h *history) commit(who gittest.Person) string {
	h.n++
	h.when = h.when.Add(time.Duration(1+h.rng.IntN(40)) * time.Hour)
	when := h.when
	if h.rng.IntN(15) == 0 {
		when = when.Add(-time.Duration(h.rng.IntN(60*24)) * time.Hour) // older than its parent
	}
	h.r.Git("add", "-A")
	date := when.Format(time.RFC3339)
	h.r.GitEnv([]string{
		"GIT_AUTHOR_NAME=" + who.Name, "GIT_AUTHOR_EMAIL=" + who.Email, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + who.Name, "GIT_COMMITTER_EMAIL=" + who.Email, "GIT_COMMITTER_DATE=" + date,
	}, "commit", "-q", "--allow-empty", "--no-verify", "-m", fmt.Sprintf("c%d", h.n))
	return h.r.Git("rev-parse", "HEAD")
}

// change makes one random commit's worth of changes.
func (h *history) change() {
	fs := h.tracked()
	ops := 1 + h.rng.IntN(3)
	for k := 0; k < ops; k++ {
		switch x := h.rng.IntN(100); {
		case x < 50 && len(fs) > 0:
			h.edit(fs[h.rng.IntN(len(fs))])
		case x < 60 || len(fs) == 0:
			name := fmt.Sprintf("pkg%d/f%d.go", h.rng.IntN(4), h.rng.IntN(40))
			if h.rng.IntN(12) == 0 {
				name = fmt.Sprintf("caf\xe9/n\xff%d.txt", h.rng.IntN(3)) // not UTF-8
			}
			h.write(name, h.content(5+h.rng.IntN(60)), h.rng.IntN(8) != 0)
		case x < 68 && len(fs) > 0: // rename, often with edits
			from := fs[h.rng.IntN(len(fs))]
			to := fmt.Sprintf("moved%d/%s", h.rng.IntN(3), filepath.Base(from))
			if _, err := os.Stat(filepath.Join(h.r.Dir, to)); err == nil {
				continue
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(h.r.Dir, to)), 0o755); err != nil {
				h.t.Fatal(err)
			}
			if _, err := h.r.GitErr(nil, "mv", from, to); err != nil {
				continue
			}
			if h.rng.IntN(2) == 0 {
				h.edit(to)
			}
		case x < 73 && len(fs) > 0: // delete; re-added later under the same name by chance
			h.r.GitErr(nil, "rm", "-q", "-f", fs[h.rng.IntN(len(fs))])
		case x < 77: // CRLF
			ls := h.content(4 + h.rng.IntN(10))
			for i := range ls {
				if h.rng.IntN(4) != 0 {
					ls[i] += "\r"
				}
			}
			h.write(fmt.Sprintf("win/crlf%d.txt", h.rng.IntN(3)), ls, true)
		case x < 80: // binary
			b := []byte(fmt.Sprintf("\x00\x01bin%d\n%s\n", h.rng.IntN(1000), h.line("b")))
			if err := os.WriteFile(filepath.Join(h.r.Dir, fmt.Sprintf("assets/b%d.bin", h.rng.IntN(3))), b, 0o644); err != nil {
				os.MkdirAll(filepath.Join(h.r.Dir, "assets"), 0o755)
				os.WriteFile(filepath.Join(h.r.Dir, fmt.Sprintf("assets/b%d.bin", h.rng.IntN(3))), b, 0o644)
			}
		case x < 84 && len(fs) > 0: // symlink, sometimes replacing a file (a type change)
			p := fmt.Sprintf("links/l%d", h.rng.IntN(3))
			if h.rng.IntN(2) == 0 {
				p = fs[h.rng.IntN(len(fs))]
			}
			full := filepath.Join(h.r.Dir, p)
			os.Remove(full)
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.Symlink(fs[h.rng.IntN(len(fs))], full); err != nil {
				h.t.Fatal(err)
			}
		case x < 86: // a gitlink
			sha := fmt.Sprintf("%040x", h.rng.Uint64())
			h.r.Git("update-index", "--add", "--cacheinfo", "160000,"+sha+",deps/mod"+fmt.Sprint(h.rng.IntN(2)))
		default:
			if len(fs) > 0 {
				h.edit(fs[h.rng.IntN(len(fs))])
			}
		}
	}
}

// merge merges branches into the current one, resolving conflicts by hand:
// each conflict becomes both sides plus a line of its own.
func (h *history) merge(who gittest.Person, branches ...string) {
	h.when = h.when.Add(time.Hour)
	date := h.when.Format(time.RFC3339)
	env := []string{
		"GIT_AUTHOR_NAME=" + who.Name, "GIT_AUTHOR_EMAIL=" + who.Email, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + who.Name, "GIT_COMMITTER_EMAIL=" + who.Email, "GIT_COMMITTER_DATE=" + date,
	}
	args := append([]string{"merge", "-q", "--no-ff", "--no-edit"}, branches...)
	if _, err := h.r.GitErr(env, args...); err == nil {
		return
	}
	if len(branches) > 1 {
		h.r.GitErr(nil, "merge", "--abort")
		h.r.Git("reset", "-q", "--hard")
		return
	}
	// Resolve: keep both sides of every conflict and add a line.
	out := h.r.Git("-c", "core.quotePath=false", "diff", "--name-only", "--diff-filter=U")
	for _, p := range strings.Split(out, "\n") {
		if p == "" {
			continue
		}
		full := filepath.Join(h.r.Dir, p)
		b, err := os.ReadFile(full)
		if err != nil || strings.Contains(h.r.Git("ls-files", "-s", "--", p), "120000") {
			h.r.Git("rm", "-q", "--cached", "--", p)
			os.Remove(full)
			continue
		}
		var res []string
		for _, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(l, "<<<<<<<"), strings.HasPrefix(l, "======="):
			case strings.HasPrefix(l, ">>>>>>>"):
				res = append(res, h.line("resolved"))
			default:
				res = append(res, l)
			}
		}
		if err := os.WriteFile(full, []byte(strings.Join(res, "\n")), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	h.r.Git("add", "-A")
	h.r.GitEnv(env, "commit", "-q", "--no-edit", "--no-verify")
}

// build makes n commits on several branches.
func (h *history) build(n int) {
	if h.n == 0 {
		h.write("main.go", h.content(30), true)
		h.commit(people[0])
		h.branches = []string{"main"}
	}
	for h.n < n {
		branches := h.branches
		switch x := h.rng.IntN(100); {
		case x < 8: // a new branch from here or from an older commit
			name := fmt.Sprintf("b%d", h.n)
			from := "HEAD"
			if h.rng.IntN(3) == 0 {
				from = fmt.Sprintf("HEAD~%d", h.rng.IntN(3))
			}
			if _, err := h.r.GitErr(nil, "checkout", "-q", "-b", name, from); err != nil {
				continue
			}
			h.branches = append(h.branches, name)
		case x < 14 && len(branches) > 1: // switch branch
			h.r.Git("checkout", "-q", "-f", branches[h.rng.IntN(len(branches))])
		case x < 22 && len(branches) > 1: // merge another branch in
			cur := h.r.Git("rev-parse", "--abbrev-ref", "HEAD")
			other := branches[h.rng.IntN(len(branches))]
			if other == cur {
				continue
			}
			if h.rng.IntN(6) == 0 && len(branches) > 2 {
				third := branches[h.rng.IntN(len(branches))]
				if third != cur && third != other {
					h.merge(people[h.rng.IntN(len(people))], other, third)
					h.n++
					continue
				}
			}
			h.merge(people[h.rng.IntN(len(people))], other)
			h.n++
		default:
			h.change()
			h.commit(people[h.rng.IntN(len(people))])
		}
	}
}

func TestMatchesBlame(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			h := newHistory(t, seed)
			h.build(250)
			// KEEP_REPO=DIR copies the generated repository there for a look.
			if d := os.Getenv("KEEP_REPO"); d != "" {
				defer exec.Command("cp", "-a", h.r.Dir, d).Run()
			}
			got := replayAll(t, h.r.Dir, Options{})
			checkOracle(t, h.r.Dir, got, nil, 0)
		})
	}
}

// branchTips are the commits of the repository's branches.
func branchTips(t testing.TB, dir string) map[string]bool {
	out, err := (&gitcmd.Runner{Dir: dir}).Output(context.Background(), "for-each-ref", "--format=%(objectname)", "refs/heads")
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, sha := range strings.Fields(string(out)) {
		keep[sha] = true
	}
	return keep
}

// TestIncrementalEqualsFull replays a history, saves the engine, grows the
// history (new commits on old branches, merges of old branches), loads the
// engine and replays only the new commits: every figure must equal a full
// replay's, and only the new commits may be replayed.
func TestIncrementalEqualsFull(t *testing.T) {
	h := newHistory(t, 42)
	h.build(120)
	git := &gitcmd.Runner{Dir: h.r.Dir}
	e := New(git, Options{})
	first := map[string]Counts{}
	collect := func(into map[string]Counts) func(*gitlog.Commit, []Counts) error {
		return func(c *gitlog.Commit, files []Counts) error {
			var sum Counts
			for _, f := range files {
				sum.Add(f)
			}
			if _, dup := into[c.SHA]; dup {
				t.Errorf("%s replayed twice", c.SHA)
			}
			into[c.SHA] = sum
			return nil
		}
	}
	oldTips := revs(t, h.r.Dir)
	if err := e.Replay(context.Background(), oldTips, branchTips(t, h.r.Dir), collect(first)); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "p.snap")
	if err := e.SaveFile(snap, []byte("meta")); err != nil {
		t.Fatal(err)
	}
	// Grow: the builder switches between old branches and merges them.
	h.build(220)
	e2, meta, err := LoadFile(snap, git, Options{})
	if err != nil || string(meta) != "meta" {
		t.Fatalf("load: %v, meta %q", err, meta)
	}
	var neg strings.Builder
	for _, sha := range strings.Fields(oldTips) {
		neg.WriteString("^" + sha + "\n")
	}
	second := map[string]Counts{}
	err = e2.Replay(context.Background(), revs(t, h.r.Dir)+neg.String(), branchTips(t, h.r.Dir), collect(second))
	if errors.Is(err, ErrMissingState) {
		t.Fatalf("incremental replay needs a tree the snapshot lacks: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	full := replayAll(t, h.r.Dir, Options{})
	newCommits := strings.Fields(h.r.GitInput([]byte(revs(t, h.r.Dir)+neg.String()), "rev-list", "--stdin"))
	if len(second) != len(newCommits) {
		t.Errorf("incremental replay replayed %d commits, want the %d new ones", len(second), len(newCommits))
	}
	merges := 0
	for _, sha := range newCommits {
		got, ok := second[sha]
		if !ok {
			t.Errorf("new commit %s not replayed", sha)
			continue
		}
		want, isCommit := full[sha]
		if !isCommit {
			merges++
			continue
		}
		if got != want {
			t.Errorf("%s: incremental %+v, full %+v", sha[:10], got, want)
		}
	}
	if merges == 0 {
		t.Error("the grown history has no merge; the test does not test merges of old branches")
	}
	for sha, c := range first {
		if w, ok := full[sha]; ok && w != c {
			t.Errorf("%s: first replay %+v, full %+v", sha[:10], c, w)
		}
	}
}

// TestRealisticMatchesBlame is the acceptance check of the engine: on a
// generated history of 20 000 commits with realistic branch and merge
// structure, a deterministic sample of non-merge commits agrees exactly
// with git blame.
func TestRealisticMatchesBlame(t *testing.T) {
	r := gittest.New(t)
	r.ImportRealistic(gittest.RealisticOptions{Commits: 20000, Seed: 11})
	got := replayAll(t, r.Dir, Options{})
	if len(got) < 15000 {
		t.Fatalf("replayed %d non-merge commits", len(got))
	}
	shas := make([]string, 0, len(got))
	for sha := range got {
		shas = append(shas, sha)
	}
	slices.Sort(shas)
	rng := rand.New(rand.NewPCG(11, 11))
	rng.Shuffle(len(shas), func(i, j int) { shas[i], shas[j] = shas[j], shas[i] })
	checkOracle(t, r.Dir, got, shas[:240], 0)
}
