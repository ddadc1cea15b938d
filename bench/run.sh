#!/usr/bin/env bash
# Runs the compiled bench (dist/bench/run.js) with as many file descriptors as this shell may have (20k idle
# sockets need them), from a private copy of dist/ so a rebuild during the run cannot pull files from under it.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ ! -f dist/bench/run.js ]; then
  echo "dist/bench/run.js is missing: run 'npx nest build' first (npm run bench does)" >&2
  exit 2
fi
# Inside node_modules so the copy still resolves packages from ./node_modules.
snapshot="node_modules/.cache/parley-bench/run-$$"
rm -rf "$snapshot"
mkdir -p "$snapshot"
cp -r dist "$snapshot/dist"
trap 'rm -rf "$snapshot"' EXIT
node "$snapshot/dist/bench/run.js" "$@"
