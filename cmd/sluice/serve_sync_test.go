package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
)

// TestServeSyncNow runs sluice serve --repo and drives "sync now" through
// the API: the first sync shows on /api/v1/sources; a commit made later
// is imported by POST /api/v1/repos/{name}/sync, which runs in serve's
// background worker.
func TestServeSyncNow(t *testing.T) {
	repo := gittest.New(t)
	ada := gittest.Person{Name: "Ada", Email: "ada@example.com"}
	repo.Commit("one", ada, time.Time{}, map[string]string{"a": "a\n"})
	name := filepath.Base(repo.Dir)

	env := envFor(t, filepath.Join(t.TempDir(), "s.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0", "--repo", repo.Dir)
	cmd.Env = append(gittest.Env(), env...)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("serve's stderr:\n%s", stderr.String())
		}
	}()
	// The one-time admin password, then the address.
	var password, base string
	sc := bufio.NewScanner(stdout)
	for base == "" && sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "  ") && password == "" {
			password = strings.TrimSpace(line)
		}
		if m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(line); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, stdout)
	if base == "" || password == "" {
		t.Fatalf("serve printed no address or password (password %q)", password)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method, path, user, pass string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		req.SetBasicAuth(user, pass)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	type repoState struct {
		Name          string  `json:"name"`
		State         string  `json:"state"`
		LastSuccess   *string `json:"last_success"`
		LastImported  *int64  `json:"last_imported"`
		CommitsStored int64   `json:"commits_stored"`
	}
	state := func() repoState {
		t.Helper()
		st, body := call("GET", "/api/v1/sources", "admin", password)
		var v struct {
			CanSync      bool        `json:"can_sync"`
			Repositories []repoState `json:"repositories"`
		}
		if err := json.Unmarshal([]byte(body), &v); st != http.StatusOK || err != nil || !v.CanSync || len(v.Repositories) != 1 {
			t.Fatalf("GET /api/v1/sources: %d %v %s", st, err, body)
		}
		return v.Repositories[0]
	}
	if s := state(); s.Name != name || s.State != "synced" || s.LastSuccess == nil || s.CommitsStored != 1 || s.LastImported == nil || *s.LastImported != 1 {
		t.Errorf("after serve's first sync: %+v", s)
	}

	repo.Commit("two", ada, time.Time{}, map[string]string{"b": "b\n"})
	path := "/api/v1/repos/" + url.PathEscape(name) + "/sync"
	if st, body := call("POST", path, "admin", password); st != http.StatusAccepted {
		t.Fatalf("sync now: %d %s", st, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	s := state()
	for (s.State == "queued" || s.State == "running" || s.CommitsStored != 2) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		s = state()
	}
	if s.State != "synced" || s.CommitsStored != 2 || s.LastImported == nil || *s.LastImported != 1 {
		t.Errorf("after sync now: %+v, want synced with the new commit", s)
	}
	if st, body := call("POST", "/api/v1/repos/no-such-repo/sync", "admin", password); st != http.StatusNotFound {
		t.Errorf("sync of an unknown repository: %d %s", st, body)
	}
}
