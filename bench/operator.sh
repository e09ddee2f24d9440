#!/usr/bin/env bash
# Operator mode at scale: N BareMetalNodes (FAKE driver, zero latency) applied to a real kube-apiserver, timed from
# the first create to every node Ready, with the operator's API requests counted (OperatorBench).
# Usage: bench/operator.sh [N...]   (default: 1000; PLINTH_BENCH_MINUTES: how long to wait, default 30; PLINTH_BENCH_XMX:
# the test JVM's heap, default 1g). Needs the binaries of scripts/kube-tools.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes=("$@")
(( ${#sizes[@]} )) || sizes=(1000)
KUBE_API_TEST_DIR=$("$here/scripts/kube-tools.sh")
export KUBE_API_TEST_DIR
cd "$here"
for n in "${sizes[@]}"; do
  mvn -o -B -ntp -q -pl operator/kubernetes -am test -Dtest=OperatorBench -Dsurefire.failIfNoSpecifiedTests=false \
    -Dplinth.bench.nodes="$n" -Dplinth.bench.minutes="${PLINTH_BENCH_MINUTES:-30}" \
    -DargLine=-Xmx"${PLINTH_BENCH_XMX:-1g}" 2>&1 | grep 'operator bench:' || { echo "bench of $n nodes failed" >&2; exit 1; }
done
