package gitcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// mirrorRefspecs are what a mirror fetches: branches and tags only, so that
// hosting refs such as GitHub's refs/pull/* never reach the analysis.
var mirrorRefspecs = []string{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}

// Mirror creates a bare mirror of url in dir (branches and tags only, no
// pull-request or other refs) or, if dir already holds one, fetches into it
// with pruning. progress, if non-nil, receives git's progress lines.
//
// url is checked with ParseRemote and only its clean form is written to
// dir/config; auth reaches git through the environment only. A first clone
// is made in a temporary sibling directory and renamed to dir when
// complete, so a failed clone leaves nothing that looks like a mirror. HEAD
// follows the remote's default branch (git reads a bare repository's
// mailmap from HEAD:.mailmap). timeout bounds the whole operation (zero
// means DefaultTimeout). Concurrent calls for the same dir, in this or
// other processes, take turns (an advisory lock on dir+".lock"), and
// temporary directories left by a killed clone are removed. Failures are
// *Error values.
func Mirror(ctx context.Context, url string, auth Auth, dir string, timeout time.Duration, progress io.Writer) error {
	clean, _, err := ParseRemote(url)
	if err != nil {
		return configError(ErrOther, err.Error(), err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return configError(ErrOther, fmt.Sprintf("cannot resolve the mirror directory %s: %v", dir, err), err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m := mirror{remote: clean, auth: auth, timeout: timeout, progress: progress}

	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return configError(ErrOther, fmt.Sprintf("cannot create the mirror directory %s: %v", filepath.Dir(abs), err), err)
	}
	unlock, err := lockMirror(ctx, abs)
	if err != nil {
		return err
	}
	defer unlock()
	// A clone killed half-way (kill -9, power loss) leaves its temporary
	// sibling behind; holding the lock, nobody else is using it.
	if stale, _ := filepath.Glob(abs + ".tmp-*"); len(stale) > 0 {
		for _, d := range stale {
			os.RemoveAll(d)
		}
	}

	exists, err := m.exists(ctx, abs)
	if err == nil {
		if exists {
			err = m.update(ctx, abs)
		} else {
			err = m.create(ctx, abs)
		}
	}
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrTimeout {
		e.Msg = fmt.Sprintf("mirroring %s did not finish within %s: the server or network may be slow or the repository very large; raise the timeout or check connectivity", clean, timeout)
	}
	return err
}

// mirror is one Mirror call.
type mirror struct {
	remote   string
	auth     Auth
	timeout  time.Duration
	progress io.Writer
}

// git runs one git command in dir; remote commands get the auth settings.
func (m *mirror) git(ctx context.Context, dir string, progress io.Writer, args ...string) ([]byte, error) {
	return output(ctx, invocation{
		dir:      dir,
		auth:     m.auth,
		useAuth:  remoteCommands[subcommand(args)],
		timeout:  m.timeout,
		args:     args,
		progress: progress,
		remote:   m.remote,
	})
}

// exists reports whether dir is a bare repository of its own (not merely a
// directory inside another repository). A missing or empty dir is not one;
// a non-empty dir that is not a repository is an error, as it may hold
// anything.
func (m *mirror) exists(ctx context.Context, dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(entries) == 0 {
		return false, nil
	}
	if err != nil {
		return false, configError(ErrOther, fmt.Sprintf("cannot read the mirror directory %s: %v", dir, err), err)
	}
	notMirror := configError(ErrNotRepository, fmt.Sprintf("%s exists but is not a git mirror: remove it, or point Sluice at another data directory", dir), nil)
	out, err := m.git(ctx, dir, nil, "rev-parse", "--is-bare-repository", "--absolute-git-dir")
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrNotRepository {
			return false, notMirror
		}
		return false, err
	}
	fields := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(fields) != 2 || fields[0] != "true" {
		return false, notMirror
	}
	want, err1 := filepath.EvalSymlinks(dir)
	got, err2 := filepath.EvalSymlinks(fields[1])
	if err1 != nil || err2 != nil || want != got {
		return false, notMirror
	}
	return true, nil
}

// create clones into a temporary sibling of dir and renames it into place.
func (m *mirror) create(ctx context.Context, dir string) (err error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return configError(ErrOther, fmt.Sprintf("cannot create the data directory %s: %v", parent, err), err)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(dir)+".tmp-")
	if err != nil {
		return configError(ErrOther, fmt.Sprintf("cannot create a directory in %s: %v", parent, err), err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if _, err := m.git(ctx, "", nil, "init", "--bare", "--quiet", tmp); err != nil {
		return err
	}
	if _, err := m.git(ctx, tmp, nil, "config", "core.logAllRefUpdates", "false"); err != nil {
		return err
	}
	if err := m.configure(ctx, tmp); err != nil {
		return err
	}
	if err := m.fetch(ctx, tmp); err != nil {
		return err
	}
	// exists found dir missing or empty; os.Rename will not replace even
	// an empty directory.
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return configError(ErrOther, fmt.Sprintf("cannot replace the empty directory %s: %v", dir, err), err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return configError(ErrOther, fmt.Sprintf("cannot move the new mirror into %s: %v", dir, err), err)
	}
	return nil
}

// update brings an existing mirror up to date.
func (m *mirror) update(ctx context.Context, dir string) error {
	if err := m.configure(ctx, dir); err != nil {
		return err
	}
	return m.fetch(ctx, dir)
}

// configure makes remote "origin" point at the clean URL with the mirror
// refspecs, rewriting it only when it differs (a changed URL in
// sluice.yaml, or a mirror made by an older version).
func (m *mirror) configure(ctx context.Context, dir string) error {
	out, _ := m.git(ctx, dir, nil, "config", "--get", "remote.origin.url")
	if strings.TrimSpace(string(out)) != m.remote {
		if _, err := m.git(ctx, dir, nil, "config", "remote.origin.url", m.remote); err != nil {
			return err
		}
	}
	out, _ = m.git(ctx, dir, nil, "config", "--get-all", "remote.origin.fetch")
	if slices.Equal(strings.Fields(string(out)), mirrorRefspecs) {
		return nil
	}
	// Exit status 5 means there was nothing to unset.
	m.git(ctx, dir, nil, "config", "--unset-all", "remote.origin.fetch")
	for _, spec := range mirrorRefspecs {
		if _, err := m.git(ctx, dir, nil, "config", "--add", "remote.origin.fetch", spec); err != nil {
			return err
		}
	}
	return nil
}

// fetch fetches branches and tags, pruning those deleted on the remote, and
// points HEAD at the remote's default branch.
func (m *mirror) fetch(ctx context.Context, dir string) error {
	args := []string{"fetch", "--prune", "--no-write-fetch-head", "--no-recurse-submodules"}
	if m.progress != nil {
		args = append(args, "--progress")
	} else {
		args = append(args, "--quiet")
	}
	// The refspecs are given explicitly as well as configured, so that the
	// fetch cannot depend on a hand-edited config.
	args = append(args, "origin")
	args = append(args, mirrorRefspecs...)
	if _, err := m.git(ctx, dir, m.progress, args...); err != nil {
		return err
	}
	return m.setHead(ctx, dir)
}

// setHead points HEAD at the remote's default branch. When the remote does
// not say which it is (an empty repository, a dumb HTTP server), HEAD is
// kept if it names a branch the mirror has, else main, master or the first
// branch is used.
func (m *mirror) setHead(ctx context.Context, dir string) error {
	out, err := m.git(ctx, dir, nil, "ls-remote", "--symref", "origin", "HEAD")
	if err != nil {
		return err
	}
	target := ""
	for _, line := range strings.Split(string(out), "\n") {
		if ref, name, ok := strings.Cut(strings.TrimPrefix(line, "ref: "), "\t"); ok && strings.HasPrefix(line, "ref: ") && name == "HEAD" && strings.HasPrefix(ref, "refs/heads/") {
			target = ref
			break
		}
	}
	if target == "" {
		head, _ := m.git(ctx, dir, nil, "symbolic-ref", "--quiet", "HEAD")
		candidates := []string{strings.TrimSpace(string(head)), "refs/heads/main", "refs/heads/master"}
		for _, c := range candidates {
			if c == "" {
				continue
			}
			if _, err := m.git(ctx, dir, nil, "rev-parse", "--verify", "--quiet", c); err == nil {
				target = c
				break
			}
		}
		if target == "" {
			first, _ := m.git(ctx, dir, nil, "for-each-ref", "--count=1", "--format=%(refname)", "refs/heads/")
			target = string(bytes.TrimSpace(first))
		}
		if target == "" {
			return nil // no branches at all
		}
	}
	_, err = m.git(ctx, dir, nil, "symbolic-ref", "HEAD", target)
	return err
}
