package cli

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/sluicehq/sluice/internal/blameoracle"
	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/store"
)

// Defaults of `sluice verify`.
const (
	defaultVerifySample = 200
	defaultVerifySeed   = 1
	// verifyChunk is how many stored commits are loaded at a time.
	verifyChunk = 500
	// verifyWorst is how many disagreeing commits the report lists.
	verifyWorst = 10
)

type verifyOptions struct {
	repo   string
	sample int
	seed   int64
	format string
	jobs   int
}

func (a *app) verifyCommand() *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify --repo NAME [--sample N] [--seed S] [SHA...]",
		Short: "Check stored work types against git blame",
		Long: `Recomputes the line-provenance figures of stored commits independently,
with nothing but git diff and git blame (the reference of docs/metrics.md),
and compares them with what Sluice stored: hunks, haloc, new_work,
legacy_refactor, help_others and rework.

It checks a sample of the repository's non-merge commits (--sample, 200 by
default; 0 checks every one), or exactly the commits named as arguments
(full or abbreviated SHAs, or anything git rev-parse understands). The
sample is deterministic: the same --seed picks the same commits, a larger
--sample picks a superset of a smaller one, and commits imported later
join the sample only in place of others. Files count as ingest decided
when it stored the commit (excluded, binary); the rework window is
analysis.window from sluice.yaml.

It prints how many commits agree exactly and, per figure, the stored and
recomputed totals and the sum of absolute differences, then the commits
that differ most. It exits non-zero when any commit disagrees, so it can
gate CI.`,
		Example: `  sluice verify --repo service
  sluice verify --repo service --sample 1000 --seed 7 --format json
  sluice verify --repo service 3f786850e387 89e6c98d9288`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "text" && o.format != "json" {
				return fmt.Errorf("--format %q is not supported; use text or json", o.format)
			}
			if o.sample < 0 {
				return fmt.Errorf("--sample %d is not allowed; give a number of commits, or 0 for all of them", o.sample)
			}
			if len(args) > 0 && (cmd.Flags().Changed("sample") || cmd.Flags().Changed("seed")) {
				return errors.New("give either commits to check or --sample/--seed, not both")
			}
			if o.jobs < 1 {
				return fmt.Errorf("--jobs %d is not allowed; give at least 1", o.jobs)
			}
			return a.verify(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", "", "the repository to check (by name; required)")
	f.IntVar(&o.sample, "sample", defaultVerifySample, "how many non-merge commits to check; 0 checks all of them")
	f.Int64Var(&o.seed, "seed", defaultVerifySeed, "which sample to take; the same seed takes the same commits")
	f.StringVar(&o.format, "format", "text", "text or json")
	f.IntVar(&o.jobs, "jobs", runtime.GOMAXPROCS(0), "commits recomputed in parallel")
	return cmd
}

// figures are the line-provenance figures verify compares.
type figures struct {
	Hunks          int `json:"hunks"`
	HALOC          int `json:"haloc"`
	NewWork        int `json:"new_work"`
	LegacyRefactor int `json:"legacy_refactor"`
	HelpOthers     int `json:"help_others"`
	Rework         int `json:"rework"`
}

// figureNames are the names of figures' fields, in values' order.
var figureNames = []string{"hunks", "haloc", "new_work", "legacy_refactor", "help_others", "rework"}

func (f figures) values() []int {
	return []int{f.Hunks, f.HALOC, f.NewWork, f.LegacyRefactor, f.HelpOthers, f.Rework}
}

func storedFigures(c store.Commit) figures {
	return figures{c.Hunks, c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework}
}

func oracleFigures(c blameoracle.Counts) figures {
	return figures{c.Hunks, c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework}
}

// absDiff is Σ |a − b| over the figures.
func absDiff(a, b figures) int {
	av, bv := a.values(), b.values()
	d := 0
	for i := range av {
		d += abs(av[i] - bv[i])
	}
	return d
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// verifiedCommit is one checked commit.
type verifiedCommit struct {
	SHA        string  `json:"sha"`
	Subject    string  `json:"subject"`
	AbsDiff    int     `json:"abs_diff"`
	Stored     figures `json:"stored"`
	Recomputed figures `json:"recomputed"`
}

// figureTotal is one figure summed over the checked commits.
type figureTotal struct {
	Stored     int `json:"stored"`
	Recomputed int `json:"recomputed"`
	AbsDiff    int `json:"abs_diff"`
}

// verifyTotals are the figureTotals by figure, in figureNames order.
type verifyTotals struct {
	Hunks          figureTotal `json:"hunks"`
	HALOC          figureTotal `json:"haloc"`
	NewWork        figureTotal `json:"new_work"`
	LegacyRefactor figureTotal `json:"legacy_refactor"`
	HelpOthers     figureTotal `json:"help_others"`
	Rework         figureTotal `json:"rework"`
}

func (t *verifyTotals) all() []*figureTotal {
	return []*figureTotal{&t.Hunks, &t.HALOC, &t.NewWork, &t.LegacyRefactor, &t.HelpOthers, &t.Rework}
}

func (t *verifyTotals) add(stored, recomputed figures) {
	s, r := stored.values(), recomputed.values()
	for i, ft := range t.all() {
		ft.Stored += s[i]
		ft.Recomputed += r[i]
		ft.AbsDiff += abs(s[i] - r[i])
	}
}

// verifyReport is the outcome of `sluice verify`; it is also its JSON
// output.
type verifyReport struct {
	Repo          string `json:"repo"`
	Window        string `json:"window"`
	WindowSeconds int64  `json:"window_seconds"`
	// Sampled is false when the commits were named on the command line;
	// Sample and Seed are then zero.
	Sampled bool  `json:"sampled"`
	Sample  int   `json:"sample"`
	Seed    int64 `json:"seed"`
	// NonMergeCommits counts the repository's stored non-merge commits.
	NonMergeCommits int          `json:"non_merge_commits"`
	Checked         int          `json:"checked"`
	Agree           int          `json:"agree"`
	AgreePercent    float64      `json:"agree_percent"`
	Totals          verifyTotals `json:"totals"`
	// Disagreeing counts the checked commits that disagree; Worst lists
	// up to verifyWorst of them, the largest total difference first.
	Disagreeing int              `json:"disagreeing"`
	Worst       []verifiedCommit `json:"worst"`
	CheckedSHAs []string         `json:"checked_shas"`
}

func (a *app) verify(ctx context.Context, o verifyOptions, args []string) error {
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	repo, err := findRepository(ctx, db, o.repo)
	if err != nil {
		return err
	}
	git, err := a.repoGit(repo)
	if err != nil {
		return err
	}
	window := a.cfg.Analysis.Window
	if window <= 0 {
		window = blameoracle.DefaultWindow
	}
	rep := &verifyReport{
		Repo: repo.Name, Window: formatWindow(window), WindowSeconds: int64(window / time.Second),
		Worst: []verifiedCommit{}, CheckedSHAs: []string{},
	}

	all, err := db.NonMergeCommitSHAs(ctx, repo.ID)
	if err != nil {
		return err
	}
	rep.NonMergeCommits = len(all)
	var shas []string
	if len(args) > 0 {
		if shas, err = resolveCommits(ctx, db, git, repo, args); err != nil {
			return err
		}
	} else {
		if len(all) == 0 {
			return a.printVerify(rep, o.format)
		}
		rep.Sampled, rep.Sample, rep.Seed = true, o.sample, o.seed
		shas = sampleSHAs(all, o.sample, o.seed)
	}

	bar := a.newVerifyProgress(repo.Name, len(shas))
	defer bar.stop()
	var disagree []verifiedCommit
	for start := 0; start < len(shas); start += verifyChunk {
		chunk := shas[start:min(start+verifyChunk, len(shas))]
		commits, missing, err := db.CommitsBySHA(ctx, repo.ID, chunk)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			// Pruned by a sync running meanwhile.
			return fmt.Errorf("commit %s of %s is no longer stored (a sync removed it meanwhile?); run verify again", missing[0], repo.Name)
		}
		results, err := recompute(ctx, git, window, commits, o.jobs, bar.increment)
		if err != nil {
			return err
		}
		for i, c := range commits {
			v := verifiedCommit{SHA: c.SHA, Subject: c.Subject, Stored: storedFigures(c), Recomputed: results[i]}
			v.AbsDiff = absDiff(v.Stored, v.Recomputed)
			rep.Checked++
			rep.CheckedSHAs = append(rep.CheckedSHAs, c.SHA)
			rep.Totals.add(v.Stored, v.Recomputed)
			if v.Stored == v.Recomputed {
				rep.Agree++
			} else {
				disagree = append(disagree, v)
			}
		}
	}
	bar.stop()

	rep.AgreePercent = agreePercent(rep.Agree, rep.Checked)
	rep.Disagreeing = len(disagree)
	slices.SortStableFunc(disagree, func(x, y verifiedCommit) int {
		return cmp.Or(cmp.Compare(y.AbsDiff, x.AbsDiff), strings.Compare(x.SHA, y.SHA))
	})
	rep.Worst = append(rep.Worst, disagree[:min(verifyWorst, len(disagree))]...)
	if err := a.printVerify(rep, o.format); err != nil {
		return err
	}
	if rep.Disagreeing > 0 {
		return fmt.Errorf("%d of %s of %s disagree with git blame", rep.Disagreeing, plural(int64(rep.Checked), "checked commit"), repo.Name)
	}
	return nil
}

// findRepository looks a repository up by name; a missing one is an error
// listing the stored ones.
func findRepository(ctx context.Context, db *store.DB, name string) (store.Repository, error) {
	if name != "" {
		r, err := db.RepositoryByName(ctx, name)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return r, err
		}
	}
	repos, err := db.Repositories(ctx)
	if err != nil {
		return store.Repository{}, err
	}
	var names []string
	for _, r := range repos {
		names = append(names, r.Name)
	}
	known := "none is stored yet; import one with `sluice analyze PATH|URL`"
	if len(names) > 0 {
		known = "known repositories: " + strings.Join(names, ", ")
	}
	if name == "" {
		return store.Repository{}, fmt.Errorf("--repo is required; %s", known)
	}
	return store.Repository{}, fmt.Errorf("no repository named %q; %s", name, known)
}

// repoGit returns the runner of git inside the repository's git directory
// (its local path, or its mirror), set up as the syncer sets it up.
func (a *app) repoGit(repo store.Repository) (*gitcmd.Runner, error) {
	dir := repo.LocalPath
	if dir == "" {
		dir = repo.MirrorPath
	}
	if dir == "" {
		return nil, fmt.Errorf("repository %s has neither a local path nor a mirror; import it again with `sluice analyze`", repo.Name)
	}
	if _, err := os.Stat(dir); err != nil {
		what := "its local clone"
		if repo.LocalPath == "" {
			what = "its mirror"
		}
		return nil, fmt.Errorf("cannot read %s at %s (%v); run `sluice analyze %s` to import it again", what, dir, unwrapPath(err), repo.Location())
	}
	var auth gitcmd.Auth
	if src := a.cfg.SourceByName(repo.Source); src != nil {
		auth = authFor(src)
	}
	return &gitcmd.Runner{Dir: dir, Auth: auth, Timeout: a.cfg.Git.Timeout}, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fullSHA matches a complete object name (SHA-1 or SHA-256).
var fullSHA = regexp.MustCompile(`^(?:[0-9a-f]{40}|[0-9a-f]{64})$`)

// resolveCommits turns the command-line commits into stored non-merge
// commit SHAs, in order, without repeats.
func resolveCommits(ctx context.Context, db *store.DB, git *gitcmd.Runner, repo store.Repository, args []string) ([]string, error) {
	var shas []string
	given := map[string]string{} // SHA -> argument
	for _, arg := range args {
		sha := strings.ToLower(arg)
		if !fullSHA.MatchString(sha) {
			out, err := git.Output(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", arg+"^{commit}")
			if err != nil {
				return nil, fmt.Errorf("%q names no commit of %s (git rev-parse found none)", arg, repo.Name)
			}
			sha = strings.TrimSpace(string(out))
		}
		if _, dup := given[sha]; !dup {
			given[sha] = arg
			shas = append(shas, sha)
		}
	}
	commits, missing, err := db.CommitsBySHA(ctx, repo.ID, shas)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		var names []string
		for _, sha := range missing {
			n := sha
			if arg := given[sha]; arg != sha {
				n = fmt.Sprintf("%s (%s)", arg, sha)
			}
			names = append(names, n)
		}
		return nil, fmt.Errorf("not stored for repository %s: %s; verify checks commits `sluice analyze` imported (analyze again if the repository moved on)", repo.Name, strings.Join(names, ", "))
	}
	for _, c := range commits {
		if c.IsMerge {
			return nil, fmt.Errorf("%s is a merge commit; merge commits have no work types (docs/metrics.md)", c.SHA)
		}
	}
	return shas, nil
}

// sampleSHAs returns n of shas (all of them when n is 0 or at least
// len(shas)): those ranking first by SHA-256 of the seed and the SHA. The
// same seed always picks the same commits, a larger n a superset, and a
// commit added to shas displaces a picked one only if it ranks before it.
func sampleSHAs(shas []string, n int, seed int64) []string {
	type ranked struct {
		rank uint64
		sha  string
	}
	rs := make([]ranked, len(shas))
	var buf []byte
	for i, sha := range shas {
		buf = strconv.AppendInt(buf[:0], seed, 10)
		buf = append(buf, ':')
		buf = append(buf, sha...)
		sum := sha256.Sum256(buf)
		rs[i] = ranked{binary.BigEndian.Uint64(sum[:8]), sha}
	}
	slices.SortFunc(rs, func(x, y ranked) int {
		return cmp.Or(cmp.Compare(x.rank, y.rank), strings.Compare(x.sha, y.sha))
	})
	if n > 0 && n < len(rs) {
		rs = rs[:n]
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.sha
	}
	return out
}

// recompute runs the blame oracle over commits on jobs goroutines and
// returns their figures in commits' order. Each file counts as ingest
// decided: one stored as excluded or binary is skipped.
func recompute(ctx context.Context, git *gitcmd.Runner, window time.Duration, commits []store.Commit, jobs int, done func()) ([]figures, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]figures, len(commits))
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(commits)) {
		wg.Go(func() {
			for i := range next {
				c := commits[i]
				skip := map[string]bool{}
				for _, f := range c.Files {
					if f.Excluded || f.Binary {
						skip[f.Path] = true
					}
				}
				o := &blameoracle.Oracle{
					Git:      git,
					Window:   window,
					Excluded: func(path string) bool { return skip[store.CleanText(path)] },
				}
				counts, err := o.Commit(ctx, c.SHA)
				if err != nil {
					fail(fmt.Errorf("recompute commit %s: %w", c.SHA, err))
					continue
				}
				results[i] = oracleFigures(counts)
				done()
			}
		})
	}
feed:
	for i := range commits {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	// Interrupted before any commit failed.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

// agreePercent is agree ÷ checked in percent, rounded down to one decimal,
// so that 100 means all of them.
func agreePercent(agree, checked int) float64 {
	if checked == 0 {
		return 0
	}
	return math.Floor(1000*float64(agree)/float64(checked)) / 10
}

// formatWindow writes a window in days when it is whole days.
func formatWindow(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func (a *app) printVerify(rep *verifyReport, format string) error {
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	w := a.stdout
	if rep.NonMergeCommits == 0 && rep.Checked == 0 {
		_, err := fmt.Fprintf(w, "%s: no non-merge commits stored; nothing to verify.\n", rep.Repo)
		return err
	}
	fmt.Fprintf(w, "repository  %s\n", rep.Repo)
	fmt.Fprintf(w, "window      %s (%d s; analysis.window)\n", rep.Window, rep.WindowSeconds)
	if rep.Sampled {
		how := fmt.Sprintf("sample of %d, seed %d", rep.Sample, rep.Seed)
		if rep.Checked == rep.NonMergeCommits {
			how = "all of them"
		}
		fmt.Fprintf(w, "checked     %d of %s (%s)\n", rep.Checked, plural(int64(rep.NonMergeCommits), "non-merge commit"), how)
	} else {
		fmt.Fprintf(w, "checked     %s named on the command line\n", plural(int64(rep.Checked), "commit"))
	}
	fmt.Fprintf(w, "agree       %d of %d (%s)\n\n", rep.Agree, rep.Checked, formatPercent(rep.AgreePercent))

	rows := make([][]string, len(figureNames))
	for i, t := range rep.Totals.all() {
		rows[i] = []string{figureNames[i], strconv.Itoa(t.Stored), strconv.Itoa(t.Recomputed), strconv.Itoa(t.AbsDiff)}
	}
	writeTable(w, []string{"figure", "stored", "recomputed", "abs_diff"}, rows, 1)

	if rep.Disagreeing == 0 {
		_, err := fmt.Fprintf(w, "\nAll %s agree with git blame.\n", plural(int64(rep.Checked), "checked commit"))
		return err
	}
	fmt.Fprintf(w, "\nWorst %d of %s that disagree (by total absolute difference):\n", len(rep.Worst), plural(int64(rep.Disagreeing), "commit"))
	for _, v := range rep.Worst {
		fmt.Fprintf(w, "\n%s  %s\n", v.SHA, v.Subject)
		diff := []string{"difference"}
		stored, recomputed := v.Stored.values(), v.Recomputed.values()
		for i := range stored {
			d := ""
			if stored[i] != recomputed[i] {
				d = fmt.Sprintf("%+d", stored[i]-recomputed[i])
			}
			diff = append(diff, d)
		}
		writeIndented(w, "  ", append([]string{""}, figureNames...), [][]string{
			append([]string{"stored"}, itoas(stored)...),
			append([]string{"recomputed"}, itoas(recomputed)...),
			diff,
		})
		fmt.Fprintf(w, "  total absolute difference %d\n", v.AbsDiff)
	}
	return nil
}

// writeIndented is writeTable with a text first column, each line indented.
func writeIndented(w io.Writer, indent string, header []string, rows [][]string) {
	var b strings.Builder
	writeTable(&b, header, rows, 1)
	for line := range strings.SplitSeq(strings.TrimSuffix(b.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(indent+line, " "))
	}
}

func itoas(v []int) []string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return s
}

func formatPercent(p float64) string {
	if p == 100 {
		return "100%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// verifyProgress shows verify's progress as a bar when stderr is a
// terminal (as analyze does); otherwise it shows nothing.
type verifyProgress struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	once sync.Once
}

func (a *app) newVerifyProgress(repo string, total int) *verifyProgress {
	v := &verifyProgress{}
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("CI") != "" || total == 0 {
		return v
	}
	v.p = mpb.New(mpb.WithOutput(a.stderr), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	v.bar = v.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name("verify "+repo+" ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d commits", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "), decor.AverageETA(decor.ET_STYLE_GO)),
		mpb.BarRemoveOnComplete(),
	)
	return v
}

func (v *verifyProgress) increment() {
	if v.bar != nil {
		v.bar.Increment()
	}
}

func (v *verifyProgress) stop() {
	if v.p == nil {
		return
	}
	v.once.Do(func() {
		v.bar.Abort(true)
		v.p.Wait()
	})
}
