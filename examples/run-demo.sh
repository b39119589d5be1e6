#!/usr/bin/env bash
# One night on the bundled example: a fresh git repo from examples/demo-repo, then
# `nightcrew run` on it, then what it made: one branch and one patch per verified fix.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/nightcrew-demo-XXXXXX")
repo="$work/inventory"
out="${NIGHTCREW_DEMO_OUT:-$PWD/nightcrew-out}"

cp -R "$here/demo-repo" "$repo"
git -C "$repo" init --quiet --initial-branch=main
git -C "$repo" add --all
git -C "$repo" -c user.name=demo -c user.email=demo@example.invalid commit --quiet -m "inventory: initial import"

echo "== one night on $repo (no GitHub, no API key)"
nightcrew run --repo "$repo" --out "$out"
echo
echo "== branches it made"
git -C "$repo" branch --list 'nightcrew/*'
echo
first=$(find "$out/patches" -name '*.patch' 2>/dev/null | sort | head -n 1 || true)
if [ -n "$first" ]; then
  echo "== one of the patches: $first"
  sed -n '1,60p' "$first"
fi
echo
echo "Report: $out/report.md   Repository: $repo"
