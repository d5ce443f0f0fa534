package cli

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// pseudoVersion matches the timestamp-and-revision part of a Go
// pseudo-version (v0.0.0-20240102150405-abcdef123456).
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}`)

// version is set at build time with -ldflags "-X github.com/sluicehq/sluice/internal/cli.version=v1.2.3".
var version = "dev"

// Version returns the program version, with the VCS revision when known.
func Version() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		// A tagged module version (go install …@v1.2.3) is the version;
		// a pseudo-version only repeats the revision shown below.
		if mv := info.Main.Version; v == "dev" && mv != "" && mv != "(devel)" && !pseudoVersion.MatchString(mv) {
			v = mv
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			v += " (" + rev + dirty + ")"
		}
	}
	return v
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.stdout, "sluice %s %s/%s %s\n", Version(), runtime.GOOS, runtime.GOARCH, runtime.Version())
			return err
		},
	}
}
