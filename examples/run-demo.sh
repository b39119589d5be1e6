#!/usr/bin/env bash
# One night on the bundled example: a fresh git repo from examples/demo-repo, then
# `nightcrew run` on it, then what it made: one branch and one patch per verified fix, and
# what to do next with them.
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
branch=$(git -C "$repo" branch --list 'nightcrew/*' --format='%(refname:short)' | head -n 1)
patch="$out/patches/${branch//\//__}.patch"
if [ -n "$branch" ] && [ -f "$patch" ]; then
  echo "== one of the patches: $patch"
  sed -n '1,60p' "$patch"
  echo
fi
echo "== what to do next"
if [ -n "$branch" ]; then
  echo "  look at a fix:    git -C $repo log -p main..$branch"
  echo "  check it out:     git -C $repo switch $branch"
  echo "  apply its patch:  git -C $repo apply $patch"
fi
echo "  read the report:  $out/report.md"
echo "  on your own repo: nightcrew run --repo path/to/checkout"
echo "  on GitHub:        one pull request per fix each night, see docs/github.md"
