#!/bin/sh
# Power-status calls/s against OpenIPMI's ipmi_sim: Plinth's Java IPMI client (session reused, and a session per
# call) vs ipmitool forked per call. Needs: apt-get install openipmi ipmitool. Usage: bench/ipmi-bench.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
MVN="mvn -q -B ${MVN_OFFLINE:--o}"
$MVN -pl operator test-compile
CP_FILE=operator/target/ipmi-bench.classpath
$MVN -pl operator dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$CP_FILE" >/dev/null
exec java -cp "operator/target/classes:operator/target/test-classes:$(cat "$CP_FILE")" \
    dev.plinth.bench.IpmiBench "${1:-5}"
