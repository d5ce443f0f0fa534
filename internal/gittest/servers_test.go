package gittest_test

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
)

// lsRemote runs git ls-remote with extra environment and returns its
// output and error.
func lsRemote(t *testing.T, env []string, url string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", "ls-remote", url)
	cmd.Env = append(gittest.Env(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHTTPSServer(t *testing.T) {
	const token = "gittest-token-0123"
	srv := gittest.NewHTTPSServer(t, token)
	repo := gittest.New(t)
	first := repo.Commit("one", gittest.Person{}, time.Time{}, map[string]string{"a": "a\n"})
	url := srv.Push(t, "team/x.git", repo.Dir)
	if url != srv.URL+"/team/x.git" {
		t.Errorf("Push returned %q", url)
	}
	header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(gittest.HTTPSUser+":"+token))
	auth := []string{"GIT_SSL_CAINFO=" + srv.CAFile, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader", "GIT_CONFIG_VALUE_0=" + header}

	out, err := lsRemote(t, auth, url)
	if err != nil || !strings.Contains(out, first+"\trefs/heads/main") || !strings.Contains(out, first+"\tHEAD") {
		t.Fatalf("ls-remote with the token: %v\n%s", err, out)
	}
	second := repo.Commit("two", gittest.Person{}, time.Time{}, nil)
	srv.Push(t, "team/x.git", repo.Dir)
	if out, err := lsRemote(t, auth, url); err != nil || !strings.Contains(out, second+"\trefs/heads/main") {
		t.Errorf("ls-remote after a second Push: %v\n%s", err, out)
	}

	if out, err := lsRemote(t, auth[:1], url); err == nil || !strings.Contains(out, "401") && !strings.Contains(out, "Authentication") && !strings.Contains(out, "Username") {
		t.Errorf("ls-remote without the token: %v\n%s", err, out)
	}
	if out, err := lsRemote(t, auth[1:], url); err == nil || !strings.Contains(strings.ToLower(out), "certificate") {
		t.Errorf("ls-remote without the CA: %v\n%s", err, out)
	}
}

func TestSSHServer(t *testing.T) {
	srv := gittest.NewSSHServer(t)
	repo := gittest.New(t)
	head := repo.Commit("one", gittest.Person{}, time.Time{}, nil)
	bare := filepath.Join(t.TempDir(), "x.git")
	gittest.PushBare(t, bare, repo.Dir)

	ssh := func(knownHosts string) []string {
		return []string{"GIT_SSH_COMMAND=ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null" +
			" -o 'UserKnownHostsFile=\"" + knownHosts + "\"' -o IdentitiesOnly=yes -i " + srv.ClientKeyFile}
	}
	out, err := lsRemote(t, ssh(srv.KnownHosts(t)), srv.RepoURL(bare))
	if err != nil || !strings.Contains(out, head+"\tHEAD") {
		t.Fatalf("ls-remote with the pinned key: %v\n%s", err, out)
	}
	if out, err := lsRemote(t, ssh(srv.WrongKnownHosts(t)), srv.RepoURL(bare)); err == nil || !strings.Contains(out, "IDENTIFICATION HAS CHANGED") {
		t.Errorf("ls-remote with a wrong pinned key: %v\n%s", err, out)
	}
	empty := srv.KnownHostsWith(t, "")
	if b, err := os.ReadFile(empty); err != nil || len(b) != 0 {
		t.Errorf("KnownHostsWith(\"\") = %q, %v", b, err)
	}
	if out, err := lsRemote(t, ssh(empty), srv.RepoURL(bare)); err == nil || !strings.Contains(out, "Host key verification failed") {
		t.Errorf("ls-remote with no pinned key: %v\n%s", err, out)
	}
}
