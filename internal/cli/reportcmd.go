package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/report"
)

func (a *app) reportCommand() *cobra.Command {
	var by, since, until, format, repo string
	var bots bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Figures per person or per repository",
		Long: `Aggregates the stored commits over [--since, --until): included commits
(non-merge, not by bots), coding days (distinct days, in the author's own
UTC offset, with at least one included commit), coding days per week,
commits per coding day, additions and deletions. Definitions: docs/metrics.md.
An open end of the range defaults to the first/last included commit's day.`,
		Example: `  sluice report --by person --since 2024-01-01 --until 2024-04-01
  sluice report --by repo --format csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := report.Options{By: report.By(by), Repo: repo, IncludeBots: bots, BotPatterns: a.cfg.Analysis.BotPatterns}
			var err error
			if o.Since, o.Until, err = parseRange(since, until); err != nil {
				return err
			}
			if o.By != report.ByPerson && o.By != report.ByRepo {
				return fmt.Errorf("--by %q is not supported; use person or repo", by)
			}
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format %q is not supported; use table, csv or json", format)
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
			rep, err := report.Build(cmd.Context(), db, o)
			if err != nil {
				return err
			}
			return a.printReport(rep, o.By, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&by, "by", "person", "group by person or repo")
	f.StringVar(&since, "since", "", "start of the range, inclusive (YYYY-MM-DD or RFC 3339)")
	f.StringVar(&until, "until", "", "end of the range, exclusive (YYYY-MM-DD or RFC 3339)")
	f.StringVar(&repo, "repo", "", "only this repository (by name)")
	f.StringVar(&format, "format", "table", "table, csv or json")
	f.BoolVar(&bots, "include-bots", false, "count commits by bots (dependabot, *[bot], …)")
	return cmd
}

// checkRange rejects an empty or reversed [since, until) range, which
// would otherwise select nothing without a word. sinceArg and untilArg are
// the flags as written.

func (a *app) printReport(rep *report.Report, by report.By, format string) error {
	keyCol, nameCol, countCol := "email", "name", "repos"
	if by == report.ByRepo {
		keyCol, nameCol, countCol = "repo", "", "people"
	}
	header := []string{keyCol}
	if nameCol != "" {
		header = append(header, nameCol)
	}
	header = append(header, "commits", "coding_days", "coding_days_per_week", "commits_per_coding_day", "additions", "deletions", countCol)
	rows := make([][]string, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		row := []string{r.Key}
		if nameCol != "" {
			row = append(row, r.Name)
		}
		count := r.Repos
		if by == report.ByRepo {
			count = r.People
		}
		row = append(row, strconv.Itoa(r.Commits), strconv.Itoa(r.CodingDays),
			strconv.FormatFloat(r.CodingDaysPerWeek, 'f', 2, 64), strconv.FormatFloat(r.CommitsPerCodingDay, 'f', 2, 64),
			strconv.Itoa(r.Additions), strconv.Itoa(r.Deletions), strconv.Itoa(count))
		rows = append(rows, row)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		w := csv.NewWriter(a.stdout)
		w.Write(header)
		w.WriteAll(rows)
		return w.Error()
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(a.stdout, "No commits in range. Import a repository with `sluice analyze PATH|URL`.")
		return err
	}
	// Text columns (email, name, repo) left-aligned, numbers right-aligned.
	text := 1
	if nameCol != "" {
		text = 2
	}
	writeTable(a.stdout, header, rows, text)
	_, err := fmt.Fprintf(a.stdout, "range %s – %s\n", rep.Since.Format(time.DateOnly), rep.Until.Format(time.DateOnly))
	return err
}

// writeTable prints rows in aligned columns: the first textCols columns
// left-aligned, the rest (numbers) right-aligned.
func writeTable(w io.Writer, header []string, rows [][]string, textCols int) {
	widths := make([]int, len(header))
	for _, row := range append([][]string{header}, rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range append([][]string{header}, rows...) {
		b.Reset()
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < textCols {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
