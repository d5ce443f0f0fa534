package gitcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRemote(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		clean   string
		kind    RemoteKind
		errWith string // non-empty: an error containing this is wanted
	}{
		{in: "https://github.example.com/org/repo.git", clean: "https://github.example.com/org/repo.git", kind: HTTPS},
		{in: "  HTTPS://GitHub.Example.com:8443/org/repo  ", clean: "https://github.example.com:8443/org/repo", kind: HTTPS},
		{in: "http://git.internal/repo.git#frag", clean: "http://git.internal/repo.git", kind: HTTPS},
		{in: "https://user:ghp_secret@github.com/org/repo.git", errWith: "contains credentials; remove them and configure a token for this server in sluice.yaml (token: ${ENV_VAR})"},
		{in: "https://ghp_secret@github.com/org/repo.git", errWith: "contains credentials"},
		{in: "https:///repo.git", errWith: "no host name"},
		{in: "ssh://git@git.example.com:2222/org/repo.git", clean: "ssh://git@git.example.com:2222/org/repo.git", kind: SSH},
		{in: "ssh://git.example.com/srv/repo.git", clean: "ssh://git.example.com/srv/repo.git", kind: SSH},
		{in: "git+ssh://git@git.example.com/repo.git", clean: "ssh://git@git.example.com/repo.git", kind: SSH},
		{in: "ssh://git:hunter2@git.example.com/repo.git", errWith: "contains a password"},
		{in: "ssh://-oProxyCommand=x/repo.git", errWith: "no valid host name"},
		{in: "ssh://git.example.com", errWith: "no repository path"},
		{in: "git@github.com:org/repo.git", clean: "git@github.com:org/repo.git", kind: SSH},
		{in: "build-host:repos/x.git", clean: "build-host:repos/x.git", kind: SSH},
		{in: "git@[::1]:repo.git", clean: "git@[::1]:repo.git", kind: SSH},
		{in: "-oProxyCommand=x:repo", errWith: "no valid host name"},
		{in: "git@github.com:", errWith: "no repository path"},
		{in: "user:hunter2@host:repo.git", errWith: "password"},
		{in: "/srv/git/repo.git/", clean: "/srv/git/repo.git", kind: Local},
		{in: "/srv/git/../git/repo", clean: "/srv/git/repo", kind: Local},
		{in: "file:///srv/git/repo.git", clean: "/srv/git/repo.git", kind: Local},
		{in: "file://otherhost/srv/repo.git", errWith: "another host"},
		{in: "repo", clean: filepath.Join(wd, "repo"), kind: Local},
		{in: "./with:colon", clean: filepath.Join(wd, "with:colon"), kind: Local},
		{in: "git://example.com/repo.git", errWith: "git:// protocol"},
		{in: "ftp://example.com/repo.git", errWith: "unsupported URL scheme"},
		{in: "ext::sh -c touch% /tmp/pwned", errWith: "<transport>::<address>"},
		{in: "", errWith: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			clean, kind, err := ParseRemote(tt.in)
			if tt.errWith != "" {
				if err == nil {
					t.Fatalf("got %q (%v), want an error with %q", clean, kind, tt.errWith)
				}
				if !strings.Contains(err.Error(), tt.errWith) {
					t.Errorf("error %q lacks %q", err, tt.errWith)
				}
				for _, secret := range []string{"ghp_secret", "hunter2"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q repeats the secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if clean != tt.clean || kind != tt.kind {
				t.Errorf("got (%q, %v), want (%q, %v)", clean, kind, tt.clean, tt.kind)
			}
		})
	}
}
