package gitcmd

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const sshdPath = "/usr/sbin/sshd"

// sshServer is a real OpenSSH server on a loopback port that accepts the
// test's client key for the current user.
type sshServer struct {
	Port       int
	User       string
	HostKeyPub string // "ssh-ed25519 AAAA…" of the server
	ClientKey  string // private key file accepted by the server
}

func newSSHServer(t *testing.T) *sshServer {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; CI must install openssh-server", sshdPath)
		}
		t.Skipf("%s is missing (install openssh-server to run the SSH tests)", sshdPath)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if u.Uid == "0" {
		// sshd refuses to start as root without its privilege-separation
		// directory, which the Debian package creates only at boot.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("cannot create /run/sshd for sshd: %v", err)
		}
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_ed25519")
	clientKey := filepath.Join(dir, "client_ed25519")
	sshKeygen(t, hostKey)
	sshKeygen(t, clientKey)
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := filepath.Join(dir, "sshd_config")
	config := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
StrictModes no
UsePAM no
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel ERROR
`, port, hostKey, clientKey+".pub")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfg)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("sshd exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not accept connections on port %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &sshServer{Port: port, User: u.Username, HostKeyPub: strings.TrimSpace(string(hostPub)), ClientKey: clientKey}
}

func sshKeygen(t *testing.T, file string) {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
}

// knownHosts writes a known_hosts file pinning key for the server.
func (s *sshServer) knownHosts(t *testing.T, key string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "known hosts") // a space, to test quoting
	content := ""
	if key != "" {
		content = fmt.Sprintf("[127.0.0.1]:%d %s\n", s.Port, key)
	}
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestMirrorSSH(t *testing.T) {
	srv := newSSHServer(t)
	bare := filepath.Join(t.TempDir(), "src", "repo.git")
	newSourceRepo(t, bare)
	url := fmt.Sprintf("ssh://%s@127.0.0.1:%d%s", srv.User, srv.Port, bare)
	ctx := context.Background()

	otherKey := filepath.Join(t.TempDir(), "other")
	sshKeygen(t, otherKey)
	otherPub, err := os.ReadFile(otherKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pinned host key", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "repo.git")
		auth := Auth{SSHKeyFile: srv.ClientKey, KnownHostsFile: srv.knownHosts(t, srv.HostKeyPub)}
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
			return Auth{SSHKeyFile: srv.ClientKey, KnownHostsFile: srv.knownHosts(t, "")}
		}, ErrHostKey, []string{fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1 >> '", srv.Port), "known hosts'", "fingerprint", "out of band"}},
		{"changed host key", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: srv.ClientKey, KnownHostsFile: srv.knownHosts(t, strings.TrimSpace(string(otherPub)))}
		}, ErrHostKey, []string{"differs from the one pinned", fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1", srv.Port), "ssh-keygen -R"}},
		{"key not authorized", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: otherKey, KnownHostsFile: srv.knownHosts(t, srv.HostKeyPub)}
		}, ErrAuth, []string{"SSH authentication to " + srv.User + "@127.0.0.1 failed", otherKey}},
		{"missing key file", func(t *testing.T) Auth {
			return Auth{SSHKeyFile: otherKey + ".nope", KnownHostsFile: srv.knownHosts(t, srv.HostKeyPub)}
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
