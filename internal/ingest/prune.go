package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/store"
)

// excludeRulesVersion changes whenever the built-in exclude rules change,
// so that repositories imported under the old rules are re-imported.
const excludeRulesVersion = 2

// pruneChunk is how many unreachable commits are deleted per transaction.
const pruneChunk = 1000

// pruneUnreachable deletes the stored commits that the refs no longer
// reach (a deleted branch, rewritten history, a narrower --branch): the
// commits reachable from the previous tips (completed and in-progress) and
// not from the new ones. It is idempotent, so a sync killed in the middle
// of it redoes it on the next run.
func (s *Syncer) pruneUnreachable(ctx context.Context, git *gitcmd.Runner, repoID int64, cp store.Checkpoint, tips map[string]string) (int64, error) {
	now := map[string]bool{}
	for _, sha := range tips {
		now[sha] = true
	}
	var before []string
	for _, m := range []map[string]string{cp.Tips, cp.Pending} {
		for _, sha := range m {
			if !now[sha] && !slices.Contains(before, sha) {
				before = append(before, sha)
			}
		}
	}
	if len(before) == 0 {
		return 0, nil // every previous tip is still a tip: nothing can be lost
	}
	present, err := presentObjects(ctx, git, before)
	if err != nil {
		return 0, err
	}
	if len(present) < len(before) {
		// An old tip's objects are gone (gc after a force-push), so git
		// cannot tell what it reached: compare everything stored instead.
		return s.reconcile(ctx, git, repoID, tips)
	}
	var in strings.Builder
	for _, sha := range before {
		in.WriteString(sha + "\n")
	}
	for _, sha := range slices.Sorted(maps.Keys(now)) {
		in.WriteString("^" + sha + "\n")
	}
	list, err := git.Stream(ctx, strings.NewReader(in.String()), "rev-list", "--stdin")
	if err != nil {
		return 0, err
	}
	var deleted int64
	chunk := make([]string, 0, pruneChunk)
	flush := func() error {
		n, err := s.DB.DeleteCommits(ctx, repoID, chunk)
		deleted += n
		chunk = chunk[:0]
		return err
	}
	sc := bufio.NewScanner(list)
	for sc.Scan() {
		if chunk = append(chunk, sc.Text()); len(chunk) == pruneChunk {
			if err := flush(); err != nil {
				list.Close()
				return deleted, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		list.Close()
		return deleted, err
	}
	if err := list.Close(); err != nil {
		return deleted, err
	}
	return deleted, flush()
}

// reconcile deletes every stored commit that tips do not reach.
func (s *Syncer) reconcile(ctx context.Context, git *gitcmd.Runner, repoID int64, tips map[string]string) (int64, error) {
	reach := map[[20]byte]bool{}
	if len(tips) > 0 {
		var in strings.Builder
		for _, sha := range slices.Sorted(maps.Values(tips)) {
			in.WriteString(sha + "\n")
		}
		list, err := git.Stream(ctx, strings.NewReader(in.String()), "rev-list", "--stdin")
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(list)
		for sc.Scan() {
			reach[key(sc.Text())] = true
		}
		if err := list.Close(); err != nil {
			return 0, err
		}
		if err := sc.Err(); err != nil {
			return 0, err
		}
	}
	var gone []string
	err := s.DB.ForEachCommitSHA(ctx, repoID, func(sha string) error {
		if !reach[key(sha)] {
			gone = append(gone, sha)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var deleted int64
	for start := 0; start < len(gone); start += pruneChunk {
		n, err := s.DB.DeleteCommits(ctx, repoID, gone[start:min(start+pruneChunk, len(gone))])
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// key packs a hex SHA-1 into 20 bytes (a SHA-256 id keeps its first 20),
// so that a full reconcile holds large histories in little memory.
func key(sha string) [20]byte {
	var k [20]byte
	b, _ := hex.DecodeString(sha[:min(len(sha), 40)])
	copy(k[:], b)
	return k
}

// presentObjects returns which of the objects are in the repository (a
// force-push followed by gc removes old tips).
func presentObjects(ctx context.Context, git *gitcmd.Runner, shas []string) (map[string]bool, error) {
	present := map[string]bool{}
	if len(shas) == 0 {
		return present, nil
	}
	in := strings.Join(shas, "\n") + "\n"
	st, err := git.Stream(ctx, strings.NewReader(in), "cat-file", "--batch-check")
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(st)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 {
			present[f[0]] = true
		}
	}
	if err := sc.Err(); err != nil {
		st.Close()
		return nil, err
	}
	return present, st.Close()
}

// settingsFingerprint identifies what, besides the commits, decides the
// stored rows: the exclude rules and the mailmap git applies. When it
// changes, the repository is re-imported.
func settingsFingerprint(ctx context.Context, git *gitcmd.Runner, root string, bare bool, t Target, window time.Duration, outlier int, people string) string {
	h := sha256.New()
	fmt.Fprintf(h, "excludes=%v\n", !t.NoExcludes)
	for _, g := range t.ExcludeGlobs {
		fmt.Fprintf(h, "glob=%s\n", g)
	}
	fmt.Fprintf(h, "rules=%d\n", excludeRulesVersion)
	// The work-type settings, and the version of the figures' definition
	// (a store written before line provenance has none).
	// provenance=2: persons join GitHub noreply addresses (store.PersonKey).
	fmt.Fprintf(h, "provenance=2 window=%d outlier=%d people=%s\n", window, outlier, people)
	// git reads the mailmap from the work tree, or from HEAD in a bare
	// repository.
	if bare {
		if out, err := git.Output(ctx, "rev-parse", "-q", "--verify", "HEAD:.mailmap"); err == nil {
			fmt.Fprintf(h, "mailmap=%s", strings.TrimSpace(string(out)))
		}
	} else if b, err := os.ReadFile(filepath.Join(root, ".mailmap")); err == nil {
		fmt.Fprintf(h, "mailmap=%x", sha256.Sum256(b))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
