#!/usr/bin/env bash
# `make install` into a temporary prefix, then run the installed binary from another directory: it
# must find the shipped prompts beside it (read-only) and a prompt in the user's library.
# Usage: scripts/test_install.sh (from `make test-install`; needs the release build and the models).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$(mktemp -d)
data=$(mktemp -d)
trap 'rm -rf "$prefix" "$data"' EXIT
make -C "$root" --no-print-directory install PREFIX="$prefix" >/dev/null
cd /
unset PALMTOP_PROMPTS PALMTOP_SHIPPED_PROMPTS
export XDG_DATA_HOME="$data"
total() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read().splitlines()[-1])["total"])'; }
shipped=$("$prefix/bin/palmtop" eval antonyms --limit 2 --json | total)
[ "$shipped" = 2 ] || { echo "test-install: the installed shipped prompt did not run ($shipped items)"; exit 1; }
mkdir -p "$data/palmtop/prompts"
sed 's/^name: antonyms$/name: mine/' "$prefix/share/palmtop/prompts/antonyms.yaml" > "$data/palmtop/prompts/mine.yaml"
cp "$prefix/share/palmtop/prompts/antonyms.dev.jsonl" "$data/palmtop/prompts/"
own=$("$prefix/bin/palmtop" eval mine --limit 1 --json | total)
[ "$own" = 1 ] || { echo "test-install: the user's prompt did not run ($own items)"; exit 1; }
[ ! -w "$prefix/share/palmtop/prompts/antonyms.yaml" ] || [ "$(id -u)" = 0 ] || { echo "test-install: shipped prompts are writable"; exit 1; }
[ "$(stat -c %a "$prefix/share/palmtop/prompts/antonyms.yaml")" = 444 ] || { echo "test-install: shipped prompts are not read-only"; exit 1; }
echo "test-install: installed binary found the shipped prompts in $prefix/share/palmtop/prompts and a user prompt in \$XDG_DATA_HOME"
