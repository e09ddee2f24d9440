#!/usr/bin/env bash
# Builds the Plinth operator's container image (operator/kubernetes/Dockerfile) with docker, podman or buildah,
# whichever works here, after building the distribution it packages with Maven (target/plinth-kubernetes.jar and
# target/lib/). The image is named as the chart's default: image.repository of helm/plinth/values.yaml, tagged with
# the chart's appVersion, so `helm install plinth helm/plinth` runs it once it is in the cluster's image store
# (kind load, k3s ctr images import, or a push to that repository).
#
#   scripts/build-operator-image.sh [IMAGE]      # IMAGE defaults to <values image.repository>:<appVersion>
#   MVN_ARGS="-o" scripts/build-operator-image.sh  # extra Maven arguments (offline, say)
#   SKIP_MAVEN=1 scripts/build-operator-image.sh   # the distribution is already built
#   BUILDER=podman scripts/build-operator-image.sh # choose the tool
#
# Exits 3, saying so, when no tool can build here (a docker CLI without a reachable daemon does not count).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
context=$root/operator/kubernetes
log() { printf '%s [build-operator-image] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

repository=$(sed -n '/^image:/,/^[^ ]/s/^  repository: *\([^ #]*\).*/\1/p' "$root/helm/plinth/values.yaml")
version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}.*/\1/p' "$root/helm/plinth/Chart.yaml")
image=${1:-$repository:$version}

usable() {
  case $1 in
    docker) command -v docker >/dev/null && docker info >/dev/null 2>&1 ;;
    podman) command -v podman >/dev/null && podman info >/dev/null 2>&1 ;;
    buildah) command -v buildah >/dev/null ;;
    *) return 1 ;;
  esac
}
builder=${BUILDER:-}
if [[ -n $builder ]]; then
  usable "$builder" || { log "ERROR: BUILDER=$builder cannot build here (missing, or its daemon is not reachable)"; exit 3; }
else
  for b in docker podman buildah; do
    if usable "$b"; then builder=$b; break; fi
  done
fi
if [[ -z $builder ]]; then
  why="none of docker (with a reachable daemon), podman or buildah is usable on this machine"
  command -v docker >/dev/null && why="$why (a docker CLI exists, but 'docker info' reaches no daemon)"
  log "ERROR: cannot build the operator image: $why."
  log "The image's entrypoint is still tested without a container: OperatorImageTest, in 'mvn package'."
  exit 3
fi

if [[ -z ${SKIP_MAVEN:-} ]]; then
  log "building the operator distribution (mvn package, tests skipped)"
  # shellcheck disable=SC2086 # MVN_ARGS is a list of arguments
  (cd "$root" && mvn -B -ntp -q ${MVN_ARGS:-} -pl operator/kubernetes -am package -DskipTests)
fi
for f in "$context/target/plinth-kubernetes.jar" "$context/target/lib"; do
  [[ -e $f ]] || { log "ERROR: $f is missing: run without SKIP_MAVEN"; exit 1; }
done

log "building $image with $builder"
case $builder in
  docker|podman) "$builder" build -t "$image" -f "$context/Dockerfile" "$context" ;;
  buildah) buildah bud -t "$image" -f "$context/Dockerfile" "$context" ;;
esac
log "built $image; install with: helm install plinth helm/plinth (or --set image.repository=...,image.tag=...)"
echo "$image"
