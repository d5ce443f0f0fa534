package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/ingest"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

func (a *app) serveCommand() *cobra.Command {
	var repos []string
	var addr string
	cmd := &cobra.Command{
		Use:   "serve [--repo PATH|URL]...",
		Short: "Analyse repositories, then serve the web UI and API",
		Long: `Imports each --repo (and every repository in sluice.yaml), then serves the
web UI and the JSON API (/api/v1) on --addr. The UI requires a login:
create users with ` + "`sluice users add NAME --admin`" + `. With --repo and no
user yet, serve creates the user "admin" and prints its one-time password.
A database without users whose old admin password file exists
(server.admin_password_file, or DATA_DIR/admin-password) gets the user
"admin" with that password. See docs/auth.md.`,
		Example: `  sluice serve --repo .
  sluice serve --repo https://git.example.internal/team/service.git --addr 0.0.0.0:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if addr == "" {
				addr = first(a.cfg.Server.Addr, "127.0.0.1:8080")
			}
			// Bind first: a busy or bad address must fail now, not after an
			// import that may take hours.
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w; pick another address with --addr", addr, err)
			}
			defer ln.Close()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()

			targets := make([]ingest.Target, 0, len(repos)+len(a.cfg.Repositories))
			for _, r := range repos {
				targets = append(targets, ingest.Target{Location: r})
			}
			for _, r := range a.cfg.Repositories {
				targets = append(targets, ingest.Target{Location: r.URL, Name: r.Name, Branch: r.Branch, Source: r.Source})
			}
			// The web UI's "Sync now" goes through worker, one sync at a
			// time; the first syncs run here, before serving, through the
			// same bookkeeping so that the sources page shows their outcome.
			known := &serveTargets{a: a, db: db}
			worker := newSyncWorker(func(ctx context.Context, t ingest.Target) (ingest.Result, error) {
				return a.backgroundSync(ctx, db, t)
			}, known.lookup, a.logger)
			interactive := func(ctx context.Context, t ingest.Target) (ingest.Result, error) { return a.sync(ctx, db, t, 0) }
			var failed int
			for _, t := range targets {
				if err := a.applySource(&t); err != nil {
					return err
				}
				name := targetName(t)
				res, err := worker.syncOne(ctx, name, t, interactive)
				if res.Repo.Name != "" {
					name = res.Repo.Name
				}
				t.Name = name
				known.add(name, t)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					// One broken repository must not keep the others from
					// being served; say what failed and go on.
					failed++
					a.logger.Error("sync failed", "repo", t.Location, "err", err)
					continue
				}
				a.printSummary(res)
			}

			// New identities get their aliases, flags and bot status.
			if err := a.applyPeople(ctx, db); err != nil {
				return err
			}

			legacy := a.cfg.Server.AdminPasswordFile
			if legacy == "" {
				legacy = filepath.Join(a.dataDir, "admin-password")
			}
			if len(repos) > 0 {
				if _, err := os.Stat(legacy); errors.Is(err, os.ErrNotExist) {
					if err := web.CreateQuickStartAdmin(ctx, db, a.stdout); err != nil {
						return err
					}
				}
			}
			if err := web.EnsureAdmin(ctx, db, legacy, a.stdout); err != nil {
				return err
			}
			key, err := a.sessionKey()
			if err != nil {
				return err
			}
			srv := &web.Server{
				DB:                db,
				Logger:            a.logger,
				SessionKey:        key,
				BotPatterns:       a.cfg.Analysis.BotPatterns,
				Version:           Version(),
				Syncer:            worker,
				ConfiguredExclude: a.cfg.People.Exclude,
				ConfiguredHide:    a.cfg.People.Hide,
			}
			handler := srv.Handler()
			wctx, stopWorker := context.WithCancel(ctx)
			worker.start(wctx)
			// Recompute the most visited views after each change to the
			// data (a sync, a merge), so their first visit is quick.
			warmed := make(chan struct{})
			go func() {
				defer close(warmed)
				srv.KeepWarm(wctx, warmEvery)
			}()
			// A sync in progress, and the warming, stop with the server
			// (the next sync goes on from its checkpoint) before the
			// database closes.
			defer worker.wait()
			defer func() { <-warmed }()
			defer stopWorker()
			if every := a.cfg.Server.SyncInterval; every > 0 {
				go known.resyncEvery(wctx, worker, every)
			}
			hs := &http.Server{
				Handler:           handler,
				ReadHeaderTimeout: 10 * time.Second,
				IdleTimeout:       2 * time.Minute,
			}
			url := "http://" + displayAddr(ln.Addr().String())
			fmt.Fprintf(a.stdout, "Sluice is serving on %s\n", url)
			if failed > 0 {
				fmt.Fprintf(a.stdout, "%d repositories failed to sync; see the errors above\n", failed)
			}
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
				a.logger.Info("shutting down")
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := hs.Shutdown(sctx); err != nil {
					return err
				}
				return nil
			}
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&repos, "repo", nil, "repository to analyse before serving: a path or URL (repeatable)")
	f.StringVar(&addr, "addr", "", "listen address (default server.addr from sluice.yaml, else 127.0.0.1:8080)")
	return cmd
}

// warmEvery is how often serve checks whether the data changed and the
// cached views need recomputing.
const warmEvery = 3 * time.Second

// targetName is the name a target's repository gets: its configured name,
// else the one derived from its location (the store's name after its first
// sync; a local path given below the repository root gets the root's).
func targetName(t ingest.Target) string {
	if t.Name != "" {
		return t.Name
	}
	clean, kind, err := gitcmd.ParseRemote(t.Location)
	if err != nil {
		return t.Location
	}
	return ingest.DeriveName(clean, kind)
}

// backgroundSync is a sync the web UI asked for: progress goes to the log,
// not to the terminal, and new identities get their configured aliases,
// flags and bot status afterwards, as after serve's first syncs.
func (a *app) backgroundSync(ctx context.Context, db *store.DB, t ingest.Target) (ingest.Result, error) {
	res, err := a.syncWith(ctx, db, t, 0, &progress{a: a})
	if err != nil {
		return res, err
	}
	if err := a.applyPeople(ctx, db); err != nil {
		return res, fmt.Errorf("the sync worked, but applying people and teams from sluice.yaml failed: %w", err)
	}
	a.logger.Info("sync done", "repo", res.Repo.Name, "imported", res.Imported, "up_to_date", res.UpToDate,
		"reimported", res.Reimported, "commits", res.Commits, "duration", res.Duration.Round(time.Millisecond))
	return res, nil
}

// displayAddr makes a listen address clickable.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// sessionKey returns the key that signs login cookies, kept in the data
// dir so that sessions survive a restart.
func (a *app) sessionKey() ([]byte, error) {
	file := filepath.Join(a.dataDir, "session-key")
	if b, err := os.ReadFile(file); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	return key, writeSecretFile(file, key)
}

func writeSecretFile(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}
