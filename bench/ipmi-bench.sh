#!/bin/sh
# Power-status calls/s against OpenIPMI's ipmi_sim: Plinth's Java IPMI client (session reused, and a session per
# call) vs ipmitool forked per call. Needs: apt-get install openipmi ipmitool. Usage: bench/ipmi-bench.sh [seconds]
set -eu
cd "$(dirname "$0")/.."
MVN="mvn -q -B ${MVN_OFFLINE:--o}"
M=operator/machines
$MVN -pl $M -am install -DskipTests >/dev/null
$MVN -pl $M test-compile
CP_FILE=$M/target/ipmi-bench.classpath
$MVN -pl $M dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$CP_FILE" >/dev/null
exec java -cp "$M/target/classes:$M/target/test-classes:$(cat "$CP_FILE")" \
    dev.plinth.bench.IpmiBench "${1:-5}"
