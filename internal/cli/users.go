package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/web"
)

// usersCommand manages the logins of the web UI and API.
func (a *app) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the users who may log in to the web UI and API",
		Long: `Users log in to the web UI with a name and password; admins may change
settings, viewers only read. Passwords are stored as bcrypt hashes. See
docs/auth.md.`,
	}
	cmd.AddCommand(a.usersAddCommand(), a.usersListCommand(), a.usersRemoveCommand(),
		a.usersPasswdCommand(), a.usersRoleCommand())
	return cmd
}

func (a *app) usersAddCommand() *cobra.Command {
	var admin bool
	var passwordFile string
	cmd := &cobra.Command{
		Use:   "add NAME [--admin] [--password-file FILE]",
		Short: "Create a user (a viewer unless --admin)",
		Long: `Creates a user. The password is read from --password-file (its first line;
at least 8 characters), or else generated and printed once.`,
		Example: `  sluice users add ann --admin
  sluice users add bob --password-file /run/secrets/bob`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if strings.TrimSpace(name) == "" {
				return errors.New("the user name is empty; give a name such as ann")
			}
			password, generated, err := newPassword(passwordFile)
			if err != nil {
				return err
			}
			hash, err := web.HashPassword(password)
			if err != nil {
				return err
			}
			role := store.RoleViewer
			if admin {
				role = store.RoleAdmin
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.CreateUser(cmd.Context(), name, hash, role); err != nil {
				if errors.Is(err, store.ErrUserExists) {
					return fmt.Errorf("a user named %q already exists; pick another name, or set their password with `sluice users passwd %s`", name, name)
				}
				return err
			}
			fmt.Fprintf(a.stdout, "Created user %q (%s).\n", name, role)
			if generated {
				printPassword(a.stdout, name, password)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&admin, "admin", false, "make the user an admin (default: viewer)")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file instead of generating one")
	return cmd
}

// newPassword reads the password from file, or generates one when file is "".
func newPassword(file string) (password string, generated bool, err error) {
	if file == "" {
		return web.GeneratePassword(), true, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false, fmt.Errorf("--password-file: %w", err)
	}
	password, _, _ = strings.Cut(string(b), "\n")
	password = strings.TrimRight(password, "\r")
	if len(password) < web.MinPasswordLength {
		return "", false, fmt.Errorf("--password-file %s: the password (its first line) is shorter than %d characters; use a longer one", file, web.MinPasswordLength)
	}
	return password, false, nil
}

func printPassword(w io.Writer, name, password string) {
	fmt.Fprintf(w, "Password of %s (shown only now; it is stored as a hash):\n  %s\n", name, password)
}

// userError turns the store's user errors into what to do about them.
func userError(name string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("there is no user named %q; list the users with `sluice users list`", name)
	case errors.Is(err, store.ErrLastAdmin):
		return fmt.Errorf("%q is the last admin, and without an admin nobody can manage the settings; make another user admin first with `sluice users role NAME admin`", name)
	}
	return err
}

// userJSON is a user as `users list --format json` prints it.
type userJSON struct {
	Name              string `json:"name"`
	Role              string `json:"role"`
	CreatedAt         string `json:"created_at"`
	PasswordChangedAt string `json:"password_changed_at"`
}

func (a *app) usersListCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List the users and their roles",
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
			users, err := db.Users(cmd.Context())
			if err != nil {
				return err
			}
			if format == "json" {
				out := make([]userJSON, 0, len(users))
				for _, u := range users {
					out = append(out, userJSON{u.Name, u.Role, u.CreatedAt.UTC().Format(time.RFC3339), u.PasswordChangedAt.UTC().Format(time.RFC3339)})
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(users) == 0 {
				fmt.Fprintln(a.stdout, "No users yet. Create the first admin with `sluice users add NAME --admin`.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tPASSWORD SET")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.UTC().Format(time.DateOnly), u.PasswordChangedAt.UTC().Format(time.DateOnly))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

func (a *app) usersRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Delete a user, their sessions and their API tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.DeleteUser(cmd.Context(), args[0]); err != nil {
				return userError(args[0], err)
			}
			fmt.Fprintf(a.stdout, "Removed user %q; their sessions and API tokens no longer work.\n", args[0])
			return nil
		},
	}
}

func (a *app) usersPasswdCommand() *cobra.Command {
	var passwordFile string
	cmd := &cobra.Command{
		Use:   "passwd NAME [--password-file FILE]",
		Short: "Set a user's password (generated unless --password-file); ends their sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			password, generated, err := newPassword(passwordFile)
			if err != nil {
				return err
			}
			hash, err := web.HashPassword(password)
			if err != nil {
				return err
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.SetUserPassword(cmd.Context(), name, hash); err != nil {
				return userError(name, err)
			}
			fmt.Fprintf(a.stdout, "Set the password of %q; their sessions have ended.\n", name)
			if generated {
				printPassword(a.stdout, name, password)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file instead of generating one")
	return cmd
}

func (a *app) usersRoleCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "role NAME admin|viewer",
		Short:   "Make a user an admin or a viewer",
		Example: `  sluice users role bob admin`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, role := args[0], args[1]
			if role != store.RoleAdmin && role != store.RoleViewer {
				return fmt.Errorf("role %q is not valid; use admin or viewer", role)
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.SetUserRole(cmd.Context(), name, role); err != nil {
				return userError(name, err)
			}
			fmt.Fprintf(a.stdout, "%q is now %s.\n", name, article(role))
			return nil
		},
	}
}

func article(role string) string {
	if role == store.RoleAdmin {
		return "an admin"
	}
	return "a viewer"
}
