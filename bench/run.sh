#!/usr/bin/env bash
# Runs a benchmark and prints its figures: bench/run.sh <scenario>
#   leases   lease grants/s, READ (cold) and WRITE (2 recalls) grant latency, and cache-hit GET
#            latency with a lease vs a HEAD at the origin per read (3 sites, 3 coordinator peers)
#   writeback  put latency and puts/s, write-through vs write-back (4 KiB, 1 MiB, 64 MiB), a GET
#            at the owner of unflushed data vs elsewhere by recall, and flush throughput (3 sites)
# Everything runs on loopback; every load loop is bounded in count and time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib/java.sh
leasehold_find_java

scenario=${1:-}
case "$scenario" in
  leases) main=dev.leasehold.bench.LeaseBench ;;
  writeback) main=dev.leasehold.bench.WriteBackBench ;;
  *) echo "usage: bench/run.sh leases|writeback" >&2; exit 2 ;;
esac

echo "bench: building (JDK at $JAVA_HOME)" >&2
log=$(mktemp)
if ! mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true test-compile \
    dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath \
    >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "bench: the build failed (above)" >&2
  exit 1
fi
rm -f "$log"
cp="target/test-classes:target/classes:$(cat target/bench.classpath)"
echo "bench: $scenario on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" >&2
opts=(-Xmx2g --enable-native-access=ALL-UNNAMED)
[ "$LEASEHOLD_JAVA_VERSION" -lt 24 ] || opts+=(--sun-misc-unsafe-memory-access=allow)
exec "$JAVA_HOME/bin/java" "${opts[@]}" -cp "$cp" "$main"
