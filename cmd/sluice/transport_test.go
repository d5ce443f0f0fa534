package main_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
)

// transportEnv is the environment of a sluice run against a private data
// dir holding the SQLite database, so that every file sluice writes is
// under dataDir.
func transportEnv(t *testing.T) (env []string, dataDir string) {
	dataDir = t.TempDir()
	return []string{"SLUICE_DATA_DIR=" + dataDir, "SLUICE_DB=" + filepath.Join(dataDir, "sluice.db")}, dataDir
}

// writeConfig writes a sluice.yaml holding one source and returns its path.
func writeConfig(t *testing.T, source map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("sources:\n")
	prefix := "  - "
	for _, k := range []string{"name", "kind", "url", "token", "ca_file", "ssh_key_file", "known_hosts_file"} {
		if v, ok := source[k]; ok {
			fmt.Fprintf(&b, "%s%s: %q\n", prefix, k, v)
			prefix = "    "
		}
	}
	file := filepath.Join(t.TempDir(), "sluice.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// sourceRepo is a work tree with commits on two branches and a tag.
func sourceRepo(t *testing.T) *gittest.Repo {
	repo := gittest.New(t)
	repo.Commit("one", gittest.Person{}, time.Time{}, map[string]string{"a.go": "package a\n"})
	repo.Commit("two", gittest.Person{Name: "Grace Hopper", Email: "grace@example.com"}, time.Time{}, map[string]string{"b.go": "package b\n"})
	repo.Git("tag", "v1")
	repo.Git("checkout", "-q", "-b", "feature")
	repo.Commit("three", gittest.Person{}, time.Time{}, map[string]string{"a.go": "package a\n\nvar x = 1\n"})
	repo.Git("checkout", "-q", "main")
	repo.Commit("four", gittest.Person{}, time.Time{}, map[string]string{"c.go": "package c\n"})
	return repo
}

// revList is `git rev-list --all` of a repository, sorted.
func revList(t *testing.T, dir string) []string {
	t.Helper()
	r := &gittest.Repo{T: t, Dir: dir}
	shas := strings.Fields(r.Git("rev-list", "--all"))
	slices.Sort(shas)
	return shas
}

// exportedSHAs runs `export commits` and returns the SHAs, sorted.
func exportedSHAs(t *testing.T, env []string) []string {
	t.Helper()
	return shasOf(t, sluice(t, env, "export", "commits", "--format", "jsonl"))
}

// shasOf returns the SHAs of the rows of an `export commits --format jsonl`
// run, sorted.
func shasOf(t *testing.T, r result) []string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	shas := []string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" {
			continue
		}
		var c struct {
			SHA string `json:"sha"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("export row %q: %v", line, err)
		}
		shas = append(shas, c.SHA)
	}
	slices.Sort(shas)
	return shas
}

// wantFailure checks that a run failed with a short error (at most three
// lines of stderr, one of them the "sluice: " error) mentioning each of
// want, ignoring case.
func wantFailure(t *testing.T, what string, r result, want ...string) {
	t.Helper()
	t.Logf("%s: exit %d, stderr:\n%s", what, r.code, r.stderr)
	if r.code == 0 {
		t.Errorf("%s: exit 0, want a failure (stdout %q)", what, r.stdout)
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(w)) {
			t.Errorf("%s: stderr lacks %q", what, w)
		}
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; n > 3 {
		t.Errorf("%s: stderr has %d lines, want at most 3", what, n)
	}
	if n := strings.Count(r.stderr, "sluice: "); n != 1 {
		t.Errorf("%s: stderr has %d \"sluice: \" error lines, want exactly 1", what, n)
	}
}

// TestAnalyzeHTTPS imports from a git smart-HTTP server behind TLS with a
// private CA and a token, through the binary and sluice.yaml, and checks
// that the token is never written anywhere.
func TestAnalyzeHTTPS(t *testing.T) {
	token := "tok-" + randomHex(t)
	srv := gittest.NewHTTPSServer(t, token)
	repo := sourceRepo(t)
	url := srv.Push(t, "team/svc.git", repo.Dir)
	bare := filepath.Join(srv.Root, "team", "svc.git")

	source := map[string]string{"name": "corp", "kind": "git", "url": srv.URL, "token": "${CORP_TOKEN}", "ca_file": srv.CAFile}
	cfg := writeConfig(t, source)
	env, dataDir := transportEnv(t)
	var outputs []string
	run := func(extraEnv []string, args ...string) result {
		t.Helper()
		r := sluice(t, append(slices.Clone(env), extraEnv...), args...)
		outputs = append(outputs, r.stdout, r.stderr)
		return r
	}
	withToken := []string{"CORP_TOKEN=" + token}

	r := run(withToken, "--config", cfg, "analyze", url)
	if r.code != 0 {
		t.Fatalf("analyze: exit %d: %s", r.code, r.stderr)
	}
	want := revList(t, bare)
	if len(want) != 4 {
		t.Fatalf("source has %d commits, want 4", len(want))
	}
	if !strings.Contains(r.stdout, "team/svc: imported 4 new commits; 4 commits by 2 authors") {
		t.Errorf("summary: %q", r.stdout)
	}
	exportCmd := []string{"export", "commits", "--format", "jsonl"}
	if got := shasOf(t, run(nil, exportCmd...)); !slices.Equal(got, want) {
		t.Errorf("exported %v, git rev-list --all %v", got, want)
	}

	repo.Commit("five", gittest.Person{}, time.Time{}, map[string]string{"d.go": "package d\n"})
	srv.Push(t, "team/svc.git", repo.Dir)
	r = run(withToken, "--config", cfg, "analyze", url)
	if r.code != 0 || !strings.Contains(r.stdout, "imported 1 new commit; 5 commits") {
		t.Errorf("re-run after a push: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got, want := shasOf(t, run(nil, exportCmd...)), revList(t, bare); !slices.Equal(got, want) {
		t.Errorf("after the push: exported %v, git rev-list --all %v", got, want)
	}

	r = run([]string{"CORP_TOKEN=wrong"}, "--config", cfg, "analyze", url)
	wantFailure(t, "wrong token", r, "authentication", "token")

	delete(source, "ca_file")
	r = run(withToken, "--config", writeConfig(t, source), "analyze", url)
	wantFailure(t, "no ca_file", r, "certificate", "ca_file")

	// The token must not be anywhere: not in any output, not in any file
	// of the data dir (database, mirror config, …).
	basic := base64.StdEncoding.EncodeToString([]byte(gittest.HTTPSUser + ":" + token))
	secrets := []string{token, basic}
	for i, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("output %d contains the secret %q:\n%s", i, s, out)
			}
		}
	}
	files := 0
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains the secret %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Make sure the walk saw the real thing.
	mirrorConfigs, _ := filepath.Glob(filepath.Join(dataDir, "mirrors", "*", "config"))
	if len(mirrorConfigs) != 1 {
		t.Fatalf("mirror configs %v after %d files: want exactly one mirror under %s", mirrorConfigs, files, dataDir)
	}
	if b, _ := os.ReadFile(mirrorConfigs[0]); !strings.Contains(string(b), "url = "+url) {
		t.Errorf("mirror config lacks the clean remote URL:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "sluice.db")); err != nil {
		t.Errorf("the database is not in the data dir: %v", err)
	}
}

// TestAnalyzeSSH imports over SSH with a key and a pinned host key, and
// checks that an unpinned or different host key is refused with the
// ssh-keyscan command to run, before anything is imported.
func TestAnalyzeSSH(t *testing.T) {
	srv := gittest.NewSSHServer(t)
	repo := sourceRepo(t)
	bare := filepath.Join(t.TempDir(), "srv", "svc.git")
	gittest.PushBare(t, bare, repo.Dir)
	url := srv.RepoURL(bare)
	want := revList(t, bare)

	config := func(knownHosts string) string {
		return writeConfig(t, map[string]string{
			"name": "corp-ssh", "kind": "git", "url": srv.URL,
			"ssh_key_file": srv.ClientKeyFile, "known_hosts_file": knownHosts,
		})
	}

	env, _ := transportEnv(t)
	r := sluice(t, env, "--config", config(srv.KnownHosts(t)), "analyze", url)
	if r.code != 0 {
		t.Fatalf("analyze: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("imported %d new commits; %d commits by 2 authors", len(want), len(want))) {
		t.Errorf("summary: %q", r.stdout)
	}
	if got := exportedSHAs(t, env); !slices.Equal(got, want) {
		t.Errorf("exported %v, git rev-list --all %v", got, want)
	}

	keyscan := fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1", srv.Port)
	for _, tt := range []struct {
		name       string
		knownHosts string
		want       []string
	}{
		{"different host key", srv.WrongKnownHosts(t), []string{"host key", "differs", keyscan}},
		{"empty known_hosts", srv.KnownHostsWith(t, ""), []string{"host key", "not pinned", keyscan}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, dataDir := transportEnv(t)
			r := sluice(t, env, "--config", config(tt.knownHosts), "analyze", url)
			wantFailure(t, tt.name, r, tt.want...)
			if got := exportedSHAs(t, env); len(got) != 0 {
				t.Errorf("a refused connection imported %d commits", len(got))
			}
			// Nothing that looks like a mirror may be left (the empty
			// advisory lock file is harmless).
			mirrors, _ := os.ReadDir(filepath.Join(dataDir, "mirrors"))
			for _, m := range mirrors {
				if !strings.HasSuffix(m.Name(), ".lock") {
					t.Errorf("a refused connection left %s in the mirrors directory", m.Name())
				}
			}
		})
	}
}

// TestAnalyzeUnreachable checks the error for a server that is not there.
func TestAnalyzeUnreachable(t *testing.T) {
	env, _ := transportEnv(t)
	url := fmt.Sprintf("https://127.0.0.1:%d/x.git", gittest.FreePort(t))
	r := sluice(t, env, "analyze", url)
	wantFailure(t, "unreachable", r, "cannot reach", url)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "sluice: cannot reach "+url) {
		t.Errorf("the last line of stderr is not the one-line error naming the URL: %q", last)
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
