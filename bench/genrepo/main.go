// Command genrepo creates a generated Git repository for benchmarks:
//
//	go run ./bench/genrepo -n 10000 /tmp/repo10k
//	go run ./bench/genrepo -realistic -n 50000 -seed 1 /tmp/real50k
//	go run ./bench/genrepo -realistic -n 50000 - > real50k.fi  # the stream only
//
// Without -realistic it writes gittest.Synthetic (one branch, a few files
// per commit), as bench/resync.sh expects; with it, gittest.Realistic
// (branches, merges, renames, conflicts, odd files; see its doc comment).
// The same flags always give the same commits. -repack recomputes the
// deltas afterwards: fast-import's own are poor, and git gc keeps them.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/sluicehq/sluice/internal/gittest"
)

func main() {
	n := flag.Int("n", 10000, "number of commits")
	realistic := flag.Bool("realistic", false, "generate a realistic history (gittest.Realistic) instead of the synthetic one")
	seed := flag.Int64("seed", 1, "seed of the realistic history")
	authors := flag.Int("authors", 40, "human authors in the realistic history")
	repack := flag.Bool("repack", false, "recompute deltas after the import (git repack -a -d -f)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: genrepo [-n COMMITS] [-realistic [-seed N] [-authors N]] [-repack] DIR|-")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	dir := flag.Arg(0)
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
	write := func(w io.Writer) error {
		if !*realistic {
			_, err := w.Write(gittest.Synthetic(*n))
			return err
		}
		return gittest.WriteRealistic(w, gittest.RealisticOptions{Commits: *n, Seed: *seed, Authors: *authors})
	}
	if dir == "-" {
		if err := write(os.Stdout); err != nil {
			fail(err)
		}
		return
	}
	git := func(args ...string) *exec.Cmd {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		return cmd
	}
	run := func(args ...string) {
		if err := git(args...).Run(); err != nil {
			fail(fmt.Errorf("git %v: %v", args, err))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	run("init", "-q", "-b", "main")
	start := time.Now()
	imp := git("fast-import", "--quiet")
	stdin, err := imp.StdinPipe()
	if err != nil {
		fail(err)
	}
	if err := imp.Start(); err != nil {
		fail(err)
	}
	if err := write(stdin); err != nil {
		fail(err)
	}
	if err := stdin.Close(); err != nil {
		fail(err)
	}
	if err := imp.Wait(); err != nil {
		fail(fmt.Errorf("git fast-import: %v", err))
	}
	fmt.Fprintf(os.Stderr, "genrepo: %d commits generated and imported in %s\n", *n, time.Since(start).Round(time.Millisecond))
	run("checkout", "-q", "main")
	if *repack {
		t := time.Now()
		run("repack", "-a", "-d", "-f", "-q")
		fmt.Fprintf(os.Stderr, "genrepo: repacked in %s\n", time.Since(t).Round(time.Millisecond))
	}
}
