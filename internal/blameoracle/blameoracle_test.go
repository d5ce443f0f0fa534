package blameoracle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gittest"
)

func TestMain(m *testing.M) {
	// gitcmd.Runner passes these through; keep the user's config out.
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	os.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	os.Exit(m.Run())
}

var (
	ada   = gittest.Person{Name: "Ada Lovelace", Email: "ada@example.com"}
	grace = gittest.Person{Name: "Grace Hopper", Email: "grace@example.com"}
	base  = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
)

// day is base plus n days.
func day(n int) time.Time { return base.Add(time.Duration(n) * 24 * time.Hour) }

// lines joins ls with a newline after each.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// seq is "p1".."pn", one per line.
func seq(p string, from, to int) []string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, fmt.Sprintf("%s%d", p, i))
	}
	return s
}

func cat(parts ...[]string) []string {
	var s []string
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// step is a commit and the Counts the oracle must give for it.
type step struct {
	name string
	sha  string
	want Counts
	// partial marks a commit whose skipped files (binary, submodule,
	// excluded) make the full commit diff differ from the counted hunks.
	partial bool
}

// commitIndex commits the index as it is (no add -A).
func commitIndex(r *gittest.Repo, msg string, who gittest.Person, when time.Time) string {
	r.T.Helper()
	date := when.Format(time.RFC3339)
	r.GitEnv([]string{
		"GIT_AUTHOR_NAME=" + who.Name, "GIT_AUTHOR_EMAIL=" + who.Email, "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=" + who.Name, "GIT_COMMITTER_EMAIL=" + who.Email, "GIT_COMMITTER_DATE=" + date,
	}, "commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

func remove(t *testing.T, r *gittest.Repo, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.RemoveAll(filepath.Join(r.Dir, p)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCommit(t *testing.T) {
	tests := []struct {
		name  string
		setup func(o *Oracle)
		build func(t *testing.T, r *gittest.Repo) []step
	}{
		{
			name: "story",
			build: func(t *testing.T, r *gittest.Repo) []step {
				v0 := seq("L", 1, 10)
				v1 := cat(v0[:1], seq("G", 2, 4), v0[4:])                  // Grace replaces L2-L4
				v2 := cat(v1[:6], seq("A", 7, 8), v1[8:], seq("N", 1, 5))  // Ada replaces L7, L8, adds 5
				v3 := cat(seq("X", 1, 3), v2[2:])                          // Grace replaces L1 (Ada's) and G2 (hers) by 3 lines
				v4 := cat(v3[:5], v3[7:9], v3[11:])                        // Ada deletes L5, L6, L9, L10 40+ days later
				v5 := cat(v4[:len(v4)-1], []string{"N5 changed", "extra"}) // Ada, N5 is 2 days old
				return []step{
					{"root", r.Commit("v0", ada, day(0), map[string]string{"a.txt": lines(v0...)}), Counts{Hunks: 1, HALOC: 10, NewWork: 10}, false},
					{"grace replaces 3", r.Commit("v1", grace, day(1), map[string]string{"a.txt": lines(v1...)}), Counts{Hunks: 1, HALOC: 3, HelpOthers: 3}, false},
					{"ada reworks 2 adds 5", r.Commit("v2", ada, day(2), map[string]string{"a.txt": lines(v2...)}), Counts{Hunks: 2, HALOC: 7, NewWork: 5, Rework: 2}, false},
					{"grace mixed", r.Commit("v3", grace, day(3), map[string]string{"a.txt": lines(v3...)}), Counts{Hunks: 1, HALOC: 3, NewWork: 1, HelpOthers: 1, Rework: 1}, false},
					{"ada legacy", r.Commit("v4", ada, day(43), map[string]string{"a.txt": lines(v4...)}), Counts{Hunks: 2, HALOC: 4, LegacyRefactor: 4}, false},
					// N5's origin is v2 (day 2): 43 days old, legacy.
					{"ada old line", r.Commit("v5", ada, day(45), map[string]string{"a.txt": lines(v5...)}), Counts{Hunks: 1, HALOC: 2, NewWork: 1, LegacyRefactor: 1}, false},
				}
			},
		},
		{
			name: "window boundary",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(0), map[string]string{"f": lines("a", "b", "c")})
				return []step{
					{"exactly 21 days", r.Commit("v1", grace, day(21), map[string]string{"f": lines("b", "c")}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
					{"21 days and 1 s", r.Commit("v2", grace, day(21).Add(time.Second), map[string]string{"f": lines("c")}), Counts{Hunks: 1, HALOC: 1, LegacyRefactor: 1}, false},
				}
			},
		},
		{
			name:  "custom window",
			setup: func(o *Oracle) { o.Window = 30 * 24 * time.Hour },
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(0), map[string]string{"f": lines("a", "b", "c")})
				return []step{
					{"25 days", r.Commit("v1", ada, day(25), map[string]string{"f": lines("b", "c")}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
					{"31 days", r.Commit("v2", ada, day(31), map[string]string{"f": lines("c")}), Counts{Hunks: 1, HALOC: 1, LegacyRefactor: 1}, false},
				}
			},
		},
		{
			name: "negative age",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(40), map[string]string{"f": lines("a", "b", "c")})
				return []step{
					{"other person, older date", r.Commit("v1", grace, day(5), map[string]string{"f": lines("b", "c")}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
					{"same person, older date", r.Commit("v2", ada, day(1), map[string]string{"f": lines("c")}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
				}
			},
		},
		{
			name: "mailmap aliases",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("mailmap", ada, day(0), map[string]string{".mailmap": "Ada Lovelace <ada@example.com> <ada@old.example>\n"})
				old := gittest.Person{Name: "A. L.", Email: "Ada@Old.Example"}
				r.Commit("v0", old, day(1), map[string]string{"f": lines("a", "b", "c")})
				return []step{
					{"alias reworks", r.Commit("v1", ada, day(2), map[string]string{"f": lines("A", "b", "c")}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
					{"upper-case email reworks", r.Commit("v2", gittest.Person{Name: "Ada", Email: "ADA@example.com"}, day(3), map[string]string{"f": lines("A", "B", "c")}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
					{"other helps", r.Commit("v3", grace, day(4), map[string]string{"f": lines("A", "B", "C")}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
				}
			},
		},
		{
			name: "person func",
			setup: func(o *Oracle) {
				o.Person = func(email string) string {
					if email == "ada@work.example" {
						return "ada@example.com"
					}
					return email
				}
			},
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", gittest.Person{Name: "Ada", Email: "ada@work.example"}, day(0), map[string]string{"f": lines("a", "b")})
				return []step{
					{"same person", r.Commit("v1", ada, day(1), map[string]string{"f": lines("A", "b")}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
				}
			},
		},
		{
			name: "rename with edit",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(0), map[string]string{"old.txt": lines(seq("line ", 1, 10)...)})
				remove(t, r, "old.txt")
				edited := seq("line ", 1, 10)
				edited[2] = "line three"
				edited = append(edited, "line 11")
				sha := r.Commit("v1", grace, day(1), map[string]string{"new/name.txt": lines(edited...)})
				if got := r.Git("diff", "--name-status", "-M", "HEAD~1", "HEAD"); !strings.HasPrefix(got, "R") {
					t.Fatalf("not a rename: %s", got)
				}
				// Ada edits it again under the new name: blame must follow the rename.
				edited[5] = "line six"
				return []step{
					{"rename", sha, Counts{Hunks: 2, HALOC: 2, NewWork: 1, HelpOthers: 1}, false},
					{"after rename", r.Commit("v2", ada, day(2), map[string]string{"new/name.txt": lines(edited...)}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
				}
			},
		},
		{
			name: "delete and re-add",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(0), map[string]string{"f": lines("a", "b", "c", "d"), "keep": "k\n"})
				remove(t, r, "f")
				del := r.Commit("v1", grace, day(1), nil)
				readd := r.Commit("v2", ada, day(25), map[string]string{"f": lines("a", "b", "c", "d")})
				// Blame must name the re-adding commit (5 days old), not v0
				// (30 days old).
				return []step{
					{"delete", del, Counts{Hunks: 1, HALOC: 4, HelpOthers: 4}, false},
					{"re-add", readd, Counts{Hunks: 1, HALOC: 4, NewWork: 4}, false},
					{"edit re-added", r.Commit("v3", ada, day(30), map[string]string{"f": lines("a", "B", "c", "d")}), Counts{Hunks: 1, HALOC: 1, Rework: 1}, false},
				}
			},
		},
		{
			name: "file replaced by directory",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(0), map[string]string{"a": lines("1", "2"), "a.txt": "x\n"})
				remove(t, r, "a")
				return []step{
					{"a becomes a/", r.Commit("v1", grace, day(1), map[string]string{"a/x": lines("p", "q", "r")}), Counts{Hunks: 2, HALOC: 5, NewWork: 3, HelpOthers: 2}, false},
				}
			},
		},
		{
			name: "crlf and final newline",
			build: func(t *testing.T, r *gittest.Repo) []step {
				r.Commit("v0", ada, day(0), map[string]string{"crlf.txt": "a\r\nb\r\nc\r\n", "nonl.txt": "x\ny\nz"})
				return []step{
					{"crlf line", r.Commit("v1", grace, day(1), map[string]string{"crlf.txt": "a\r\nB\r\nc\r\n"}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
					{"add final newline", r.Commit("v2", grace, day(2), map[string]string{"nonl.txt": "x\ny\nz\n"}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
					{"append without newline", r.Commit("v3", grace, day(3), map[string]string{"nonl.txt": "x\ny\nz\nw"}), Counts{Hunks: 1, HALOC: 1, NewWork: 1}, false},
					{"drop last line", r.Commit("v4", ada, day(4), map[string]string{"nonl.txt": "x\ny\nz\n"}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
					{"crlf to lf", r.Commit("v5", ada, day(5), map[string]string{"crlf.txt": "a\nB\nc\n"}), Counts{Hunks: 1, HALOC: 3, Rework: 2, HelpOthers: 1}, false},
				}
			},
		},
		{
			name: "binary skipped",
			build: func(t *testing.T, r *gittest.Repo) []step {
				return []step{
					{"root", r.Commit("v0", ada, day(0), map[string]string{"bin.dat": "\x00\x01\x02\nzz\n", "t.txt": lines("a", "b")}), Counts{Hunks: 1, HALOC: 2, NewWork: 2}, true},
					{"edit", r.Commit("v1", grace, day(1), map[string]string{"bin.dat": "\x00\x01\x03\nyy\n", "t.txt": lines("a", "B")}), Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, true},
				}
			},
		},
		{
			name: "symlink",
			build: func(t *testing.T, r *gittest.Repo) []step {
				link := func(target string) {
					remove(t, r, "link")
					if err := os.Symlink(target, filepath.Join(r.Dir, "link")); err != nil {
						t.Fatal(err)
					}
				}
				link("target-a")
				s0 := r.Commit("v0", ada, day(0), nil)
				link("target-b")
				s1 := r.Commit("v1", grace, day(1), nil)
				remove(t, r, "link")
				// A type change: git prints the deletion of the symlink and
				// the creation of the file.
				s2 := r.Commit("v2", ada, day(2), map[string]string{"link": lines("target-b", "y")})
				return []step{
					{"create", s0, Counts{Hunks: 1, HALOC: 1, NewWork: 1}, false},
					{"retarget", s1, Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, false},
					{"symlink to file", s2, Counts{Hunks: 2, HALOC: 3, NewWork: 2, HelpOthers: 1}, false},
				}
			},
		},
		{
			name: "submodule skipped",
			build: func(t *testing.T, r *gittest.Repo) []step {
				s0 := r.Commit("v0", ada, day(0), map[string]string{"t.txt": lines("a", "b")})
				r.Write(map[string]string{"t.txt": lines("a", "B")})
				r.Git("add", "t.txt")
				r.Git("update-index", "--add", "--cacheinfo", "160000,"+s0+",sub")
				s1 := commitIndex(r, "v1", grace, day(1))
				r.Git("update-index", "--cacheinfo", "160000,"+s1+",sub")
				s2 := commitIndex(r, "v2", grace, day(2))
				return []step{
					{"add submodule", s1, Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, true},
					{"move submodule", s2, Counts{}, true},
				}
			},
		},
		{
			name: "odd paths",
			build: func(t *testing.T, r *gittest.Repo) []step {
				latin1 := "caf\xe9.txt" // not UTF-8
				r.Commit("v0", ada, day(0), map[string]string{
					"dir with space/fi le.txt": lines("a", "b", "c"),
					latin1:                     lines(seq("l", 1, 8)...),
					"[x]*.txt":                 lines("g"),
					":colon":                   lines("c"),
					"-dash":                    lines("d"),
				})
				remove(t, r, latin1)
				ren := cat(seq("l", 1, 7), []string{"L8"})
				return []step{
					{"edit all", r.Commit("v1", grace, day(1), map[string]string{
						"dir with space/fi le.txt": lines("a", "B", "c"),
						"ren\xe9 d\t.txt":          lines(ren...),
						"[x]*.txt":                 lines("G"),
						":colon":                   lines("C"),
						"-dash":                    lines("D"),
					}), Counts{Hunks: 5, HALOC: 5, HelpOthers: 5}, false},
				}
			},
		},
		{
			name: "excluded files",
			setup: func(o *Oracle) {
				o.Excluded = func(p string) bool { return strings.HasPrefix(p, "vendor/") }
			},
			build: func(t *testing.T, r *gittest.Repo) []step {
				s0 := r.Commit("v0", ada, day(0), map[string]string{"main.go": lines("a", "b"), "vendor/v.go": lines("v", "w"), "vendor/old.go": lines("o")})
				remove(t, r, "vendor/old.go")
				s1 := r.Commit("v1", grace, day(1), map[string]string{"main.go": lines("A", "b"), "vendor/v.go": lines("V", "W")})
				// A deletion is judged on the path at P.
				remove(t, r, "vendor/v.go")
				s2 := r.Commit("v2", grace, day(2), nil)
				return []step{
					{"root", s0, Counts{Hunks: 1, HALOC: 2, NewWork: 2}, true},
					{"edit", s1, Counts{Hunks: 1, HALOC: 1, HelpOthers: 1}, true},
					{"delete excluded", s2, Counts{}, true},
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := gittest.New(t)
			steps := tc.build(t, r)
			o := &Oracle{Git: &gitcmd.Runner{Dir: r.Dir}}
			if tc.setup != nil {
				tc.setup(o)
			}
			for _, s := range steps {
				got, err := o.Commit(context.Background(), s.sha)
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if got != s.want {
					t.Errorf("%s: got %+v, want %+v", s.name, got, s.want)
				}
				checkInvariant(t, s.name, got)
				if !s.partial {
					checkFullDiff(t, r, s.sha, got)
				}
			}
		})
	}
}

func checkInvariant(t *testing.T, name string, c Counts) {
	t.Helper()
	if c.HALOC != c.NewWork+c.LegacyRefactor+c.HelpOthers+c.Rework {
		t.Errorf("%s: HALOC %d != new work + legacy + help others + rework in %+v", name, c.HALOC, c)
	}
}

// checkFullDiff compares the Hunks and HALOC of c with those of the whole,
// unrestricted `git diff -U0 -M P C` (P the empty tree for a root commit).
func checkFullDiff(t *testing.T, r *gittest.Repo, sha string, c Counts) {
	t.Helper()
	parent := r.Git("hash-object", "-t", "tree", "/dev/null")
	if ps := strings.Fields(r.Git("log", "-1", "--format=%P", sha)); len(ps) == 1 {
		parent = ps[0]
	}
	hunks, err := parseHunks([]byte(r.Git("diff", "-U0", "-M", "--no-color", parent, sha)))
	if err != nil {
		t.Fatal(err)
	}
	var want Counts
	for _, h := range hunks {
		want.Hunks++
		want.HALOC += max(h.a, h.d)
	}
	if c.Hunks != want.Hunks || c.HALOC != want.HALOC {
		t.Errorf("%s: hunks %d, HALOC %d; the full commit diff has %d, %d", sha, c.Hunks, c.HALOC, want.Hunks, want.HALOC)
	}
}

func TestMerge(t *testing.T) {
	r := gittest.New(t)
	r.Commit("v0", ada, day(0), map[string]string{"f": "a\n"})
	r.Git("checkout", "-q", "-b", "side")
	r.Commit("side", grace, day(1), map[string]string{"g": "b\n"})
	r.Git("checkout", "-q", "main")
	r.Commit("main", ada, day(2), map[string]string{"h": "c\n"})
	r.GitEnv([]string{"GIT_AUTHOR_DATE=" + day(3).Format(time.RFC3339), "GIT_COMMITTER_DATE=" + day(3).Format(time.RFC3339)}, "merge", "-q", "--no-edit", "side")
	o := &Oracle{Git: &gitcmd.Runner{Dir: r.Dir}}
	if _, err := o.Commit(context.Background(), r.Git("rev-parse", "HEAD")); !errors.Is(err, ErrMerge) {
		t.Fatalf("merge: err = %v, want ErrMerge", err)
	}
	if _, err := o.Commit(context.Background(), "0123456789012345678901234567890123456789"); err == nil || errors.Is(err, ErrMerge) {
		t.Fatalf("unknown commit: err = %v", err)
	}
}

// TestBlobDiffEqualsCommitDiff records why the oracle takes its hunks from
// the commit diff restricted to the pair's paths: for a rename with edits
// the blob-to-blob diff agrees with it, but for a type change git's commit
// diff is a deletion plus a creation while the blobs' diff is not.
func TestBlobDiffEqualsCommitDiff(t *testing.T) {
	r := gittest.New(t)
	r.Commit("v0", ada, day(0), map[string]string{"old.txt": lines(seq("line ", 1, 20)...), "t": "same\n"})
	remove(t, r, "old.txt", "t")
	edited := seq("line ", 1, 20)
	edited[3], edited[12] = "four", "thirteen"
	edited = append(edited[:7], edited[9:]...)
	if err := os.Symlink("same", filepath.Join(r.Dir, "t")); err != nil {
		t.Fatal(err)
	}
	r.Commit("v1", grace, day(1), map[string]string{"new.txt": lines(edited...)})

	raw, err := parseRaw([]byte(r.GitInput(nil, "diff", "--raw", "-z", "-M", "--no-abbrev", "HEAD~1", "HEAD")))
	if err != nil {
		t.Fatal(err)
	}
	rawOut := r.Git("diff", "--raw", "--no-abbrev", "-M", "HEAD~1", "HEAD")
	o := &Oracle{Git: &gitcmd.Runner{Dir: r.Dir}}
	p0, p1 := r.Git("rev-parse", "HEAD~1"), r.Git("rev-parse", "HEAD")
	for _, p := range raw {
		commit, err := o.hunks(context.Background(), p0, p1, p)
		if err != nil {
			t.Fatal(err)
		}
		oldBlob := r.Git("rev-parse", "HEAD~1:"+p.oldPath)
		newBlob := r.Git("rev-parse", "HEAD:"+p.newPath)
		blob, err := parseHunks([]byte(r.Git("diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", oldBlob, newBlob)))
		if err != nil {
			t.Fatal(err)
		}
		switch p.status {
		case 'R':
			if fmt.Sprint(commit) != fmt.Sprint(blob) || len(commit) != 3 {
				t.Errorf("rename: commit diff hunks %v, blob diff hunks %v\n%s", commit, blob, rawOut)
			}
		case 'T':
			if fmt.Sprint(commit) != fmt.Sprint([]hunk{{1, 1, 0}, {0, 0, 1}}) || len(blob) != 1 {
				t.Errorf("type change: commit diff hunks %v, blob diff hunks %v", commit, blob)
			}
		default:
			t.Errorf("unexpected pair %+v\n%s", p, rawOut)
		}
	}
	full, err := parseHunks([]byte(r.Git("diff", "-U0", "-M", "HEAD~1", "HEAD")))
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 5 {
		t.Errorf("full commit diff: %d hunks, want 5", len(full))
	}
}

// TestBlameAppliesMailmap records that git blame --porcelain prints the
// mailmap-resolved author-mail (git 2.39), so no per-origin git log is
// needed.
func TestBlameAppliesMailmap(t *testing.T) {
	r := gittest.New(t)
	r.Commit("v0", gittest.Person{Name: "x", Email: "Old@Alias.Example"}, day(0), map[string]string{
		".mailmap": "Ada Lovelace <ada@example.com> <old@alias.example>\n", "f": "a\n"})
	out := r.Git("blame", "--porcelain", "HEAD", "--", "f")
	if !strings.Contains(out, "\nauthor-mail <ada@example.com>\n") {
		t.Fatalf("blame did not apply the mailmap:\n%s", out)
	}
	origins, err := parsePorcelain([]byte(out + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if og := origins[1]; og.email != "ada@example.com" || og.time != day(0).Unix() {
		t.Fatalf("origin %+v", og)
	}
}

func TestParsePorcelain(t *testing.T) {
	a := strings.Repeat("a", 40)
	b := strings.Repeat("b", 40)
	out := a + " 1 3 2\nauthor A\nauthor-mail <A@X.com>\nauthor-time 100\nboundary\nfilename f\n\tline three\n" +
		a + " 2 4\n\tline four\n" +
		b + " 7 9 1\nauthor B\nauthor-mail <b@y.com>\nauthor-time 200\nprevious " + a + " f\nfilename f\n\t\n" +
		a + " 5 10 1\nfilename f\n\t\tindented\n"
	got, err := parsePorcelain([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]origin{3: {"a@x.com", 100}, 4: {"a@x.com", 100}, 9: {"b@y.com", 200}, 10: {"a@x.com", 100}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := parsePorcelain([]byte(a + " 1 1 1\nauthor A\n")); err == nil {
		t.Error("truncated output: no error")
	}
	if _, err := parsePorcelain([]byte(a + " 1 1 1\n\tx\n")); err == nil {
		t.Error("no author-time: no error")
	}
}

func TestParseHunkHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want hunk
		bad  bool
	}{
		{in: "@@ -3 +3 @@", want: hunk{3, 1, 1}},
		{in: "@@ -3,0 +4,2 @@ func f() {", want: hunk{3, 0, 2}},
		{in: "@@ -1,5 +0,0 @@", want: hunk{1, 5, 0}},
		{in: "@@ -x +1 @@", bad: true},
		{in: "@@ -1 @@", bad: true},
	} {
		got, err := parseHunkHeader(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("%q: got %v, %v", tc.in, got, err)
		}
	}
}
