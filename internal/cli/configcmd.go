package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect the configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate sluice.yaml and print what was loaded, secrets masked",
		Long: `Loads the config file (--config, SLUICE_CONFIG or ./sluice.yaml), resolves
every ${ENV_VAR} and *_file secret, validates it, and prints the result with
secrets masked. Exits non-zero, naming the key and line, if anything is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.cfgPath == "" {
				fmt.Fprintln(a.stdout, "# no config file found (looked for ./sluice.yaml); defaults in effect")
			} else {
				fmt.Fprintf(a.stdout, "# %s: OK\n", a.cfgPath)
			}
			fmt.Fprintf(a.stdout, "# data dir: %s\n# database: %s\n", a.dataDir, maskDSN(a.dsn))
			_, err := fmt.Fprint(a.stdout, a.cfg.Masked())
			return err
		},
	})
	return cmd
}
