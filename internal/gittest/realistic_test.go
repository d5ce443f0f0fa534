package gittest_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/gittest"
)

func TestRealisticIsDeterministic(t *testing.T) {
	o := gittest.RealisticOptions{Commits: 600, Seed: 7}
	a := gittest.Realistic(o)
	if b := gittest.Realistic(o); !bytes.Equal(a, b) {
		t.Fatal("the same options gave different streams")
	}
	var w bytes.Buffer
	if err := gittest.WriteRealistic(&w, o); err != nil || !bytes.Equal(a, w.Bytes()) {
		t.Fatalf("WriteRealistic differs from Realistic (err %v)", err)
	}
	for _, other := range []gittest.RealisticOptions{{Commits: 600, Seed: 8}, {Commits: 600, Seed: 7, Authors: 12}} {
		if bytes.Equal(a, gittest.Realistic(other)) {
			t.Errorf("%+v gave the same stream as %+v", other, o)
		}
	}
	for _, n := range []int{1, 2, 15} { // tiny histories import too
		r := gittest.New(t)
		r.FastImport(gittest.Realistic(gittest.RealisticOptions{Commits: n, Seed: 3}))
		if got := r.Git("rev-list", "--all", "--count"); got != strconv.Itoa(n) {
			t.Errorf("Commits %d: %s commits imported", n, got)
		}
	}
}

// blob is one file of a tree.
type blob struct {
	mode string
	data []byte
}

// treeFiles reads every file of rev: path → mode and content (gitlinks
// have no content).
func treeFiles(t *testing.T, r *gittest.Repo, rev string) map[string]blob {
	t.Helper()
	ls := r.Git("ls-tree", "-r", "-z", rev)
	files := map[string]blob{}
	var ids bytes.Buffer
	var order []string
	for _, e := range strings.Split(ls, "\x00") {
		if e == "" {
			continue
		}
		meta, path, _ := strings.Cut(e, "\t")
		f := strings.Fields(meta) // mode type id
		files[path] = blob{mode: f[0]}
		if f[1] == "blob" {
			ids.WriteString(f[2] + "\n")
			order = append(order, path)
		}
	}
	cmd := exec.Command("git", "-C", r.Dir, "cat-file", "--batch")
	cmd.Env = gittest.Env()
	cmd.Stdin = &ids
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cat-file: %v", err)
	}
	br := bufio.NewReader(bytes.NewReader(out))
	for _, path := range order {
		header, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		size, _ := strconv.Atoi(strings.Fields(header)[2])
		data := make([]byte, size+1) // content and LF
		if _, err := io.ReadFull(br, data); err != nil {
			t.Fatal(err)
		}
		files[path] = blob{files[path].mode, data[:size]}
	}
	return files
}

func TestRealistic(t *testing.T) {
	const commits = 3000
	r := gittest.New(t)
	r.ImportRealistic(gittest.RealisticOptions{Commits: commits, Seed: 1})
	count := func(args ...string) int {
		t.Helper()
		n, err := strconv.Atoi(r.Git(args...))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if out := r.Git("fsck", "--strict", "--no-progress"); out != "" {
		t.Errorf("git fsck --strict:\n%s", out)
	}
	if n := count("rev-list", "--all", "--count"); n != commits {
		t.Errorf("%d commits reachable, want %d", n, commits)
	}

	t.Run("branches and merges", func(t *testing.T) {
		merges := count("rev-list", "--all", "--merges", "--count")
		if ratio := float64(merges) / commits; ratio < 0.10 || ratio > 0.15 {
			t.Errorf("%d merges: %.1f %% of the commits, want 10–15 %%", merges, 100*ratio)
		}
		if n := count("rev-list", "--all", "--min-parents=3", "--count"); n == 0 {
			t.Error("no octopus merge")
		}
		// Criss-cross: two merges with the same parents swapped.
		pairs := map[string]bool{}
		for _, l := range strings.Split(r.Git("rev-list", "--all", "--merges", "--max-parents=2", "--parents"), "\n") {
			if f := strings.Fields(l); len(f) == 3 {
				pairs[f[1]+" "+f[2]] = true
			}
		}
		crossed := 0
		for p := range pairs {
			a, b, _ := strings.Cut(p, " ")
			if pairs[b+" "+a] {
				crossed++
			}
		}
		if crossed == 0 {
			t.Error("no criss-cross merges")
		}
		// A hand resolution: the merge has lines that are in neither parent.
		if !strings.Contains("\n"+r.Git("log", "--all", "--merges", "-p", "--cc", "--format="), "\n++") {
			t.Error("no merge with lines in neither parent")
		}
		branches := r.Git("for-each-ref", "--format=%(refname)", "refs/heads")
		for _, want := range []string{"refs/heads/main", "refs/heads/develop", "refs/heads/release/"} {
			if !strings.Contains(branches, want) {
				t.Errorf("no %s among\n%s", want, branches)
			}
		}
		if r.Git("branch", "--no-merged", "main") == "" {
			t.Error("every branch is merged into main")
		}
		if r.Git("tag") == "" {
			t.Error("no tags")
		}
		// Rebased or cherry-picked work: authored before its parent.
		at := map[string]int64{}
		var parents [][2]string
		for _, l := range strings.Split(r.Git("log", "--all", "--format=%H %at %P"), "\n") {
			f := strings.Fields(l)
			at[f[0]], _ = strconv.ParseInt(f[1], 10, 64)
			for _, p := range f[2:] {
				parents = append(parents, [2]string{f[0], p})
			}
		}
		older := 0
		for _, cp := range parents {
			if at[cp[0]] < at[cp[1]] {
				older++
			}
		}
		if older == 0 {
			t.Error("no commit is authored before its parent")
		}
	})

	t.Run("renames and re-adds", func(t *testing.T) {
		pure, edited, moved := 0, 0, 0
		for _, l := range strings.Split(r.Git("log", "--all", "-M", "--diff-filter=R", "--name-status", "--format="), "\n") {
			f := strings.Split(l, "\t")
			if len(f) != 3 {
				continue
			}
			if f[0] == "R100" {
				pure++
			} else {
				edited++
			}
			if d := func(p string) string { i := strings.LastIndex(p, "/"); return p[:max(i, 0)] }; d(f[1]) != d(f[2]) {
				moved++
			}
		}
		if pure == 0 || edited == 0 || moved == 0 {
			t.Errorf("renames: %d plain, %d with edits, %d across directories; want some of each", pure, edited, moved)
		}
		deleted, readded := map[string]bool{}, 0
		for _, l := range strings.Split(r.Git("log", "--all", "--reverse", "--no-renames", "--diff-filter=AD", "--name-status", "--format="), "\n") {
			status, path, _ := strings.Cut(l, "\t")
			switch {
			case status == "D":
				deleted[path] = true
			case status == "A" && deleted[path]:
				readded++
			}
		}
		if readded == 0 {
			t.Error("no file deleted and added again at the same path")
		}
	})

	t.Run("odd entries in history", func(t *testing.T) {
		raw := r.Git("log", "--all", "--root", "--raw", "--no-abbrev", "--no-renames", "--format=")
		for what, want := range map[string]string{
			"symlink":                   " 120000 ",
			"symlink retargeted":        ":120000 120000 ",
			"gitlink":                   " 160000 ",
			"gitlink updated":           ":160000 160000 ",
			"file replaced by symlink":  ":100644 120000 ",
			"symlink replaced by file":  ":120000 100644 ",
			"binary edited in place":    "M\tassets/",
			"lock file changed":         "M\tgo.sum",
			"generated file changed":    "M\tapi/v1/service.pb.go",
			"executable file":           " 100755 ",
			"vendored file changed":     "M\tvendor/",
			"minified JavaScript added": "A\tweb/static/vendor.min.js",
		} {
			if !strings.Contains(raw, want) {
				t.Errorf("no %s (%q) in git log --raw", what, want)
			}
		}
		if !strings.Contains(r.Git("log", "--all", "-p", "--format=", "--", "*.go", "*.md", "*.yaml"), `\ No newline at end of file`) {
			t.Error("no diff touching a file without a final newline")
		}
	})

	t.Run("files at main", func(t *testing.T) {
		files := treeFiles(t, r, "main")
		var crlf, mixed, noEOF, binary, nonUTF8, spaces, large, generated, textFiles int
		var sizes []int
		for path, f := range files {
			if !utf8.ValidString(path) {
				nonUTF8++
			}
			if strings.Contains(path, " ") {
				spaces++
			}
			if f.mode != "100644" && f.mode != "100755" {
				continue
			}
			d := f.data
			if bytes.IndexByte(d, 0) >= 0 {
				binary++
				continue
			}
			if bytes.HasPrefix(d, []byte("// Code generated ")) {
				generated++
			}
			lines := bytes.Count(d, []byte("\n"))
			if len(d) > 0 && d[len(d)-1] != '\n' {
				noEOF++
			}
			switch cr := bytes.Count(d, []byte("\r\n")); {
			case cr == 0:
			case cr == lines:
				crlf++
			default:
				mixed++
			}
			if lines >= 3000 {
				large++
			}
			textFiles++
			sizes = append(sizes, lines)
		}
		slices.Sort(sizes)
		for what, n := range map[string]int{
			"CRLF file": crlf, "mixed line endings file": mixed, "file without a final newline": noEOF,
			"binary file": binary, "non-UTF-8 path": nonUTF8, "path with a space": spaces,
			"file of 3000+ lines": large, "generated file": generated,
		} {
			if n == 0 {
				t.Errorf("no %s at main", what)
			}
		}
		if med := sizes[len(sizes)/2]; med < 30 || med > 800 {
			t.Errorf("median text file has %d lines, want 30–800", med)
		}
		if textFiles < 150 {
			t.Errorf("%d text files at main", textFiles)
		}
		for _, p := range []string{".mailmap", "go.sum", "web/package-lock.json", "web/static/vendor.min.js"} {
			if _, ok := files[p]; !ok {
				t.Errorf("no %s at main", p)
			}
		}
		var vendor, thirdParty, gitlinks, links bool
		for p, f := range files {
			vendor = vendor || strings.HasPrefix(p, "vendor/")
			thirdParty = thirdParty || strings.HasPrefix(p, "third_party/")
			gitlinks = gitlinks || f.mode == "160000"
			links = links || f.mode == "120000"
		}
		if !vendor || !thirdParty || !gitlinks || !links {
			t.Errorf("at main: vendor/ %v, third_party/ %v, gitlink %v, symlink %v; want all", vendor, thirdParty, gitlinks, links)
		}
	})

	t.Run("people", func(t *testing.T) {
		distinct := func(format string) int {
			seen := map[string]bool{}
			for _, l := range strings.Split(r.Git("-c", "mailmap.blob=main:.mailmap", "log", "--all", "--format="+format), "\n") {
				seen[l] = true
			}
			return len(seen)
		}
		raw, mapped := distinct("%an <%ae>"), distinct("%aN <%aE>")
		if mapped >= raw || mapped < 40 {
			t.Errorf("%d identities, %d people after .mailmap; want fewer people, at least 40", raw, mapped)
		}
		authors := r.Git("log", "--all", "--format=%an")
		for _, bot := range []string{"dependabot[bot]", "github-actions[bot]"} {
			if !strings.Contains(authors, bot) {
				t.Errorf("no commit by %s", bot)
			}
		}
		zones := map[string]int{}
		for _, l := range strings.Split(r.Git("log", "--all", "--format=%ai"), "\n") {
			zones[l[len(l)-5:]]++
		}
		var negative, half bool
		for z := range zones {
			negative = negative || z[0] == '-'
			half = half || strings.HasSuffix(z, "30") || strings.HasSuffix(z, "45")
		}
		if len(zones) < 6 || !negative || !half {
			t.Errorf("timezones %v: want six or more, west of UTC and off the hour", zones)
		}
	})
}

// TestRealisticMergesMatchGit checks that merges are true 3-way merges:
// where git merges the two parents without conflict, it gets the same tree.
func TestRealisticMergesMatchGit(t *testing.T) {
	r := gittest.New(t)
	r.ImportRealistic(gittest.RealisticOptions{Commits: 1500, Seed: 2})
	same, differ, conflicts := 0, 0, 0
	var diffs []string
	lines := strings.Split(r.Git("rev-list", "--all", "--merges", "--max-parents=2", "--format=%T %P"), "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 || same+differ+conflicts == 60 {
			continue
		}
		cmd := exec.Command("git", "-C", r.Dir, "merge-tree", "--write-tree", "--no-messages", f[1], f[2])
		cmd.Env = gittest.Env()
		out, err := cmd.Output()
		switch code := cmd.ProcessState.ExitCode(); {
		case code == 1:
			conflicts++
		case err != nil:
			t.Skipf("git merge-tree --write-tree (git 2.38+): %v", err)
		case strings.Fields(string(out))[0] == f[0]:
			same++
		default:
			differ++
			diffs = append(diffs, fmt.Sprintf("%s %s", f[1], f[2]))
		}
	}
	t.Logf("of %d merges git merges %d to the same tree, %d to another, and has conflicts in %d", same+differ+conflicts, same, differ, conflicts)
	if same < 30 || differ*20 > same {
		t.Errorf("git's clean merges: %d the same tree, %d another (parents %v)", same, differ, diffs)
	}
	if conflicts == 0 {
		t.Error("no merge that git would find conflicting")
	}
}
