#!/usr/bin/env bash
# Runs a benchmark and prints its figures: bench/run.sh <scenario>
#   leases   lease grants/s, READ (cold) and WRITE (2 recalls) grant latency, and cache-hit GET
#            latency with a lease vs a HEAD at the origin per read (3 sites, 3 coordinator peers);
#            the grant load warms up in 10 s rounds until the JIT settles, at most 9
#            (BENCH_JAVA_OPTS=-Dbench.leases-warmup-rounds=N)
#   wan      round trips per operation at a site 100 ms (round trip) from the coordinator and the
#            origin, and at a site next to the coordinator, through the project's delaying relay
#   tls      READ grants/s with plain internal links and with mutual TLS, side by side
#   writeback  put latency and puts/s, write-through vs write-back (4 KiB, 1 MiB, 64 MiB), a GET
#            at the owner of unflushed data vs elsewhere by recall, and flush throughput (3 sites)
#   hit-large  a 1 GiB cached object to one stream: Leasehold vs nginx sendfile vs iperf3
#   hit-small  4 KiB and 1 MiB cached objects under wrk -c64: Leasehold vs nginx proxy_cache
#   hit-small-tls  the same over HTTPS: Leasehold (tls-cert) vs nginx proxy_cache with the same
#            certificate and TLS 1.3 cipher suite
#   miss       a 256 MiB cold read through Leasehold vs from the origin (S3Proxy) directly
#   mixed      a warp-like GET/HEAD/PUT/LIST/DELETE mix on the AWS SDK v2, ops/s and percentiles
#   memory     peak RSS and heap of a site with a 10 GiB cache under hit-small load
#   hot-path   all five above, one table (about 15 minutes)
#   jmh        JMH micro-benchmarks: SigV4 verification, routing, cache lookup, lease check
#   soak       the linearizability check, run after run for 10 minutes (BENCH_JAVA_OPTS=-Dsoak.minutes=N), 32 keys,
#            cycling its faults (a site cut off, a site stopped, the leader stopped); stops at the
#            first violation and prints the seed that replays it
# The hot-path scenarios run the site from the built jar and install nginx, wrk and iperf3 (apt);
# BENCH_SITE_JAVA_OPTS adds JVM options to the site (to profile it: -XX:StartFlightRecording=...).
# BENCH_JAVA_OPTS="-Dbench.profile=cpu" attaches async-profiler to the site for the measured reads
# of hit-large, hit-small, miss and mixed (a flame graph and folded stacks under
# target/bench-work/profile-*); add -Dbench.profile-harness=true to profile the bench's own process
# in mixed instead (S3Proxy and the clients).
# Everything runs on loopback; every load loop is bounded in count and time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/lib/java.sh
leasehold_find_java

scenario=${1:-}
case "$scenario" in
  leases) main=dev.leasehold.bench.LeaseBench ;;
  tls) main=dev.leasehold.bench.TlsBench ;;
  wan) main=dev.leasehold.bench.WanBench ;;
  writeback) main=dev.leasehold.bench.WriteBackBench ;;
  hit-large|hit-small|hit-small-tls|miss|mixed|memory|hot-path) main=dev.leasehold.bench.HotPathBench ;;
  jmh) main=org.openjdk.jmh.Main ;;
  soak) main=dev.leasehold.bench.Soak ;;
  *) echo "usage: bench/run.sh leases|wan|tls|writeback|hit-large|hit-small|hit-small-tls|miss|mixed|memory|hot-path|jmh|soak" >&2; exit 2 ;;
esac

if [ "$main" = dev.leasehold.bench.HotPathBench ]; then
  need=()
  for tool in nginx wrk iperf3; do
    command -v "$tool" >/dev/null || need+=("$tool")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "bench: installing ${need[*]}" >&2
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

echo "bench: building (JDK at $JAVA_HOME)" >&2
log=$(mktemp)
# package: the hot-path scenarios run the site from the jar, as a user would.
if ! mvn -B -q -ntp -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package \
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
opts=(-Xmx2g --enable-native-access=ALL-UNNAMED ${BENCH_JAVA_OPTS:-}) # such as -Dbench.runs=5
[ "$LEASEHOLD_JAVA_VERSION" -lt 24 ] || opts+=(--sun-misc-unsafe-memory-access=allow)
case "$scenario" in
  hit-large|hit-small|hit-small-tls|miss|mixed|memory|hot-path) args=("$scenario") ;;
  jmh) args=(-f 1 -wi 3 -w 2s -i 5 -r 2s "${@:2}") ;; # more options after the scenario go to JMH
  *) args=() ;;
esac
exec "$JAVA_HOME/bin/java" "${opts[@]}" -cp "$cp" "$main" "${args[@]}"
