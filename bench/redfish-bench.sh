#!/bin/sh
# Redfish power-state reads/s against sushy-emulator (fake system driver): Plinth's Java driver (one reused session;
# Basic auth) vs the sushy Python client doing the same. Needs the venv of scripts/sushy-tools.sh (the fixture runs
# it when missing). Usage: bench/redfish-bench.sh [seconds per row]
set -eu
cd "$(dirname "$0")/.."
M=operator/machines
CP_FILE=$PWD/$M/target/redfish-bench.classpath
# one reactor build (no install: the local repository is shared); the last module to run, machines, writes the file
mvn -q -B ${MVN_OFFLINE:--o} -pl $M -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$CP_FILE" >/dev/null
exec java -cp "$M/target/classes:$M/target/test-classes:$(cat "$CP_FILE")" dev.plinth.bench.RedfishBench "${1:-5}"
