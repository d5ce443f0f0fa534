#!/usr/bin/env bash
# Whole-program benchmark: import a synthetic repository, then re-run
# analyze on it unchanged, next to git's own history walk, with
# /usr/bin/time -v for time and peak memory.
#
#   bench/resync.sh [COMMITS]     (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/sluice" ./cmd/sluice
go run ./bench/genrepo -n "$n" "$work/repo"
export SLUICE_DATA_DIR="$work/data"
t() { /usr/bin/time -f "%e s elapsed, %M KiB max RSS" "$@"; }
echo "== first import ($n commits)"
t "$work/sluice" analyze "$work/repo"
echo "== git log --all --numstat (the diff work, for scale)"
t git -C "$work/repo" log --all --numstat --format=%H >/dev/null
echo "== re-run on the unchanged repository"
t "$work/sluice" analyze "$work/repo"
echo "== git rev-list --count --all (a history walk, for scale)"
t git -C "$work/repo" rev-list --count --all >/dev/null
