package gitcmd

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
)

// testToken is the token the test HTTPS servers require.
const testToken = "s3cr3t-T0KEN-abcdef0123456789"

// assertNoSecret fails if the token or its Basic encoding appears in s.
func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(gittest.HTTPSUser + ":" + testToken))
	for _, secret := range []string{testToken, basic} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains a secret: %q", what, s)
		}
	}
}

func TestMirrorHTTPS(t *testing.T) {
	srv := gittest.NewHTTPSServer(t, testToken)
	work := newSourceRepo(t, filepath.Join(srv.Root, "repo.git"))
	url := srv.URL + "/repo.git"
	auth := Auth{Token: testToken + "\n", CAFile: srv.CAFile}
	dir := filepath.Join(t.TempDir(), "mirrors", "repo.git")
	ctx := context.Background()

	var progress strings.Builder
	if err := Mirror(ctx, url, auth, dir, time.Minute, &progress); err != nil {
		t.Fatalf("first mirror: %v", err)
	}
	wantRefs := []string{"refs/heads/feature", "refs/heads/trunk", "refs/tags/v1"}
	if got := refs(t, dir); !slices.Equal(got, wantRefs) {
		t.Errorf("refs after clone = %v, want %v (no refs/pull/*)", got, wantRefs)
	}
	if head := gitT(t, dir, "symbolic-ref", "HEAD"); head != "refs/heads/trunk" {
		t.Errorf("HEAD = %s, want the remote's default branch refs/heads/trunk", head)
	}
	if got := gitT(t, dir, "check-mailmap", "Ada <ada@example.com>"); got != "Ada Lovelace <ada@example.com>" {
		t.Errorf("mailmap from HEAD:.mailmap not used: %q", got)
	}
	config, err := os.ReadFile(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "mirror config", string(config))
	if !strings.Contains(string(config), url) {
		t.Errorf("mirror config lacks the remote URL:\n%s", config)
	}
	assertNoSecret(t, "progress", progress.String())
	if !strings.Contains(progress.String(), "trunk") {
		t.Errorf("progress output lacks the fetched branch: %q", progress.String())
	}
	leftovers, _ := filepath.Glob(dir + ".tmp-*")
	if len(leftovers) > 0 {
		t.Errorf("temporary directories left behind: %v", leftovers)
	}

	// Incremental fetch: a new commit, a deleted branch.
	newCommit := commitFile(t, work, "b.txt", "b\n")
	gitT(t, work, "push", "--quiet", "origin", "trunk", ":feature")
	if err := Mirror(ctx, url, auth, dir, time.Minute, nil); err != nil {
		t.Fatalf("second mirror: %v", err)
	}
	if got := gitT(t, dir, "rev-parse", "refs/heads/trunk"); got != newCommit {
		t.Errorf("trunk = %s after fetch, want %s", got, newCommit)
	}
	if got, want := refs(t, dir), []string{"refs/heads/trunk", "refs/tags/v1"}; !slices.Equal(got, want) {
		t.Errorf("refs after fetch = %v, want %v (feature pruned)", got, want)
	}

	// The Runner talks to the same server with the same settings.
	r := &Runner{Dir: dir, Auth: auth, Timeout: time.Minute}
	out, err := r.Output(ctx, "ls-remote", "origin", "refs/heads/trunk")
	if err != nil {
		t.Fatalf("ls-remote: %v", err)
	}
	if !strings.HasPrefix(string(out), newCommit) {
		t.Errorf("ls-remote = %q", out)
	}
}

func TestMirrorHTTPSFailures(t *testing.T) {
	srv := gittest.NewHTTPSServer(t, testToken)
	newSourceRepo(t, filepath.Join(srv.Root, "repo.git"))
	url := srv.URL + "/repo.git"
	ctx := context.Background()

	tests := []struct {
		name    string
		url     string
		auth    Auth
		kind    ErrorKind
		message []string
	}{
		{"wrong token", url, Auth{Token: "wrong-" + testToken, CAFile: srv.CAFile}, ErrAuth,
			[]string{"authentication failed for " + url, "token_file"}},
		{"no token", url, Auth{CAFile: srv.CAFile}, ErrAuth,
			[]string{"requires authentication", "token: ${ENV_VAR}"}},
		{"no CA", url, Auth{Token: testToken}, ErrTLS,
			[]string{"127.0.0.1", "ca_file"}},
		{"missing repository", srv.URL + "/nope.git", Auth{Token: testToken, CAFile: srv.CAFile}, ErrNotFound,
			[]string{srv.URL + "/nope.git"}},
		{"credentials in URL", strings.Replace(url, "https://", "https://x-access-token:"+testToken+"@", 1), Auth{}, ErrOther,
			[]string{"contains credentials", "token: ${ENV_VAR}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo.git")
			err := Mirror(ctx, tt.url, tt.auth, dir, time.Minute, nil)
			e := asError(t, err, tt.kind)
			t.Logf("message: %s", e)
			for _, m := range tt.message {
				if !strings.Contains(e.Error(), m) {
					t.Errorf("message %q lacks %q", e.Error(), m)
				}
			}
			assertNoSecret(t, "message", e.Error())
			assertNoSecret(t, "stderr", e.Stderr)
			assertNoSecret(t, "args", strings.Join(e.Args, " "))
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("failed clone left %s behind (%v)", dir, err)
			}
			if leftovers, _ := filepath.Glob(dir + ".tmp-*"); len(leftovers) > 0 {
				t.Errorf("temporary directories left behind: %v", leftovers)
			}
		})
	}
}
