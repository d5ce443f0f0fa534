package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/report"
	"github.com/sluicehq/sluice/internal/store"
)

func (a *app) reportCommand() *cobra.Command {
	var by, since, until, format, repo, team, interval string
	var persons []string
	var bots, outliers bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Figures per person, team, repository or the whole org",
		Long: `Aggregates the stored commits over [--since, --until) (author time).
Included commits are non-merge commits by people who are neither bots nor
excluded (or hidden), and not outliers (HALOC above analysis.outlier_haloc).

Per row: commits, coding days (distinct days, in the author's own UTC
offset, with at least one included commit, summed over the row's people),
people, coding days per week, commits per coding day, HALOC and its work
types (new work, legacy refactor, help others, rework) with their shares,
efficiency (1 − rework ÷ HALOC), impact, tt100 raw and productive (hours of
coding days per 100 lines), hunks, additions and deletions. A team's figures
sum its members' (sub-teams included), each counted only on days within
their membership. Definitions: docs/metrics.md.

An open end of the range defaults to the first/last included commit's day.
With --interval, rows are per day, ISO week (from Monday) or calendar month
of the author's own date.`,
		Example: `  sluice report --by person --since 2024-01-01 --until 2024-04-01
  sluice report --by team --interval month --format csv
  sluice report --by person --team backend --person ada@example.com
  sluice report --by org --interval week --include-outliers`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := report.Options{By: report.By(by), Repo: repo, Team: team, IncludeBots: bots,
				IncludeOutliers: outliers}
			var err error
			if o.Since, o.Until, err = parseRange(since, until); err != nil {
				return err
			}
			switch o.By {
			case report.ByPerson, report.ByTeam, report.ByRepo, report.ByOrg:
			default:
				return fmt.Errorf("--by %q is not supported; use person, team, repo or org", by)
			}
			switch interval {
			case "", "none":
			case "day", "week", "month":
				o.Interval = store.Interval(interval)
			default:
				return fmt.Errorf("--interval %q is not supported; use day, week or month", interval)
			}
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format %q is not supported; use table, csv or json", format)
			}
			ctx := cmd.Context()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if repo != "" {
				if _, err := db.RepositoryByName(ctx, repo); err != nil {
					return fmt.Errorf("repository %q: %w; list them with `sluice report --by repo`", repo, err)
				}
			}
			if team != "" {
				if _, err := db.TeamByName(ctx, team); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("no team %q; list them with `sluice teams list`", team)
					}
					return err
				}
			}
			for _, ref := range persons {
				id, err := db.FindPersonID(ctx, ref)
				if err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("no person %q; list them with `sluice people list`", ref)
					}
					return err
				}
				o.PersonIDs = append(o.PersonIDs, id)
			}
			rep, err := report.Build(ctx, db, o)
			if err != nil {
				return err
			}
			return a.printReport(rep, o, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&by, "by", "person", "group by person, team, repo or org")
	f.StringVar(&since, "since", "", "start of the range, inclusive (YYYY-MM-DD or RFC 3339)")
	f.StringVar(&until, "until", "", "end of the range, exclusive (YYYY-MM-DD or RFC 3339)")
	f.StringVar(&repo, "repo", "", "only this repository (by name)")
	f.StringVar(&team, "team", "", "only this team's members (sub-teams included), on days within their membership")
	f.StringArrayVar(&persons, "person", nil, "only this person (key, e-mail or name; repeatable)")
	f.StringVar(&interval, "interval", "", "one row per day, week or month (author's own calendar)")
	f.StringVar(&format, "format", "table", "table, csv or json")
	f.BoolVar(&bots, "include-bots", false, "count commits by bots (dependabot, *[bot], …)")
	f.BoolVar(&outliers, "include-outliers", false, "count outlier commits (HALOC above analysis.outlier_haloc)")
	return cmd
}

// reportColumns are the figures' columns after the key, name and bucket.
var reportColumns = []string{"commits", "coding_days", "people", "coding_days_per_week", "commits_per_coding_day",
	"haloc", "new_work", "legacy_refactor", "help_others", "rework",
	"new_work_pct", "legacy_refactor_pct", "help_others_pct", "rework_pct", "efficiency_pct",
	"impact", "tt100_raw_hours", "tt100_productive_hours", "hunks", "additions", "deletions"}

func (a *app) printReport(rep *report.Report, o report.Options, format string) error {
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	keyCol := map[report.By]string{report.ByPerson: "person", report.ByTeam: "team", report.ByRepo: "repo", report.ByOrg: "org"}[o.By]
	header := []string{keyCol}
	text := 1
	if o.By == report.ByPerson {
		header = append(header, "name")
		text++
	}
	if o.Interval != "" {
		header = append(header, string(o.Interval))
		text++
	}
	header = append(header, reportColumns...)
	null := "-"
	if format == "csv" {
		null = ""
	}
	num := func(v *float64) string {
		if v == nil {
			return null
		}
		return strconv.FormatFloat(*v, 'f', 2, 64)
	}
	i64 := strconv.Itoa
	rows := make([][]string, 0, len(rep.Rows))
	for _, r := range rep.Rows {
		row := []string{r.Key}
		if o.By == report.ByPerson {
			row = append(row, r.Name)
		}
		if o.Interval != "" {
			row = append(row, r.Bucket)
		}
		row = append(row, i64(r.Commits), i64(r.CodingDays), i64(r.People), num(r.CodingDaysPerWeek), num(r.CommitsPerCodingDay),
			i64(r.HALOC), i64(r.NewWork), i64(r.LegacyRefactor), i64(r.HelpOthers), i64(r.Rework),
			num(r.NewWorkPct), num(r.LegacyRefactorPct), num(r.HelpOthersPct), num(r.ReworkPct), num(r.EfficiencyPct),
			strconv.FormatFloat(r.Impact, 'f', 2, 64), num(r.TT100Raw), num(r.TT100Productive),
			i64(r.Hunks), i64(r.Additions), i64(r.Deletions))
		rows = append(rows, row)
	}
	if format == "csv" {
		w := csv.NewWriter(a.stdout)
		w.Write(header)
		w.WriteAll(rows)
		return w.Error()
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(a.stdout, "No included commits in range. Import a repository with `sluice analyze PATH|URL`.")
		return err
	}
	// Text columns (key, name, bucket) left-aligned, numbers right-aligned.
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
