package cli

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/store"
)

func (a *app) exportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export stored data as JSON lines or CSV",
	}
	var repo, since, until, format string
	commits := &cobra.Command{
		Use:   "commits",
		Short: "One row per commit",
		Long: `Prints one row per stored commit, ordered by author time:
sha, repo, author_name, author_email, author_time (RFC 3339 with the
author's own UTC offset), committer_name, committer_email, committer_time,
subject, is_merge, parents (space-separated in CSV), additions, deletions,
files_changed, hunks, haloc, new_work, legacy_refactor, help_others, rework,
outlier. additions/deletions/files_changed are numstat totals over files
that are not excluded; hunks, haloc and the work types (zero for merge
commits) come from the -U0 hunks of those files and git blame; outlier is
haloc > analysis.outlier_haloc (see docs/metrics.md).`,
		Example: `  sluice export commits --repo service --since 2024-01-01 --format csv > commits.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.CommitFilter{Repo: repo}
			var err error
			if f.Since, f.Until, err = parseRange(since, until); err != nil {
				return err
			}
			w, err := newCommitWriter(a.stdout, format)
			if err != nil {
				return err
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if repo != "" {
				if _, err := db.RepositoryByName(cmd.Context(), repo); err != nil {
					return fmt.Errorf("repository %q: %w; list them with `sluice report --by repo`", repo, err)
				}
			}
			if err := db.ForEachCommit(cmd.Context(), f, w.write); err != nil {
				return err
			}
			return w.close()
		},
	}
	fl := commits.Flags()
	fl.StringVar(&repo, "repo", "", "only this repository (by name)")
	fl.StringVar(&since, "since", "", "only commits authored at or after this time (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&until, "until", "", "only commits authored before this time (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&format, "format", "jsonl", "jsonl or csv")
	cmd.AddCommand(commits)
	return cmd
}

type commitWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
	csv *csv.Writer
}

func newCommitWriter(out io.Writer, format string) (*commitWriter, error) {
	w := &commitWriter{bw: bufio.NewWriterSize(out, 64<<10)}
	switch format {
	case "jsonl", "json":
		w.enc = json.NewEncoder(w.bw)
		w.enc.SetEscapeHTML(false)
	case "csv":
		w.csv = csv.NewWriter(w.bw)
		if err := w.csv.Write(store.CommitColumns); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("--format %q is not supported; use jsonl or csv", format)
	}
	return w, nil
}

func (w *commitWriter) write(c store.CommitRow) error {
	r := c.Record()
	if w.enc != nil {
		return w.enc.Encode(r)
	}
	return w.csv.Write(r.CSV())
}

func (w *commitWriter) close() error {
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}
