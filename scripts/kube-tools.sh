#!/usr/bin/env bash
# Builds the Kubernetes test binaries (kube-apiserver, kubectl, etcd) from the Go module proxy into a cache outside
# the repository, in the layout io.fabric8:kube-api-test expects:
#   $KUBE_TOOLS_DIR/k8s/<version>-linux-amd64/{kube-apiserver,kubectl,etcd}
# Idempotent: a version already built is skipped. Prints the directory to use as KUBE_API_TEST_DIR.
# Why from source: Debian has no kube-apiserver and an old kubectl; the tests need a real API server with etcd.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-1.33.13}
ETCD_VERSION=${ETCD_VERSION:-3.5.21}
KUBE_TOOLS_DIR=${KUBE_TOOLS_DIR:-${PLINTH_CACHE:-/var/cache/plinth}/kube}
bin=$KUBE_TOOLS_DIR/k8s/$K8S_VERSION-linux-amd64
log() { printf '%s [kube-tools] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ -x $bin/kube-apiserver && -x $bin/kubectl && -x $bin/etcd && -x $bin/etcd.bin ]]; then
  echo "$KUBE_TOOLS_DIR"; exit 0
fi
# Debian 12 packages Go 1.19; kubernetes 1.33 needs 1.24 or newer (the go line of its go.mod)
command -v go >/dev/null || { log "ERROR: go 1.24 or newer is missing: install it from https://go.dev/dl into /usr/local/go"; exit 1; }
gover=$(go env GOVERSION); gover=${gover#go}
if [[ $(printf '%s\n1.24\n' "$gover" | sort -V | head -1) != 1.24 ]]; then
  log "ERROR: go $gover is too old to build kubernetes $K8S_VERSION: install 1.24 or newer from https://go.dev/dl"; exit 1
fi
mkdir -p "$bin"
# One build at a time: concurrent runs share GOCACHE, which each deletes when it ends.
exec 9>"$KUBE_TOOLS_DIR/.lock"
flock 9
if [[ -x $bin/kube-apiserver && -x $bin/kubectl && -x $bin/etcd && -x $bin/etcd.bin ]]; then
  echo "$KUBE_TOOLS_DIR"; exit 0 # built by the run we waited for
fi
export GOMODCACHE=$KUBE_TOOLS_DIR/gomod GOCACHE=$KUBE_TOOLS_DIR/gobuild GOFLAGS=-mod=mod GOTOOLCHAIN=local
work=$(mktemp -d "${TMPDIR:-/tmp}/plinth-kube.XXXXXX")
trap 'rm -rf "$work" "$GOCACHE"' EXIT
minor=${K8S_VERSION#*.}; minor=${minor%%.*}

build_kubernetes() {
  local mod=$work/k8s
  mkdir -p "$mod"
  # k8s.io/kubernetes replaces its staging modules with local paths: map each to its published v0.<minor>.<patch>.
  local gomod
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f $gomod ]] || { log "ERROR: could not download k8s.io/kubernetes v$K8S_VERSION"; exit 1; }
  {
    echo "module plinth.dev/kubetools"
    grep -E '^(go|godebug) ' "$gomod"
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 v0.'"$minor.${K8S_VERSION##*.}"'#p' "$gomod"
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$mod" && go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$mod" && go mod download >/dev/null)
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  done
  for cmd in kube-apiserver kubectl; do
    log "building $cmd v$K8S_VERSION (a few minutes)"
    # built under a temporary name: an interrupted build must not leave an executable the check above accepts
    (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags="$ld" -o "$bin/$cmd.part" "k8s.io/kubernetes/cmd/$cmd")
    mv "$bin/$cmd.part" "$bin/$cmd"
  done
}

build_etcd() {
  local mod=$work/etcd
  mkdir -p "$mod"
  cat >"$mod/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  printf 'module plinth.dev/etcd\n\ngo 1.23\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$mod/go.mod"
  log "building etcd v$ETCD_VERSION"
  (cd "$mod" && go mod tidy >/dev/null 2>&1 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$bin/etcd.bin.part" .)
  mv "$bin/etcd.bin.part" "$bin/etcd.bin"
}

# Apart from build_etcd: a run stopped after building etcd.bin must not leave the wrapper missing for good.
write_etcd_wrapper() {
  # kube-api-test starts etcd on 0.0.0.0; the tests only ever touch loopback.
  cat >"$bin/etcd" <<'SH'
#!/bin/sh
here=$(dirname "$0")
args=""
for a in "$@"; do args="$args '$(printf '%s' "$a" | sed "s/0\.0\.0\.0/127.0.0.1/g; s/'/'\\\\''/g")'"; done
eval exec "\"$here/etcd.bin\"" "$args"
SH
  chmod 755 "$bin/etcd"
}

[[ -x $bin/etcd.bin ]] || build_etcd
[[ -x $bin/etcd ]] || write_etcd_wrapper
[[ -x $bin/kube-apiserver && -x $bin/kubectl ]] || build_kubernetes
"$bin/kube-apiserver" --version >&2
echo "$KUBE_TOOLS_DIR"
