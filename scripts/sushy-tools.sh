#!/usr/bin/env bash
# Installs the Redfish test peers into a Python virtualenv cached outside the repository:
#   sushy-tools (sushy-emulator, the Redfish BMC emulator the driver tests run against) and
#   sushy (OpenStack's Redfish client library, which cross-checks what the Java driver set, and the benchmark's peer).
# Idempotent: a venv that already has both pinned versions is kept. Prints the venv directory (its bin/ holds
# sushy-emulator and python). Why a venv: neither package is in Debian 12; PyPI only.
set -euo pipefail
SUSHY_TOOLS_VERSION=${SUSHY_TOOLS_VERSION:-2.2.0}
SUSHY_VERSION=${SUSHY_VERSION:-5.14.0}
SUSHY_VENV=${SUSHY_VENV:-${PLINTH_CACHE:-/var/cache/plinth}/sushy-tools/venv}
log() { printf '%s [sushy-tools] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

stamp=$SUSHY_VENV/.plinth-versions
want="sushy-tools==$SUSHY_TOOLS_VERSION sushy==$SUSHY_VERSION"
if [[ -x $SUSHY_VENV/bin/sushy-emulator && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "$SUSHY_VENV"; exit 0
fi
py=$(command -v python3 || true)
[[ -n $py ]] || { log "ERROR: python3 is missing (scripts/install-packages.sh installs it)"; exit 1; }
mkdir -p "$(dirname "$SUSHY_VENV")"
if [[ ! -x $SUSHY_VENV/bin/pip ]]; then
  log "creating $SUSHY_VENV"
  "$py" -m venv "$SUSHY_VENV"
fi
log "installing $want"
"$SUSHY_VENV/bin/pip" install -q --disable-pip-version-check $want >&2
"$SUSHY_VENV/bin/python" -c 'import sushy, sushy_tools' >&2
echo "$want" >"$stamp"
echo "$SUSHY_VENV"
