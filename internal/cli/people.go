package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/people"
	"github.com/sluicehq/sluice/internal/store"
)

func (a *app) peopleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "people",
		Short: "List, merge and split people; leave them out of metrics",
		Long: `A person is a set of git identities: identities with the same e-mail
(compared lowercased) are one person, and so are a GitHub noreply address
(NNN+login@users.noreply.github.com) and the account login. Anything else
is merged by people.aliases in sluice.yaml or by sluice people merge.

PERSON is a person's key (as sluice people list shows it), any of their
e-mails, or their name when no one else has it.

What sluice.yaml defines (people.aliases, people.exclude, people.hide) is
applied first by every command run with that file, and cannot be undone
here: edit sluice.yaml. A command run without any sluice.yaml leaves it as
the last one applied it.`,
	}
	cmd.AddCommand(a.peopleListCommand(), a.peopleMergeCommand(), a.peopleSplitCommand(), a.peopleSuggestCommand(),
		a.peopleDismissCommand())
	for _, f := range []struct {
		use, short    string
		excluded, hid *bool
		note          string
	}{
		{"exclude", "Leave a person out of every metric (they stay in lists)", ptr(true), nil, "excluded from metrics"},
		{"include", "Count an excluded person in metrics again", ptr(false), nil, "included in metrics"},
		{"hide", "Leave a person out of metrics and of lists", ptr(true), ptr(true), "hidden (and excluded from metrics)"},
		{"unhide", "Show a hidden person in lists again (they stay excluded until include)", nil, ptr(false), "shown in lists again"},
	} {
		cmd.AddCommand(a.peopleFlagCommand(f.use, f.short, f.excluded, f.hid, f.note))
	}
	return cmd
}

func ptr[T any](v T) *T { return &v }

func (a *app) peopleListCommand() *cobra.Command {
	var all bool
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "One row per person: key, name, e-mails, commits, flags",
		Long: `Prints every person with their key (what other commands accept as
PERSON), name, e-mails, number of authored commits and flags: bot,
excluded (left out of metrics), hidden (left out of metrics and of this
list unless --all).`,
		Example: `  sluice people list
  sluice people list --all --format csv > people.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "table", "csv", "json":
			default:
				return fmt.Errorf("--format %q is not supported; use table, csv or json", format)
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ps, err := db.People(cmd.Context())
			if err != nil {
				return err
			}
			var shown []store.Person
			for _, p := range ps {
				if all || !p.Hidden {
					shown = append(shown, p)
				}
			}
			return writePeople(a.stdout, shown, format)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include hidden people")
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	return cmd
}

// personRow is one row of sluice people list.
type personRow struct {
	Key     string   `json:"key"`
	Name    string   `json:"name"`
	Emails  []string `json:"emails"`
	Commits int      `json:"commits"`
	Flags   []string `json:"flags"`
}

func rowOf(p store.Person) personRow {
	r := personRow{Key: p.Key, Name: p.Name, Commits: p.Commits, Emails: []string{}, Flags: []string{}}
	seen := map[string]bool{}
	for _, i := range p.Identities {
		if i.Email != "" && !seen[i.Email] {
			seen[i.Email] = true
			r.Emails = append(r.Emails, i.Email)
		}
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{p.Bot, "bot"}, {p.Excluded, "excluded"}, {p.Hidden, "hidden"}} {
		if f.on {
			r.Flags = append(r.Flags, f.name)
		}
	}
	return r
}

func writePeople(out io.Writer, ps []store.Person, format string) error {
	switch format {
	case "json":
		rows := make([]personRow, 0, len(ps))
		for _, p := range ps {
			rows = append(rows, rowOf(p))
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		w := csv.NewWriter(out)
		w.Write([]string{"key", "name", "emails", "commits", "flags"})
		for _, p := range ps {
			r := rowOf(p)
			w.Write([]string{r.Key, r.Name, strings.Join(r.Emails, " "), strconv.Itoa(r.Commits), strings.Join(r.Flags, " ")})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME\tEMAILS\tCOMMITS\tFLAGS")
	for _, p := range ps {
		r := rowOf(p)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", r.Key, r.Name, strings.Join(r.Emails, ", "), r.Commits, strings.Join(r.Flags, ","))
	}
	return tw.Flush()
}

// configKeys returns the keys of p that an alias in sluice.yaml maps.
func configKeys(p store.Person) []string {
	var ks []string
	for _, k := range p.Keys {
		if k.Source == store.SourceConfig {
			ks = append(ks, k.Key)
		}
	}
	return ks
}

func (a *app) peopleMergeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "merge PERSON PERSON...",
		Short: "Merge people into the first one",
		Long: `Makes the people named one person: the first keeps its name, key, flags and
team memberships and gains the others' e-mails and keys; a membership of
another in the same team over an overlapping period is dropped. Undo one
e-mail with sluice people split. People merged by people.aliases in
sluice.yaml can only be merged into, not away: edit sluice.yaml.`,
		Example: `  sluice people merge ann@example.com ann.lee@old.example.com
  sluice people merge "Ann Lee" github:annlee`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			into, err := db.FindPerson(ctx, args[0])
			if err != nil {
				return err
			}
			var from []int64
			for _, ref := range args[1:] {
				p, err := db.FindPerson(ctx, ref)
				if err != nil {
					return err
				}
				if p.ID == into.ID {
					continue
				}
				if ks := configKeys(p); len(ks) > 0 {
					return fmt.Errorf("%s (%s) is merged by people.aliases: %w (or name them first)", p.Key, strings.Join(ks, ", "), people.ErrConfigDefined)
				}
				from = append(from, p.ID)
			}
			if len(from) == 0 {
				return fmt.Errorf("%s are all already one person (%s)", strings.Join(args, ", "), into.Key)
			}
			if err := db.MergePeople(ctx, into.ID, from, store.SourceCLI); err != nil {
				return err
			}
			if err := db.RefreshBots(ctx, a.cfg.Analysis.BotPatterns); err != nil {
				return err
			}
			p, err := db.Person(ctx, into.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "merged %d into %s (%s): %s\n", len(from), p.Key, p.Name, strings.Join(rowOf(p).Emails, ", "))
			return nil
		},
	}
}

func (a *app) peopleSplitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "split EMAIL",
		Short: "Make one e-mail (or key) a person of its own again",
		Long: `Takes one e-mail — or key such as github:login — and its identities off the
person it was merged into and makes them a person of their own, named
after the identity. A person's only e-mail cannot be split off, nor one
that people.aliases in sluice.yaml merges (edit sluice.yaml).`,
		Example: `  sluice people split ann.lee@old.example.com`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			key := strings.ToLower(strings.TrimSpace(args[0]))
			if strings.Contains(key, "@") {
				key = store.PersonKey("", key)
			}
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			id, err := db.PersonIDByKey(ctx, key)
			if err != nil {
				return fmt.Errorf("%w; list people and their e-mails with `sluice people list --all`", err)
			}
			p, err := db.Person(ctx, id)
			if err != nil {
				return err
			}
			for _, k := range p.Keys {
				if k.Key == key && k.Source == store.SourceConfig {
					return fmt.Errorf("%s is merged into %s by people.aliases: %w", key, p.Key, people.ErrConfigDefined)
				}
			}
			nid, err := db.SplitPersonKey(ctx, key, store.SourceCLI)
			if err != nil {
				return err
			}
			if err := db.RefreshBots(ctx, a.cfg.Analysis.BotPatterns); err != nil {
				return err
			}
			np, err := db.Person(ctx, nid)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "split %s off %s: it is now %s (%s)\n", key, p.Name, np.Key, np.Name)
			return nil
		},
	}
}

func (a *app) peopleSuggestCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "suggest",
		Short: "List people who are likely one person (same name, different e-mails)",
		Long: `Lists groups of different people, bots left out, whose names are equal
ignoring case and spacing, each with the command that merges them and the
one that dismisses the suggestion. Check before merging: two people may
share a name. A person dismissed against everyone else in a group
(sluice people dismiss) leaves it; the group goes once all its pairs are
dismissed, and comes back if someone new with that name appears.`,
		Example: `  sluice people suggest`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			groups, err := db.SuggestedMerges(cmd.Context())
			if err != nil {
				return err
			}
			if len(groups) == 0 {
				fmt.Fprintln(a.stdout, "no suggestions: no two people share a name, apart from those dismissed as different people")
				return nil
			}
			for _, g := range groups {
				fmt.Fprintf(a.stdout, "%s:\n", g[0].Name)
				keys := make([]string, len(g))
				for i, p := range g {
					keys[i] = p.Key
					fmt.Fprintf(a.stdout, "  %s  %s  %d commits\n", p.Key, strings.Join(rowOf(p).Emails, ", "), p.Commits)
				}
				fmt.Fprintf(a.stdout, "  merge: sluice people merge %s\n", strings.Join(keys, " "))
				fmt.Fprintf(a.stdout, "  not the same person: sluice people dismiss %s\n", strings.Join(keys, " "))
			}
			return nil
		},
	}
}

func (a *app) peopleDismissCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "dismiss PERSON PERSON...",
		Short: "Record that people are not one person, so that suggest stops suggesting them",
		Long: `Dismisses the suggested merge of the people named (sluice people suggest):
each pair of them is recorded as not one person. The record is kept by
their e-mails and keys, so it holds through later merges and splits: an
e-mail merged into one of them later counts as dismissed too, and after
merging two of them anyway and splitting them again they stay dismissed.
It never stops a merge made on purpose.`,
		Example: `  sluice people dismiss ann@example.com ann@other.example`,
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			var keys, names []string
			seen := map[int64]bool{}
			for _, ref := range args {
				p, err := db.FindPerson(ctx, ref)
				if err != nil {
					return err
				}
				if seen[p.ID] {
					continue
				}
				seen[p.ID] = true
				keys = append(keys, p.Key)
				names = append(names, fmt.Sprintf("%s (%s)", p.Key, p.Name))
			}
			if len(keys) < 2 {
				return fmt.Errorf("%s are all one person (%s); name two or more different people", strings.Join(args, ", "), keys[0])
			}
			if err := db.DismissSuggestion(ctx, keys...); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "dismissed: %s are not suggested as one person any more\n", strings.Join(names, ", "))
			return nil
		},
	}
}

func (a *app) peopleFlagCommand(use, short string, excluded, hidden *bool, note string) *cobra.Command {
	return &cobra.Command{
		Use:     use + " PERSON",
		Short:   short,
		Example: "  sluice people " + use + " contractor@example.com",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			p, err := db.FindPerson(ctx, args[0])
			if err != nil {
				return err
			}
			// Undoing what sluice.yaml sets would not last: Apply sets it again.
			undo := func(key string, refs []string) error {
				for _, ref := range refs {
					if id, err := db.FindPersonID(ctx, ref); err == nil && id == p.ID {
						return fmt.Errorf("%s is listed in %s: %w", p.Key, key, people.ErrConfigDefined)
					}
				}
				return nil
			}
			if excluded != nil && !*excluded {
				if err := undo("people.exclude", a.cfg.People.Exclude); err != nil {
					return err
				}
				if err := undo("people.hide", a.cfg.People.Hide); err != nil {
					return err
				}
			}
			if hidden != nil && !*hidden {
				if err := undo("people.hide", a.cfg.People.Hide); err != nil {
					return err
				}
			}
			if err := db.SetPersonFlags(ctx, p.ID, excluded, hidden); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s (%s) is %s\n", p.Key, p.Name, note)
			return nil
		},
	}
}
