#!/usr/bin/env bash
# Converges N fake nodes from one commit, within a 1 GiB heap, and prints wall time, CPU seconds and peak heap.
# Usage: bench/converge.sh [N...]   (default: 1000 10000)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes=("$@")
(( ${#sizes[@]} )) || sizes=(1000 10000)
for n in "${sizes[@]}"; do
  PLINTH_JAVA_OPTS="-Xmx1g" "$here/plinth" bench --nodes "$n" --fake-call-ms 0 --fake-deploy-ms 0 --fake-boot-ms 0 2>/dev/null
done
