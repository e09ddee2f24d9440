#!/usr/bin/env bash
# Idle CPU of the controller with N provisioned FAKE nodes under drift checks (every 60 s, the default): converges
# them (zero fake latency), waits a minute, then measures the process's CPU seconds over MINUTES minutes.
# Usage: bench/idle-cpu.sh [N] [MINUTES] [in-memory|persisted]   (default: 10000 3 in-memory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-10000}"; minutes="${2:-3}"; mode="${3:-in-memory}"
extra=()
[[ "$mode" == persisted ]] && extra=(--fake-persisted)
PLINTH_JAVA_OPTS="-Xmx1g" "$here/plinth" bench --nodes "$n" --idle "${minutes}m" "${extra[@]}" \
  --fake-call-ms 0 --fake-deploy-ms 0 --fake-boot-ms 0 2>/dev/null
