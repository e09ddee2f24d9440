#!/usr/bin/env bash
# Time and peak memory of `plinth validate` on long-line YAML (issue 8, item 6): one-line files of 4, 8 and 16 MB,
# then the worst case the limits allow: a file just under 16 MiB of lines just under 16 KiB, each one token.
# Usage: bench/long-lines.sh; prints one row per file: size, seconds, peak RSS, first line of the output.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run() { # NAME: validates $work/NAME and prints its row
  local out="$work/$1.out" secs kb
  /usr/bin/time -f '%e %M' -o "$work/$1.time" "$here/plinth" validate "$work/$1" > "$out" 2>&1 || true
  read -r secs kb < <(tail -1 "$work/$1.time")
  printf '%-22s %6.1f s %6d MB peak RSS  %s\n' "$1" "$secs" $((kb / 1024)) "$(head -1 "$out" | cut -c1-110)"
}
for mb in 4 8 16; do
  mkdir -p "$work/one-line-${mb}MB"
  { printf 'x: '; head -c $((mb * 1000 * 1000)) /dev/zero | tr '\0' 'a'; printf '\n'; } > "$work/one-line-${mb}MB/big.yaml"
  run "one-line-${mb}MB"
done
mkdir -p "$work/max-lines-16MiB"
line="$(head -c ${LINE:-16300} /dev/zero | tr '\0' 'a')"
for i in $(seq 1 $((16700000 / (${LINE:-16300} + 6)))); do printf 'k%d: %s\n' "$i" "$line"; done > "$work/max-lines-16MiB/big.yaml"
run "max-lines-16MiB"
