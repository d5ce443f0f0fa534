package gitcmd

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	keyed := Auth{Token: "tok", SSHKeyFile: "/etc/sluice/id_ed25519", KnownHostsFile: "/etc/sluice/known_hosts", CAFile: "/etc/sluice/ca.pem"}
	tests := []struct {
		name   string
		stderr string
		ctx    failureContext
		kind   ErrorKind
		want   []string // substrings of the message
	}{
		{"not a repository", "fatal: not a git repository (or any of the parent directories): .git\n",
			failureContext{dir: "/data/x.git"}, ErrNotRepository, []string{"/data/x.git is not a git repository"}},
		{"other owner", "fatal: detected dubious ownership in repository at '/srv/x'\nTo add an exception for this directory, call:\n",
			failureContext{dir: "/srv/x"}, ErrNotRepository, []string{"another user owns it", "safe.directory /srv/x"}},
		{"missing dir", "fatal: cannot change to '/data/x.git': No such file or directory\n",
			failureContext{dir: "/data/x.git"}, ErrNotRepository, []string{"/data/x.git does not exist"}},
		{"http 401 with token", "remote: Invalid username or password.\nfatal: Authentication failed for 'https://ghe.corp/org/repo.git/'\n",
			failureContext{auth: keyed}, ErrAuth, []string{"authentication failed for https://ghe.corp/org/repo.git/", "token: ${ENV_VAR} or token_file"}},
		{"http 401 prompt", "fatal: could not read Username for 'https://ghe.corp': terminal prompts disabled\n",
			failureContext{remote: "https://ghe.corp/org/repo.git"}, ErrAuth, []string{"https://ghe.corp/org/repo.git requires authentication", "token: ${ENV_VAR}"}},
		{"http 403", "fatal: unable to access 'https://ghe.corp/org/repo.git/': The requested URL returned error: 403\n",
			failureContext{auth: keyed}, ErrAuth, []string{"HTTP 403", "https://ghe.corp/org/repo.git/"}},
		{"unknown host key", "No ED25519 host key is known for [git.corp]:7999 and you have requested strict checking.\r\nHost key verification failed.\r\nfatal: Could not read from remote repository.\n",
			failureContext{auth: keyed}, ErrHostKey, []string{"ssh-keyscan -p 7999 git.corp >> /etc/sluice/known_hosts", "out of band"}},
		{"unknown host key port 22", "No ECDSA host key is known for git.corp and you have requested strict checking.\r\nHost key verification failed.\r\n",
			failureContext{auth: keyed}, ErrHostKey, []string{"ssh-keyscan -p 22 git.corp >> /etc/sluice/known_hosts"}},
		{"changed host key", "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n" +
			"Offending ED25519 key in /etc/sluice/known_hosts:3\r\nHost key for [git.corp]:7999 has changed and you have requested strict checking.\r\nHost key verification failed.\r\n",
			failureContext{auth: keyed}, ErrHostKey, []string{"differs from the one pinned in /etc/sluice/known_hosts", "ssh-keygen -R '[git.corp]:7999' -f /etc/sluice/known_hosts", "ssh-keyscan -p 7999 git.corp"}},
		{"ssh publickey", "git@git.corp: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n",
			failureContext{auth: keyed}, ErrAuth, []string{"SSH authentication to git@git.corp failed", "/etc/sluice/id_ed25519"}},
		{"ssh publickey no key", "git@git.corp: Permission denied (publickey).\r\n",
			failureContext{}, ErrAuth, []string{"no ssh_key_file is configured"}},
		{"tls gnutls", "fatal: unable to access 'https://ghe.corp/r.git/': server certificate verification failed. CAfile: none CRLfile: none\n",
			failureContext{}, ErrTLS, []string{"ghe.corp", "set ca_file"}},
		{"tls openssl", "fatal: unable to access 'https://ghe.corp/r.git/': SSL certificate problem: unable to get local issuer certificate\n",
			failureContext{auth: keyed}, ErrTLS, []string{"ghe.corp", "ca_file (/etc/sluice/ca.pem)"}},
		{"tls name", "fatal: unable to access 'https://10.0.0.5/r.git/': SSL: no alternative certificate subject name matches target host name '10.0.0.5'\n",
			failureContext{}, ErrTLS, []string{"not valid for that host name"}},
		{"dns", "fatal: unable to access 'https://nope.corp/r.git/': Could not resolve host: nope.corp\n",
			failureContext{}, ErrUnreachable, []string{"cannot reach https://nope.corp/r.git/", "Could not resolve host: nope.corp"}},
		{"refused", "fatal: unable to access 'https://127.0.0.1:1/r.git/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server\n",
			failureContext{}, ErrUnreachable, []string{"cannot reach"}},
		{"ssh refused", "ssh: connect to host git.corp port 22: Connection refused\r\nfatal: Could not read from remote repository.\n",
			failureContext{remote: "ssh://git@git.corp/r.git"}, ErrUnreachable, []string{"cannot reach ssh://git@git.corp/r.git", "connect to host git.corp port 22: Connection refused"}},
		{"ssh timeout", "ssh: connect to host 10.1.1.1 port 22: Connection timed out\r\n",
			failureContext{}, ErrUnreachable, []string{"Connection timed out"}},
		{"not found github", "remote: Repository not found.\nfatal: repository 'https://github.com/o/r.git/' not found\n",
			failureContext{}, ErrNotFound, []string{"https://github.com/o/r.git/ does not exist"}},
		{"not found ssh", "ERROR: Repository not found.\r\nfatal: Could not read from remote repository.\n",
			failureContext{remote: "git@github.com:o/r.git"}, ErrNotFound, []string{"git@github.com:o/r.git does not exist"}},
		{"not found local", "fatal: '/srv/nope.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n",
			failureContext{}, ErrNotFound, []string{"/srv/nope.git does not exist"}},
		{"missing tree", "fatal: unable to read tree " + sha + "\n",
			failureContext{dir: "/data/x.git"}, ErrMissingObject, []string{"missing object " + sha, "git -C /data/x.git fsck"}},
		{"could not read", "error: Could not read " + sha + "\nfatal: revision walk setup failed\n",
			failureContext{dir: "/data/x.git"}, ErrMissingObject, []string{sha}},
		{"bad object", "fatal: bad object " + sha + "\n", failureContext{dir: "/d"}, ErrMissingObject, []string{sha}},
		{"missing blob", "error: missing blob " + sha + "\n", failureContext{dir: "/d"}, ErrMissingObject, []string{sha}},
		{"did not receive", "fatal: did not receive expected object " + sha + "\n", failureContext{dir: "/d"}, ErrMissingObject, []string{sha}},
		{"other", "warning: something\nfatal: ambiguous argument 'nope': unknown revision or path not in the working tree.\nUse '--' to separate paths from revisions\n",
			failureContext{args: []string{"log", "nope"}}, ErrOther, []string{"git log failed: ambiguous argument 'nope'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, msg := classify(tt.stderr, tt.ctx)
			if kind != tt.kind {
				t.Errorf("kind = %v (%q), want %v", kind, msg, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	a := Auth{Token: "tok-123456", Username: "ci"}
	in := "token tok-123456 header Authorization: Basic " + a.basicCredentials() +
		" url https://u:p@host/x ssh://git:pw@host/x ssh://git@host/x Authorization: Bearer abc.def"
	got := redact(in, a.secrets())
	for _, secret := range []string{"tok-123456", a.basicCredentials(), "u:p@", ":pw@", "abc.def"} {
		if strings.Contains(got, secret) {
			t.Errorf("redact left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "ssh://git@host/x") {
		t.Errorf("redact removed a user name without a password: %q", got)
	}
}
