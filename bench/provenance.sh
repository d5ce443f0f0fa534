#!/usr/bin/env bash
# Whole-program benchmark of line provenance (issue 3's targets), in one
# run so that the ratios compare like with like:
#
#   - full analysis of a realistic generated repository next to
#     `git log --all -p -U0 -M --no-merges`, the floor of any diff-based
#     analysis (runs alternate; the ratio uses the medians);
#   - the peak memory of the sluice process itself (VmHWM, not its git
#     children);
#   - an incremental sync that brings 10 new commits.
#
#   bench/provenance.sh [COMMITS [RUNS]]     (default 50000 commits, 3 runs)
#
# The repository is generated once into $BENCH_REPO (default
# /tmp/sluice-bench-COMMITS) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50000}
runs=${2:-3}
repo=${BENCH_REPO:-/tmp/sluice-bench-$n}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/sluice" ./cmd/sluice
if [ ! -d "$repo/.git" ]; then
	go run ./bench/genrepo -realistic -n "$n" -seed 1 "$repo"
fi
echo "repository: $repo ($(git -C "$repo" rev-list --all --count) commits, $(git -C "$repo" rev-list --all --merges --count) merges)"

secs() { /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor=()
full=()
ratios=()
for i in $(seq "$runs"); do
	floor+=("$(secs git -C "$repo" log --all -p -U0 -M --no-merges)")
	rm -rf "$work/data"
	/usr/bin/time -f "%e" -o "$work/t" "$work/sluice" --log-level debug --data-dir "$work/data" analyze "$repo" 2>"$work/log" >/dev/null
	full+=("$(cat "$work/t")")
	rss=$(grep -o 'rss_mib=[0-9]*' "$work/log" | cut -d= -f2)
	ratios+=("$(awk -v a="${full[-1]}" -v b="${floor[-1]}" 'BEGIN {printf "%.2f", a/b}')")
	echo "run $i: git log -p -U0 -M ${floor[-1]} s, sluice analyze ${full[-1]} s (ratio ${ratios[-1]}), sluice peak RSS ${rss} MiB"
done
f=$(printf '%s\n' "${floor[@]}" | median)
s=$(printf '%s\n' "${full[@]}" | median)
# The machine's speed drifts over minutes: the ratio within each run (git
# and sluice back to back) is the steadier figure; the ratio of the medians
# is printed too.
echo "median: floor $f s, sluice $s s, ratio of medians $(awk -v a="$s" -v b="$f" 'BEGIN {printf "%.2f", a/b}'), median of per-run ratios $(printf '%s\n' "${ratios[@]}" | median)"
grep -o 'msg="line provenance replayed".*' "$work/log" || true

# Ten new commits on a new branch off main, then an incremental sync.
git -C "$repo" checkout -q -b bench/incremental main
for i in $(seq 10); do
	f=$(git -C "$repo" ls-files '*.go' | sed -n "$((i * 7))p")
	echo "// incremental benchmark $i" >>"$repo/$f"
	git -C "$repo" -c user.name=Bench -c user.email=bench@example.com commit -q -am "bench $i"
done
git -C "$repo" checkout -q main
inc=$(secs "$work/sluice" --data-dir "$work/data" analyze "$repo")
git -C "$repo" branch -q -D bench/incremental
echo "incremental sync of 10 new commits: $inc s"
