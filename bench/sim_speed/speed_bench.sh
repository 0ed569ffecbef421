#!/usr/bin/env bash
# Simulation speed: simulated work requests per wall-clock second for bw_send 64 B with the
# trace off and on (and their ratio), and simulated time over wall time for lat_send 2 B.
# Wall figures depend on the machine and its load: compare them as ratios, run to run.
# usage: speed_bench.sh HCASIM_BINARY SCENARIO_DIR [WORK_REQUESTS]
set -euo pipefail
hcasim=$1
scenarios=$2
n=${3:-500000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

field() { awk -v k="$1" 'index($0, k) { print $NF }' "$2"; }
to_num() {  # "557.12k" -> 557120, "1.2M" -> 1200000
  awk -v v="$1" 'BEGIN { m = 1; s = v; if (s ~ /k$/) { m = 1e3; sub(/k$/, "", s) }
    else if (s ~ /M$/) { m = 1e6; sub(/M$/, "", s) } printf "%.0f", s * m }'
}
run() {  # name, trace, extra args...
  local name=$1 trace=$2
  shift 2
  "$hcasim" run "$scenarios/$name.ini" --trace "$trace" --out "$out/$name-$trace" "$@" \
    > "$out/$name-$trace.txt"
}

run bw_send none --set perftest.sizes=64 --set perftest.iterations="$n"
run bw_send vcd --set perftest.sizes=64 --set perftest.iterations="$n"
run lat_send none --set perftest.sizes=2 --set perftest.iterations=100000

off=$(to_num "$(field "work requests per wall second" "$out/bw_send-none.txt")")
on=$(to_num "$(field "work requests per wall second" "$out/bw_send-vcd.txt")")
wall_off=$(awk '/^  wall time/ { print $(NF-1) }' "$out/bw_send-none.txt")
lat_ratio=$(awk '/simulated time \/ wall time/ { print $6 }' "$out/lat_send-none.txt")
trace_mb=$(du -m "$out/bw_send-vcd/trace.vcd" | cut -f1)

printf '\nhcasim simulation speed (%s work requests)\n' "$n"
printf '  %-52s %12s\n' "bw_send 64 B, trace off: work requests / wall s" "$off"
printf '  %-52s %12s\n' "bw_send 64 B, trace on (vcd): work requests / wall s" "$on"
awk -v a="$off" -v b="$on" 'BEGIN { printf "  %-52s %12.2fx\n", "cost of tracing (off / on)", a / b }'
printf '  %-52s %12s\n' "bw_send 64 B, trace off: wall time" "$wall_off s"
printf '  %-52s %12s\n' "bw_send trace.vcd size" "$trace_mb MiB"
printf '  %-52s %12s\n' "lat_send 2 B: simulated time / wall time" "$lat_ratio"
awk -v a="$off" 'BEGIN { printf "  %-52s %12s\n", "target: 1,000,000 WR/s with trace off", (a >= 1e6 ? "met" : "not yet") }'
