package gittest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// HTTPSUser is the Basic-auth user name HTTPSServer requires with its
// token (the default user name of a Sluice source).
const HTTPSUser = "x-access-token"

// HTTPSServer is git's smart-HTTP server (git http-backend run as CGI)
// behind TLS, with a certificate issued for 127.0.0.1 and localhost by a CA
// made for the test. Every request must carry Basic credentials
// HTTPSUser:Token; others get 401. Repositories are read-only over HTTP:
// put them in place with Push or by writing under Root.
type HTTPSServer struct {
	// URL is the base URL, https://127.0.0.1:PORT (no trailing slash); the
	// repository Root/team/x.git is URL+"/team/x.git".
	URL string
	// Root is the directory served (GIT_PROJECT_ROOT) where bare
	// repositories go.
	Root string
	// CAFile is the PEM file of the CA that issued the server certificate;
	// the system roots do not trust it.
	CAFile string
	// Token is the token the server requires.
	Token string
}

// NewHTTPSServer starts an HTTPSServer requiring token, stopped when the
// test ends. git http-backend's stderr and the server's errors are logged
// if the test fails.
func NewHTTPSServer(t testing.TB, token string) *HTTPSServer {
	t.Helper()
	if token == "" {
		t.Fatal("gittest.NewHTTPSServer: empty token")
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	logs := &syncBuffer{}
	backend := &cgi.Handler{
		Path:   gitPath,
		Args:   []string{"http-backend"},
		Stderr: logs,
		Env:    []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != HTTPSUser || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})

	caCert, caKey := newCA(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{newLeaf(t, caCert, caKey)}}
	// Handshake failures of clients that do not trust the CA are expected:
	// log them with the backend's stderr rather than on the test's output.
	srv.Config.ErrorLog = log.New(logs, "https server: ", 0)
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() && logs.Len() > 0 {
			t.Logf("git http-backend stderr:\n%s", logs.String())
		}
	})
	return &HTTPSServer{URL: srv.URL, Root: root, CAFile: caFile, Token: token}
}

// RepoURL is the URL of the repository at Root/name.
func (s *HTTPSServer) RepoURL(name string) string {
	return s.URL + "/" + strings.TrimPrefix(name, "/")
}

// Push publishes work (a repository with a work tree, such as Repo.Dir)
// as the bare repository Root/name, creating it on first use; see
// PushBare. It returns the repository's URL.
func (s *HTTPSServer) Push(t testing.TB, name, work string) string {
	t.Helper()
	PushBare(t, filepath.Join(s.Root, filepath.FromSlash(name)), work)
	return s.RepoURL(name)
}

// PushBare makes bare (created if missing) hold the branches and tags of
// the repository work, force-pushed through the file system, with HEAD on
// work's current branch. Call it again after new commits to publish them.
func PushBare(t testing.TB, bare, work string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(bare, "HEAD")); os.IsNotExist(err) {
		runGit(t, "", "init", "--quiet", "--bare", bare)
	}
	runGit(t, work, "push", "--quiet", "--force", bare, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")
	if head, err := gitOutput(work, "symbolic-ref", "--quiet", "HEAD"); err == nil && head != "" {
		runGit(t, bare, "symbolic-ref", "HEAD", head)
	}
}

// SSHDPath is the OpenSSH server NewSSHServer runs.
const SSHDPath = "/usr/sbin/sshd"

// SSHServer is a real OpenSSH server (sshd) on a loopback port. It accepts
// only the key ClientKeyFile, for the current user, so git over SSH can
// reach any repository by its absolute path.
type SSHServer struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// User is the current user, the one to log in as.
	User string
	// URL is the base URL, ssh://USER@127.0.0.1:PORT (no trailing slash);
	// the repository /srv/x.git is URL+"/srv/x.git" (see RepoURL).
	URL string
	// HostKey is the server's public host key, "ssh-ed25519 AAAA…".
	HostKey string
	// ClientKeyFile is the (unencrypted) private key the server accepts.
	ClientKeyFile string
}

// NewSSHServer starts sshd on a free loopback port, stopped when the test
// ends; its log is shown if the test fails. Without SSHDPath the test is
// skipped, or fails when the CI environment variable is set (CI must
// install openssh-server).
func NewSSHServer(t testing.TB) *SSHServer {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; CI must install openssh-server", SSHDPath)
		}
		t.Skipf("%s is missing (install openssh-server to run the SSH tests)", SSHDPath)
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
	hostPub := SSHKeygen(t, hostKey)
	SSHKeygen(t, clientKey)
	port := FreePort(t)
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
	cmd := exec.Command(SSHDPath, "-D", "-e", "-f", cfg)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() && logs.Len() > 0 {
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
	return &SSHServer{
		Port:          port,
		User:          u.Username,
		URL:           fmt.Sprintf("ssh://%s@127.0.0.1:%d", u.Username, port),
		HostKey:       hostPub,
		ClientKeyFile: clientKey,
	}
}

// RepoURL is the ssh:// URL of the repository at the absolute path path.
func (s *SSHServer) RepoURL(path string) string {
	return s.URL + filepath.ToSlash(path)
}

// KnownHosts writes a new known_hosts file pinning the server's real host
// key and returns its path.
func (s *SSHServer) KnownHosts(t testing.TB) string {
	t.Helper()
	return s.KnownHostsWith(t, s.HostKey)
}

// WrongKnownHosts writes a new known_hosts file that pins a freshly
// generated key, not the server's, for the server's address (what a
// replaced host key or a man-in-the-middle looks like) and returns its
// path.
func (s *SSHServer) WrongKnownHosts(t testing.TB) string {
	t.Helper()
	return s.KnownHostsWith(t, SSHKeygen(t, filepath.Join(t.TempDir(), "impostor_ed25519")))
}

// KnownHostsWith writes a new known_hosts file pinning the public key
// ("ssh-ed25519 AAAA…") for the server's address, or an empty file when
// key is "", and returns its path. The file name contains a space, so
// that tests also cover quoting.
func (s *SSHServer) KnownHostsWith(t testing.TB, key string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "known hosts")
	content := ""
	if key != "" {
		content = fmt.Sprintf("[127.0.0.1]:%d %s\n", s.Port, key)
	}
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// SSHKeygen generates an unencrypted ed25519 key pair at file and
// file+".pub" and returns the public key, "ssh-ed25519 AAAA…".
func SSHKeygen(t testing.TB, file string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(file + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pub))
}

// FreePort returns a loopback TCP port that nothing listens on (nothing
// did when it returned).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// runGit runs git in dir ("" for the current directory) with Env and
// fails the test on error.
func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitOutput(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gitOutput(dir string, args ...string) (string, error) {
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	cmd := exec.Command("git", args...)
	cmd.Env = Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func newCA(t testing.TB) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Sluice Test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func newLeaf(t testing.TB, ca *x509.Certificate, caKey *ecdsa.PrivateKey) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (CGI requests,
// sshd's stdout and stderr).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
