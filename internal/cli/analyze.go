package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/ingest"
	"github.com/sluicehq/sluice/internal/people"
	"github.com/sluicehq/sluice/internal/store"
)

func (a *app) analyzeCommand() *cobra.Command {
	var t ingest.Target
	var batch int
	cmd := &cobra.Command{
		Use:   "analyze PATH|URL",
		Short: "Import a Git repository (again: only what is new)",
		Long: `Adds the repository if it is new and imports its history: every commit of
every branch and tag (each once), with the mailmap applied, lines added and
removed per file, and each commit's hunks, HALOC and work types (new work,
legacy refactor, help others, rework), which line provenance computes as
git blame would (check them with sluice verify). Remote repositories are
mirrored under the data dir; local ones are read in place and never
modified. Running it again imports only new commits, and continues an
interrupted run (replaying from the last completed sync).

Credentials come from the source in sluice.yaml whose url is the longest
prefix of the repository URL (token for HTTPS, ssh_key_file and
known_hosts_file for SSH).`,
		Example: `  sluice analyze .
  sluice analyze https://git.example.internal/team/service.git --name service
  sluice analyze ssh://git@git.example.internal:7999/team/service.git --branch main`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			t.Location = args[0]
			if err := a.applySource(&t); err != nil {
				return err
			}
			res, err := a.sync(ctx, db, t, batch)
			if err != nil {
				return err
			}
			// New identities get their aliases, flags and bot status.
			if err := a.applyPeople(ctx, db); err != nil {
				return err
			}
			a.printSummary(res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&t.Name, "name", "", "name of the repository in Sluice (default: from the URL path or directory name)")
	f.StringVar(&t.Branch, "branch", "", "import only this branch (default: all branches and tags)")
	f.BoolVar(&t.NoExcludes, "no-excludes", false, "count lock files, vendored and minified files too (binary files stay excluded)")
	f.IntVar(&batch, "batch-size", ingest.DefaultBatchSize, "commits saved per transaction")
	f.MarkHidden("batch-size")
	return cmd
}

// applySource fills t's credentials from the matching configured source
// and its excludes from the analysis settings.
func (a *app) applySource(t *ingest.Target) error {
	t.ExcludeGlobs = a.cfg.Analysis.ExcludePaths
	if a.cfg.Analysis.NoDefaultExcludes {
		t.NoExcludes = true
	}
	clean, kind, err := gitcmd.ParseRemote(t.Location)
	if err != nil {
		return err
	}
	if kind == gitcmd.Local {
		return nil
	}
	src := a.cfg.SourceFor(clean)
	if t.Source != "" { // named explicitly by repositories[].source
		src = a.cfg.SourceByName(t.Source)
	}
	if src == nil {
		a.logger.Debug("no configured source matches; connecting without credentials", "url", clean)
		return nil
	}
	t.Source = src.Name
	t.Auth = authFor(src)
	return nil
}

func authFor(src *config.Source) gitcmd.Auth {
	return gitcmd.Auth{
		Token:          src.Token.Value,
		Username:       src.Username,
		Scheme:         src.AuthScheme,
		CAFile:         src.CAFile,
		SSHKeyFile:     src.SSHKeyFile,
		KnownHostsFile: src.KnownHostsFile,
	}
}

// sync runs one repository's sync with progress on the terminal.
func (a *app) sync(ctx context.Context, db *store.DB, t ingest.Target, batch int) (ingest.Result, error) {
	return a.syncWith(ctx, db, t, batch, a.newProgress())
}

// syncWith runs one repository's sync, reporting progress to p.
func (a *app) syncWith(ctx context.Context, db *store.DB, t ingest.Target, batch int, p *progress) (ingest.Result, error) {
	// Aliases decide rework versus help others (metrics.md §3); openDB
	// applied the configured ones.
	persons, err := people.PersonMap(ctx, db)
	if err != nil {
		return ingest.Result{}, err
	}
	defer p.stop()
	s := &ingest.Syncer{
		People:       persons,
		DB:           db,
		DataDir:      a.dataDir,
		Logger:       a.logger,
		Timeout:      a.cfg.Git.Timeout,
		BatchSize:    batch,
		Window:       a.cfg.Analysis.Window,
		OutlierHALOC: a.cfg.Analysis.OutlierHALOC,
		Progress:     p.update,
	}
	if p.tty {
		s.FetchProgress = p.fetchOutput()
	}
	return s.Sync(ctx, t)
}

func (a *app) printSummary(res ingest.Result) {
	if hwm := peakRSS(); hwm > 0 {
		a.logger.Debug("peak memory of this process", "rss_mib", hwm>>20)
	}
	state := "imported " + plural(res.Imported, "new commit")
	if res.UpToDate {
		state = "up to date"
	}
	if res.Reimported {
		state += " (re-imported: analysis settings, exclude rules or .mailmap changed)"
	}
	if res.Pruned > 0 {
		state += fmt.Sprintf(", removed %s no branch or tag reaches any more", plural(res.Pruned, "commit"))
	}
	fmt.Fprintf(a.stdout, "%s: %s; %s by %s stored (%s)\n",
		res.Repo.Name, state, plural(res.Commits, "commit"), plural(int64(res.Authors), "author"), res.Duration.Round(time.Millisecond))
}

// progress shows a sync's progress: a bar on a terminal, else a log line
// every few seconds.
type progress struct {
	a    *app
	tty  bool
	mu   sync.Mutex
	p    *mpb.Progress
	bar  *mpb.Bar
	last time.Time
	repo string
}

func (a *app) newProgress() *progress {
	p := &progress{a: a}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" {
		p.tty = true
		p.p = mpb.New(mpb.WithOutput(a.stderr), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
	}
	return p
}

func (p *progress) update(e ingest.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.repo = e.Repo
	if !p.tty {
		switch {
		case e.Phase != ingest.PhaseImport || e.Total == 0:
		case e.Done == 0:
			p.last = time.Now()
			p.a.logger.Info("importing new commits", "repo", e.Repo, "commits", e.Total)
		case time.Since(p.last) > 5*time.Second:
			p.last = time.Now()
			p.a.logger.Info("importing", "repo", e.Repo, "done", e.Done, "of", e.Total)
		}
		return
	}
	if e.Phase != ingest.PhaseImport || e.Total == 0 {
		return
	}
	if p.bar == nil {
		p.bar = p.p.AddBar(e.Total,
			mpb.PrependDecorators(decor.Name(e.Repo+" ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d commits", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
			mpb.BarRemoveOnComplete(),
		)
	}
	if e.Done > e.Total {
		p.bar.SetTotal(e.Done, false)
	}
	p.bar.EwmaSetCurrent(e.Done, time.Second)
}

// fetchOutput passes git's clone/fetch progress through to the terminal.
func (p *progress) fetchOutput() io.Writer { return p.a.stderr }

func (p *progress) stop() {
	if p.p == nil {
		return
	}
	p.mu.Lock()
	if p.bar != nil {
		p.bar.Abort(true)
	}
	p.mu.Unlock()
	p.p.Wait()
}

// maskDSN hides a password in a postgres:// URL.
func maskDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "******")
	}
	return u.Redacted()
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// peakRSS is the process's peak resident set size in bytes (Linux), or 0.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
