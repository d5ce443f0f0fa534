// Command genrepo creates a synthetic Git repository for benchmarks:
//
//	go run ./bench/genrepo -n 10000 /tmp/repo10k
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/sluicehq/sluice/internal/gittest"
)

func main() {
	n := flag.Int("n", 10000, "number of commits")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: genrepo [-n COMMITS] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	dir := flag.Arg(0)
	run := func(stdin []byte, args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "genrepo: git %v: %v\n", args, err)
			os.Exit(1)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
	run(nil, "init", "-q", "-b", "main")
	run(gittest.Synthetic(*n), "fast-import", "--quiet")
	run(nil, "checkout", "-q", "main")
}
