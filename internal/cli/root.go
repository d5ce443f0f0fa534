// Package cli implements the sluice command line: global flags, config
// loading, and one file per command.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/people"
	"github.com/sluicehq/sluice/internal/store"
)

// Main runs the command line with args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &app{stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// SLUICE_CPUPROFILE=FILE writes a CPU profile of the command (for
	// performance work; see docs/performance.md).
	if path := os.Getenv("SLUICE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() {
				pprof.StopCPUProfile()
				f.Close()
			}()
		}
	}
	if err := root.ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "sluice: interrupted; run the same command again to continue where it stopped")
			return 130
		}
		fmt.Fprintf(stderr, "sluice: %v\n", err)
		return 1
	}
	return 0
}

// app holds what the global flags resolve to, shared by every command.
type app struct {
	stdout, stderr io.Writer

	flagDataDir  string
	flagDB       string
	flagConfig   string
	flagLogLevel string

	cfg     *config.Config
	cfgPath string // "" when no file was loaded
	dataDir string
	dsn     string
	logger  *slog.Logger
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "sluice",
		Short: "Engineering analytics from your own Git servers",
		Long: `Sluice imports Git repositories — local paths, HTTPS or SSH remotes,
including servers inside your network — and turns their history into
engineering metrics: commits, coding days, additions and deletions per
person and repository.

Start with:
  sluice serve --repo .        analyse this repository and open the web UI
  sluice analyze PATH|URL      import a repository (again: only what is new)
  sluice report --by person    figures per person`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.flagDataDir, "data-dir", "", "directory for the database and mirrors (env SLUICE_DATA_DIR; default $XDG_DATA_HOME/sluice or ~/.local/share/sluice)")
	pf.StringVar(&a.flagDB, "db", "", "database: a SQLite file path or a postgres:// URL (env SLUICE_DB; default DATA_DIR/sluice.db)")
	pf.StringVar(&a.flagConfig, "config", "", "config file (env SLUICE_CONFIG; default ./sluice.yaml if present)")
	pf.StringVar(&a.flagLogLevel, "log-level", "", "debug, info, warn or error (env SLUICE_LOG_LEVEL; default info)")
	root.AddCommand(
		a.versionCommand(),
		a.configCommand(),
		a.analyzeCommand(),
		a.exportCommand(),
		a.reportCommand(),
		a.peopleCommand(),
		a.teamsCommand(),
		a.serveCommand(),
		a.tokensCommand(),
		a.usersCommand(),
		a.verifyCommand(),
	)
	return root
}

// setup resolves config, data dir, database and logger: flag, then
// environment, then config file, then default.
func (a *app) setup(cmd *cobra.Command) error {
	if cmd.Name() == "version" || cmd.Name() == "help" {
		return nil
	}
	cfgPath := first(a.flagConfig, os.Getenv("SLUICE_CONFIG"))
	explicit := cfgPath != ""
	if !explicit {
		if _, err := os.Stat("sluice.yaml"); err == nil {
			cfgPath = "sluice.yaml"
		}
	}
	if cfgPath != "" {
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return err
		}
		a.cfg, a.cfgPath = cfg, cfgPath
	} else {
		a.cfg = config.Default()
	}

	level := first(a.flagLogLevel, os.Getenv("SLUICE_LOG_LEVEL"), a.cfg.LogLevel, "info")
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("log level %q is not valid; use debug, info, warn or error", level)
	}
	a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lv}))

	dataDir := first(a.flagDataDir, os.Getenv("SLUICE_DATA_DIR"), a.cfg.DataDir)
	if dataDir == "" {
		base := os.Getenv("XDG_DATA_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return fmt.Errorf("cannot find a home directory for the default data dir; set --data-dir or SLUICE_DATA_DIR")
			}
			base = filepath.Join(home, ".local", "share")
		}
		dataDir = filepath.Join(base, "sluice")
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	a.dataDir = abs
	a.dsn = first(a.flagDB, os.Getenv("SLUICE_DB"), a.cfg.DB.Value, filepath.Join(a.dataDir, "sluice.db"))
	return nil
}

// openDB opens (and migrates) the database.
func (a *app) openDB(ctx context.Context) (*store.DB, error) {
	if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := store.Open(ctx, a.dsn)
	if err != nil {
		return nil, err
	}
	a.logger.Debug("database open", "engine", db.Engine())
	// sluice.yaml is the source of truth for sources; the table records
	// them (never their credentials) so that stored data can name them.
	for _, src := range a.cfg.Sources {
		if _, err := db.UpsertSource(ctx, store.Source{Name: src.Name, Kind: src.Kind, URL: src.URL}); err != nil {
			db.Close()
			return nil, err
		}
	}
	// Likewise for people and teams (aliases, exclusions, teams): every
	// command sees them as sluice.yaml says.
	if err := a.applyPeople(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// applyPeople makes the database's people and teams match sluice.yaml
// (people.Apply) when a sluice.yaml was loaded. Without one it changes
// nothing: a command run from elsewhere must not undo the configured
// aliases (which would also re-import every repository's work types at
// the next sync).
func (a *app) applyPeople(ctx context.Context, db *store.DB) error {
	if a.cfgPath == "" {
		return nil
	}
	return people.Apply(ctx, db, a.cfg)
}

func first(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
