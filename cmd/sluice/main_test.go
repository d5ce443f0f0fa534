package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sluice")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// sluice runs the binary with a private data dir and database.
func sluice(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(gittest.Env(), env...)
	cmd.Dir = t.TempDir() // no stray ./sluice.yaml
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout.String(), stderr.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func envFor(t *testing.T, dsn string) []string {
	return []string{"SLUICE_DATA_DIR=" + t.TempDir(), "SLUICE_DB=" + dsn}
}

// export returns the JSON lines of `export commits`, sorted.
func export(t *testing.T, env []string) []string {
	t.Helper()
	r := sluice(t, env, "export", "commits", "--format", "jsonl")
	if r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	sort.Strings(lines)
	return lines
}

func TestAnalyzeExportMatchesGit(t *testing.T) {
	repo := gittest.New(t)
	repo.FastImport(gittest.Synthetic(120))
	repo.Git("checkout", "-q", "main")
	repo.Commit("mailmapped", gittest.Person{Name: "Old", Email: "old@example.com"}, time.Time{},
		map[string]string{".mailmap": "New Name <new@example.com> <old@example.com>\n"})
	numstat := map[string][2]int{}
	var cur string
	for _, line := range strings.Split(repo.Git("log", "--all", "--numstat", "--format=@%H %aE"), "\n") {
		if strings.HasPrefix(line, "@") {
			f := strings.Fields(line[1:])
			cur = f[0] + " " + f[1]
			numstat[cur] = [2]int{}
			continue
		}
		var a, d int
		if _, err := fmt.Sscanf(line, "%d\t%d", &a, &d); err == nil {
			v := numstat[cur]
			numstat[cur] = [2]int{v[0] + a, v[1] + d}
		}
	}
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			env := envFor(t, dsn)
			r := sluice(t, env, "analyze", repo.Dir, "--no-excludes")
			if r.code != 0 {
				t.Fatalf("analyze: %s", r.stderr)
			}
			if !strings.Contains(r.stdout, "imported 121 new commits; 121 commits by 5 authors") {
				t.Errorf("summary: %q", r.stdout)
			}
			lines := export(t, env)
			if len(lines) != len(numstat) {
				t.Fatalf("export has %d rows, git rev-list --all %d", len(lines), len(numstat))
			}
			for _, l := range lines {
				var c struct {
					SHA, AuthorEmail string `json:"-"`
					Sha              string `json:"sha"`
					Email            string `json:"author_email"`
					Time             string `json:"author_time"`
					Add              int    `json:"additions"`
					Del              int    `json:"deletions"`
				}
				if err := json.Unmarshal([]byte(l), &c); err != nil {
					t.Fatal(err)
				}
				want, ok := numstat[c.Sha+" "+c.Email]
				if !ok {
					t.Errorf("row %s %s: not in git log (mailmap?)", c.Sha, c.Email)
				} else if want != [2]int{c.Add, c.Del} {
					t.Errorf("row %s: +%d -%d, git log --numstat +%d -%d", c.Sha, c.Add, c.Del, want[0], want[1])
				}
				if _, err := time.Parse(time.RFC3339, c.Time); err != nil || !strings.HasSuffix(c.Time, "+01:00") && !strings.HasSuffix(c.Time, "+02:00") {
					t.Errorf("author_time %q: want RFC 3339 with the author's offset", c.Time)
				}
			}
			r = sluice(t, env, "analyze", repo.Dir, "--no-excludes")
			if r.code != 0 || !strings.Contains(r.stdout, "up to date") {
				t.Errorf("re-run: %q %q", r.stdout, r.stderr)
			}
			r = sluice(t, env, "report", "--by", "person", "--format", "csv")
			if r.code != 0 || !strings.Contains(r.stdout, "new@example.com,New Name,1,1,") {
				t.Errorf("report: %q %q", r.stdout, r.stderr)
			}
			r = sluice(t, env, "export", "commits", "--format", "csv", "--since", "2023-01-03", "--until", "2023-01-04")
			if n := strings.Count(r.stdout, "\n"); r.code != 0 || n < 2 || n > 30 {
				t.Errorf("csv export of one day: %d lines, %q", n, r.stderr)
			}
		})
	}
}

// TestKillAndRerun kills analyze with SIGKILL in the middle of the import
// and checks that a re-run stores exactly the rows of an uninterrupted run.
func TestKillAndRerun(t *testing.T) {
	repo := gittest.New(t)
	repo.FastImport(gittest.Synthetic(3000))
	for engine, dsn := range storetest.DSNs(t) {
		t.Run(engine, func(t *testing.T) {
			env := envFor(t, dsn)
			cmd := exec.Command(binary, "analyze", repo.Dir, "--batch-size", "25")
			cmd.Env = append(gittest.Env(), env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill once some, but not all, batches are committed.
			db := waitForDB(t, dsn)
			deadline := time.Now().Add(60 * time.Second)
			var n int64
			for time.Now().Before(deadline) {
				n = countCommits(t, db)
				if n >= 200 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			after := countCommits(t, db)
			if after == 0 || after >= 3000 {
				t.Fatalf("killed with %d of 3000 commits stored; the test needs a kill mid-import (%s)", after, stderr.String())
			}
			t.Logf("killed after %d commits", after)
			r := sluice(t, env, "analyze", repo.Dir)
			if r.code != 0 {
				t.Fatalf("re-run: %s", r.stderr)
			}
			wantSummary := fmt.Sprintf("imported %d new commits; 3000 commits", 3000-after)
			if after == 2999 {
				wantSummary = "imported 1 new commit; 3000 commits"
			}
			if !strings.Contains(r.stdout, wantSummary) {
				t.Errorf("re-run summary %q: want only the missing %d commits imported", r.stdout, 3000-after)
			}
			interrupted := export(t, env)

			clean := envFor(t, storetest.DSNs(t)[engine])
			if r := sluice(t, clean, "analyze", repo.Dir); r.code != 0 {
				t.Fatalf("clean run: %s", r.stderr)
			}
			want := export(t, clean)
			if len(interrupted) != len(want) {
				t.Fatalf("interrupted+re-run: %d rows, uninterrupted: %d", len(interrupted), len(want))
			}
			for i := range want {
				if interrupted[i] != want[i] {
					t.Fatalf("row %d differs:\n got %s\nwant %s", i, interrupted[i], want[i])
				}
			}
		})
	}
}

func waitForDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if !strings.HasPrefix(dsn, "postgres") {
			if _, err := os.Stat(dsn); err != nil && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
		}
		db, err := store.Open(context.Background(), dsn)
		if err == nil {
			t.Cleanup(func() { db.Close() })
			return db
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countCommits(t *testing.T, db *store.DB) int64 {
	repos, err := db.Repositories(context.Background())
	if err != nil || len(repos) == 0 {
		return 0
	}
	n, err := db.CountCommits(context.Background(), repos[0].ID)
	if err != nil {
		t.Logf("count: %v", err)
	}
	return n
}

func TestBadInput(t *testing.T) {
	env := envFor(t, filepath.Join(t.TempDir(), "s.db"))
	notRepo := t.TempDir()
	cfgDir := t.TempDir()
	badCfg := filepath.Join(cfgDir, "sluice.yaml")
	os.WriteFile(badCfg, []byte("server:\n  addr: 127.0.0.1:1\n  adress: x\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", notRepo}, "is not a git repository"},
		{[]string{"analyze", "https://127.0.0.1:1/r.git"}, "127.0.0.1"},
		{[]string{"--config", badCfg, "config", "check"}, "adress"},
		{[]string{"report", "--by", "nope"}, "use person, team, repo or org"},
		{[]string{"report", "--team", "nope"}, "sluice teams list"},
		{[]string{"report", "--person", "nope@example.com"}, "sluice people list"},
		{[]string{"report", "--interval", "year"}, "use day, week or month"},
		{[]string{"export", "commits", "--since", "yesterday"}, "YYYY-MM-DD"},
		{[]string{"export", "commits", "--repo", "nope"}, "nope"},
		{[]string{"report", "--repo", "nope"}, "nope"},
		{[]string{"report", "--since", "2023-11-15", "--until", "2023-11-14"}, "--until 2023-11-14 is not after --since 2023-11-15; the range is [since, until)"},
		{[]string{"report", "--since", "2023-11-15", "--until", "2023-11-15"}, "is not after --since"},
		{[]string{"export", "commits", "--since", "2023-11-15T10:00:00Z", "--until", "2023-11-15"}, "the range is [since, until)"},
		{[]string{"--db", "host=127.0.0.1 port=5432 user=sluice password=x", "report"}, "write it as a URL: postgres://USER@HOST:PORT/DBNAME"},
	} {
		r := sluice(t, env, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure mentioning %q", c.args, r.code, r.stderr, c.want)
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 3 {
			t.Errorf("%v: error is not short: %q", c.args, r.stderr)
		}
	}
	// serve binds its address before importing anything: a busy port fails
	// at once, with nothing synced.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	served := gittest.New(t)
	served.Commit("one", gittest.Person{Name: "Ada", Email: "ada@example.com"}, time.Time{}, map[string]string{"a": "a\n"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", busy.Addr().String(), "--repo", served.Dir)
	cmd.Env = append(gittest.Env(), env...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil || err == nil || !strings.Contains(stderr.String(), busy.Addr().String()) {
		t.Errorf("serve on a busy port: %v, stderr %q; want a quick failure naming %s", err, stderr.String(), busy.Addr())
	}
	if stdout.Len() > 0 {
		t.Errorf("serve on a busy port synced before binding: %q", stdout.String())
	}
	r := sluice(t, env, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sluice ") {
		t.Errorf("version: %q", r.stdout)
	}
	// An empty repository is zero commits, not an error.
	empty := gittest.New(t)
	if r := sluice(t, env, "analyze", empty.Dir); r.code != 0 || !strings.Contains(r.stdout, "0 commits by 0 authors") {
		t.Errorf("empty repository: %q %q", r.stdout, r.stderr)
	}
}
