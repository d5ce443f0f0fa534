package gitcmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
)

func TestMirrorSSH(t *testing.T) {
	srv := gittest.NewSSHServer(t)
	bare := filepath.Join(t.TempDir(), "src", "repo.git")
	newSourceRepo(t, bare)
	url := srv.RepoURL(bare)
	ctx := context.Background()

	otherKey := filepath.Join(t.TempDir(), "other")
	otherPub := gittest.SSHKeygen(t, otherKey)

	t.Run("pinned host key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "repo.git")
		auth := Auth{SSHKeyFile: srv.ClientKeyFile, KnownHostsFile: srv.KnownHosts(t)}
		if err := Mirror(ctx, url, auth, dir, time.Minute, nil); err != nil {
			t.Fatalf("mirror: %v", err)
		}
		if got, want := refs(t, dir), []string{"refs/heads/feature", "refs/heads/trunk", "refs/tags/v1"}; !slices.Equal(got, want) {
			t.Errorf("refs = %v, want %v", got, want)
		}
		if head := gitT(t, dir, "symbolic-ref", "HEAD"); head != "refs/heads/trunk" {
			t.Errorf("HEAD = %s, want refs/heads/trunk", head)
		}
	})

	tests := []struct {
		name    string
		auth    func(t *testing.T) Auth
		kind    ErrorKind
		message []string
	}{
		{"unknown host key", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: srv.ClientKeyFile, KnownHostsFile: srv.KnownHostsWith(t, "")}
		}, ErrHostKey, []string{fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1 >> '", srv.Port), "known hosts'", "fingerprint", "out of band"}},
		{"changed host key", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: srv.ClientKeyFile, KnownHostsFile: srv.KnownHostsWith(t, otherPub)}
		}, ErrHostKey, []string{"differs from the one pinned", fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1", srv.Port), "ssh-keygen -R"}},
		{"key not authorized", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: otherKey, KnownHostsFile: srv.KnownHosts(t)}
		}, ErrAuth, []string{"SSH authentication to " + srv.User + "@127.0.0.1 failed", otherKey}},
		{"missing key file", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: otherKey + ".nope", KnownHostsFile: srv.KnownHosts(t)}
		}, ErrAuth, []string{"ssh_key_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo.git")
			err := Mirror(ctx, url, tt.auth(t), dir, time.Minute, nil)
			e := asError(t, err, tt.kind)
			t.Logf("message: %s", e)
			for _, m := range tt.message {
				if !strings.Contains(e.Error(), m) {
					t.Errorf("message %q lacks %q", e.Error(), m)
				}
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("failed clone left %s behind", dir)
			}
		})
	}
}
