#!/usr/bin/env bash
# Persisted FAKE machines (what `plinth run --driver fake` keeps) against in-memory ones (`plinth bench`'s default),
# converging N nodes side by side: both controllers start together, so they share whatever else loads the machine
# and their figures compare fairly even on a busy one. Runs it ROUNDS times.
# Usage: bench/fake-modes.sh [N] [ROUNDS]   (default: 10000 3)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-10000}"; rounds="${2:-3}"
"$here/plinth" --version >/dev/null # builds the controller when its sources changed
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
bench() {
  PLINTH_JAVA_OPTS="-Xmx1g" "$here/plinth" bench --nodes "$n" --idle 1m "$@" \
    --fake-call-ms 0 --fake-deploy-ms 0 --fake-boot-ms 0 2>/dev/null
}
for round in $(seq "$rounds"); do
  echo "round $round, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  bench >"$out/memory" & a=$!
  bench --fake-persisted >"$out/persisted" & b=$!
  wait "$a" "$b"
  sed 's/^/  in-memory: /' "$out/memory"
  sed 's/^/  persisted: /' "$out/persisted"
done
