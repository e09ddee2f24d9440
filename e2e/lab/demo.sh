#!/usr/bin/env bash
# The main demo on the virtual lab: 3 QEMU machines with ipmi_sim BMCs in the network namespace plinth-lab,
# provisioned by the standalone controller from a local Git repository (the lab variant of examples/), with
# per-node progress; then a broken commit (rejected whole) and a new image for the compute role (reprovisioned).
# Falls back to simulated machines (./plinth demo --fake) where the lab cannot run, and says why.
set -euo pipefail
lab="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$lab/../.." && pwd)"
lab_dir=${PLINTH_LAB_DIR:-/var/tmp/plinth-lab}
args=("$@")
fallback() {
  echo "plinth demo: the virtual lab cannot run here ($1); running the same demo on simulated machines." >&2
  exec "$repo/plinth" demo --fake "${args[@]}"
}
[[ $(id -u) -eq 0 ]] || fallback "it needs root for its network namespace and packages"
"$lab/install-packages.sh" >&2
"$repo/ramdisk/build.sh" >&2
for image in alpha beta broken; do
  "$lab/build-test-image.sh" "$image" >&2 # kept when its scripts did not change
done
"$lab/lab.sh" down >/dev/null 2>&1 || true
"$lab/lab.sh" up 3 >&2 || fallback "lab.sh up failed"
trap '"$lab/lab.sh" down >&2' EXIT
cd "$repo"
ip netns exec "${PLINTH_LAB_NS:-plinth-lab}" java ${PLINTH_JAVA_OPTS:-} \
  -cp "$repo/operator/standalone/target/plinth-standalone.jar:$repo/operator/standalone/target/lib/*" \
  dev.plinth.runtime.cli.Main demo --lab "$lab_dir" --timeout 600s "${args[@]}"
