package gitlog_test

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gitlog"
	"github.com/sluicehq/sluice/internal/gittest"
)

// diffTree runs the real stream over every commit of the repository.
func diffTree(t *testing.T, dir string) []byte {
	t.Helper()
	revs, err := exec.Command("git", "-C", dir, "rev-list", "--all").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", append([]string{"-C", dir}, gitlog.DiffTreeArgs()...)...)
	cmd.Env = gittest.Env()
	cmd.Stdin = bytes.NewReader(revs)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readAll(t *testing.T, stream []byte) []*gitlog.Commit {
	t.Helper()
	r := gitlog.NewReader(bytes.NewReader(stream))
	var all []*gitlog.Commit
	for {
		c, err := r.Next()
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, c)
	}
}

// numstatTotals is what `git log --all --numstat` reports per commit:
// additions, deletions and files, binary files counting as zero lines.
func numstatTotals(t *testing.T, dir string) map[string][3]int {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "log", "--all", "--numstat", "--format=@%H")
	cmd.Env = gittest.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	totals := map[string][3]int{}
	var cur string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "@") {
			cur = line[1:]
			totals[cur] = [3]int{}
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		v := totals[cur]
		a, _ := strconv.Atoi(f[0])
		d, _ := strconv.Atoi(f[1])
		v[0] += a
		v[1] += d
		v[2]++
		totals[cur] = v
	}
	return totals
}

func TestReaderMatchesGitLogNumstat(t *testing.T) {
	repo := gittest.New(t)
	repo.FastImport(gittest.Synthetic(300))
	// A side branch and a merge, so merges and multiple branches appear.
	repo.Git("checkout", "-q", "-b", "side", "main~20")
	repo.Commit("side work", gittest.Person{Name: "Grace Hopper", Email: "grace@example.com"}, time.Time{}, map[string]string{"side.txt": "a\nb\n"})
	repo.Git("checkout", "-q", "main")
	repo.Git("merge", "-q", "--no-edit", "side")

	commits := readAll(t, diffTree(t, repo.Dir))
	want := numstatTotals(t, repo.Dir)
	if len(commits) != len(want) {
		t.Fatalf("parsed %d commits, git log has %d", len(commits), len(want))
	}
	var renames, binaries, merges int
	for _, c := range commits {
		var got [3]int
		for _, f := range c.Files {
			got[0] += f.Additions
			got[1] += f.Deletions
			got[2]++
			if f.OldPath != "" {
				renames++
			}
			if f.Binary {
				binaries++
			}
		}
		if got != want[c.SHA] {
			t.Errorf("commit %s: parsed %v, git log --numstat %v", c.SHA, got, want[c.SHA])
		}
		if c.IsMerge() {
			merges++
			if len(c.Files) != 0 {
				t.Errorf("merge %s has numstat entries", c.SHA)
			}
		}
	}
	if renames == 0 || binaries == 0 || merges != 1 {
		t.Errorf("fixture should exercise renames, binaries and one merge: got %d, %d, %d", renames, binaries, merges)
	}
}

func TestReaderHeaderFields(t *testing.T) {
	repo := gittest.New(t)
	when := time.Date(2024, 3, 10, 23, 30, 0, 0, time.FixedZone("", -8*3600))
	first := repo.Commit("first line\n\nbody", gittest.Person{Name: "Zoë Ünïcode", Email: "Zoe@Example.COM"}, when, map[string]string{
		"dir with space/naïve file.txt": "x\n",
	})
	repo.Commit("empty", gittest.Person{}, when.Add(time.Hour), nil)
	repo.Git("mv", "dir with space/naïve file.txt", "moved.txt")
	second := repo.Commit("rename it", gittest.Person{}, when.Add(2*time.Hour), nil)

	commits := readAll(t, diffTree(t, repo.Dir))
	bySHA := map[string]*gitlog.Commit{}
	for _, c := range commits {
		bySHA[c.SHA] = c
	}
	c := bySHA[first]
	if c == nil {
		t.Fatal("first commit missing")
	}
	if c.AuthorName != "Zoë Ünïcode" || c.AuthorEmail != "Zoe@Example.COM" || c.Subject != "first line" {
		t.Errorf("header = %q %q %q", c.AuthorName, c.AuthorEmail, c.Subject)
	}
	if got := c.AuthorTime.Format(time.RFC3339); got != "2024-03-10T23:30:00-08:00" {
		t.Errorf("author time %s, want the author's own offset kept", got)
	}
	if len(c.Parents) != 0 || len(c.Files) != 1 || c.Files[0].Path != "dir with space/naïve file.txt" || c.Files[0].Additions != 1 {
		t.Errorf("root commit files = %+v parents %v", c.Files, c.Parents)
	}
	if f := c.Files[0]; f.Status != 'A' || f.OldBlob != strings.Repeat("0", 40) || f.NewBlob != repo.Git("rev-parse", first+":dir with space/naïve file.txt") {
		t.Errorf("added file: status %c blobs %s → %s", f.Status, f.OldBlob, f.NewBlob)
	}
	r := bySHA[second]
	if len(r.Files) != 1 || r.Files[0].OldPath != "dir with space/naïve file.txt" || r.Files[0].Path != "moved.txt" {
		t.Errorf("rename parsed as %+v", r.Files)
	}
	if f := r.Files[0]; f.Status != 'R' || f.NewBlob != repo.Git("rev-parse", second+":moved.txt") || f.OldBlob != f.NewBlob {
		t.Errorf("rename: status %c blobs %s → %s", f.Status, f.OldBlob, f.NewBlob)
	}
}

func TestReaderNonUTF8(t *testing.T) {
	repo := gittest.New(t)
	// Latin-1 bytes in the author name and a path, written by fast-import
	// (git commit would re-encode them), without an encoding header.
	repo.FastImport([]byte("commit refs/heads/main\nauthor Jos\xe9 <jose@example.com> 1700000000 +0000\n" +
		"committer Jos\xe9 <jose@example.com> 1700000000 +0000\ndata 2\nx\n" +
		"M 100644 inline caf\xe9.txt\ndata 2\n1\n\n"))
	commits := readAll(t, diffTree(t, repo.Dir))
	if len(commits) != 1 {
		t.Fatalf("got %d commits", len(commits))
	}
	if c := commits[0]; c.AuthorName != "Jos\xe9" || len(c.Files) != 1 || c.Files[0].Path != "caf\xe9.txt" {
		t.Fatalf("got %q %+v, want the raw bytes", c.AuthorName, c.Files)
	}
}

func TestReaderTruncated(t *testing.T) {
	repo := gittest.New(t)
	repo.Commit("a", gittest.Person{}, time.Time{}, map[string]string{"a.txt": "1\n2\n", "b.txt": "3\n"})
	stream := diffTree(t, repo.Dir)
	for cut := 1; cut < len(stream)-1; cut++ {
		r := gitlog.NewReader(bytes.NewReader(stream[:cut]))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		// A cut inside the header or an entry must be reported, never
		// silently read as a shorter commit.
		if err == io.EOF {
			// Only a cut exactly at an entry boundary can end cleanly.
			if b := stream[cut-1]; b != 0 && b != '\n' {
				t.Errorf("cut at %d/%d: truncated stream read without error", cut, len(stream))
			}
			continue
		}
		if !errors.Is(err, gitlog.ErrFormat) {
			t.Errorf("cut at %d: err = %v, want ErrFormat", cut, err)
		}
	}
}

func TestReaderGarbage(t *testing.T) {
	for _, in := range []string{"hello", "\x1enot a header\x00", "\x1e" + strings.Repeat("a", 40) + "\x1f\x1f\x1f\x1fbad\x1f\x1f\x1f\x1f\x00"} {
		_, err := gitlog.NewReader(strings.NewReader(in)).Next()
		if !errors.Is(err, gitlog.ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", in, err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	repo := gittest.New(b)
	repo.FastImport(gittest.Synthetic(2000))
	revs, _ := exec.Command("git", "-C", repo.Dir, "rev-list", "--all").Output()
	cmd := exec.Command("git", append([]string{"-C", repo.Dir}, gitlog.DiffTreeArgs()...)...)
	cmd.Stdin = bytes.NewReader(revs)
	stream, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := gitlog.NewReader(bytes.NewReader(stream))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}

// TestReaderOddDates: one odd commit must not stop a repository's import.
func TestReaderOddDates(t *testing.T) {
	repo := gittest.New(t)
	repo.FastImport([]byte(
		// Year 10000, and a name with a unit separator (git accepts both).
		"commit refs/heads/main\nauthor Odd\x1fName <odd@example.com> 253402300800 +0000\n" +
			"committer C <c@example.com> 1700000000 -0930\ndata 2\nx\n" +
			"M 100644 inline a.txt\ndata 2\n1\n" +
			// A timestamp git cannot print (before 1970 as a negative epoch).
			"commit refs/heads/main\nauthor Old <old@example.com> -100000000 +0100\n" +
			"committer C <c@example.com> 1700000001 +1400\ndata 2\ny\n" +
			"M 100644 inline b.txt\ndata 2\n2\n\n"))
	commits := readAll(t, diffTree(t, repo.Dir))
	if len(commits) != 2 {
		t.Fatalf("got %d commits", len(commits))
	}
	var far, old *gitlog.Commit
	for _, c := range commits {
		if len(c.Parents) == 0 {
			far = c
		} else {
			old = c
		}
	}
	if far.AuthorName != "Odd\x1fName" || far.AuthorTime.Year() != 10000 || far.BadDate || len(far.Files) != 1 {
		t.Errorf("year-10000 commit: %q %s bad=%v files=%d", far.AuthorName, far.AuthorTime, far.BadDate, len(far.Files))
	}
	if got := far.CommitterTime.Format(time.RFC3339); got != "2023-11-14T12:43:20-09:30" {
		t.Errorf("committer time %s", got)
	}
	if !old.BadDate || !old.AuthorTime.Equal(time.Unix(0, 0)) || old.CommitterTime.Format("-07:00") != "+14:00" || len(old.Files) != 1 {
		t.Errorf("unprintable date: %s bad=%v committer %s", old.AuthorTime, old.BadDate, old.CommitterTime)
	}
}

// TestReaderHead checks that an added file's start and size come out of
// the patch exactly as git stores the blob.
func TestReaderHead(t *testing.T) {
	repo := gittest.New(t)
	big := strings.Repeat("a line of forty characters, more or less\n", 300)
	files := map[string]string{
		"small.txt": "one\ntwo\n", "nonl.txt": "one\ntwo", "crlf.txt": "a\r\nb\r\n", "big.txt": big,
		"bignonl.txt": big + "tail", "empty.txt": "",
	}
	repo.Commit("add", gittest.Person{}, time.Time{}, files)
	commits := readAll(t, diffTree(t, repo.Dir))
	if len(commits) != 1 {
		t.Fatalf("%d commits", len(commits))
	}
	for _, f := range commits[0].Files {
		want := files[f.Path]
		if f.Size != int64(len(want)) {
			t.Errorf("%s: size %d, want %d", f.Path, f.Size, len(want))
		}
		if len(want) > gitlog.HeadSize {
			want = want[:gitlog.HeadSize]
		}
		if string(f.Head) != want {
			t.Errorf("%s: head %q…, want %q…", f.Path, f.Head[:min(len(f.Head), 40)], want[:min(len(want), 40)])
		}
	}
}
