package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

// tokensCommand manages API tokens.
func (a *app) tokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Manage API tokens (Authorization: Bearer sluice_…)",
		Long: `An API token lets a script or a dashboard call the API as a user, with that
user's role, without the password: send "Authorization: Bearer TOKEN".
Tokens are stored only as SHA-256 hashes, so they are shown once, at
creation. See docs/auth.md.`,
	}
	cmd.AddCommand(a.tokensCreateCommand(), a.tokensListCommand(), a.tokensRevokeCommand())
	return cmd
}

func (a *app) tokensCreateCommand() *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "create NAME --user USER",
		Short: "Create an API token for a user and print it once",
		Long: `Creates an API token named NAME (say what uses it: "grafana", "ci") that
acts as USER. The token alone goes to standard output, so that it can be
captured; the note goes to standard error.`,
		Example: `  sluice tokens create grafana --user ann
  TOKEN=$(sluice tokens create ci --user bot)`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if user == "" {
				return errors.New("--user is required: the token acts as that user; list users with `sluice users list`")
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := db.UserByName(cmd.Context(), user)
			if err != nil {
				return userError(user, err)
			}
			token, hash := web.NewAPIToken()
			t, err := db.CreateAPIToken(cmd.Context(), u.ID, args[0], hash)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, token)
			fmt.Fprintf(a.stderr, "Created API token %d %q for %s (%s). Copy it now: it is stored only as a hash and cannot be shown again.\n"+
				"Use it as: Authorization: Bearer TOKEN. Revoke it with `sluice tokens revoke %d`.\n", t.ID, t.Name, u.Name, u.Role, t.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user the token acts as (required)")
	return cmd
}

// tokenJSON is a token as `tokens list --format json` prints it.
type tokenJSON struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	User       string  `json:"user"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func (a *app) tokensListCommand() *cobra.Command {
	var user, format string
	cmd := &cobra.Command{
		Use:   "list [--user USER] [--format table|json]",
		Short: "List API tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q is not supported; use table or json", format)
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			var userID int64
			if user != "" {
				u, err := db.UserByName(cmd.Context(), user)
				if err != nil {
					return userError(user, err)
				}
				userID = u.ID
			}
			tokens, err := db.APITokens(cmd.Context(), userID)
			if err != nil {
				return err
			}
			if format == "json" {
				out := make([]tokenJSON, 0, len(tokens))
				for _, t := range tokens {
					out = append(out, tokenJSON{t.ID, t.Name, t.UserName, t.CreatedAt.UTC().Format(time.RFC3339), optionalTime(t.LastUsedAt), optionalTime(t.RevokedAt)})
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(tokens) == 0 {
				fmt.Fprintln(a.stdout, "No API tokens. Create one with `sluice tokens create NAME --user USER`.")
				return nil
			}
			day := func(t time.Time) string {
				if t.IsZero() {
					return "-"
				}
				return t.UTC().Format("2006-01-02 15:04")
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tUSER\tCREATED\tLAST USED\tREVOKED")
			for _, t := range tokens {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.UserName, day(t.CreatedAt), day(t.LastUsedAt), day(t.RevokedAt))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "only this user's tokens")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

func (a *app) tokensRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token; requests with it are refused from now on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("%q is not a token id; the ID column of `sluice tokens list` has them", args[0])
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.RevokeAPIToken(cmd.Context(), id); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("there is no API token with id %d; list them with `sluice tokens list`", id)
				}
				return err
			}
			fmt.Fprintf(a.stdout, "Revoked API token %d.\n", id)
			return nil
		},
	}
}
