#!/usr/bin/env bash
# `make fast`: hcasim built with profile-guided and link-time optimization, for long runs and
# big sweeps.
#
# Two builds of the hcasim tool in one directory: the first is instrumented and runs a training
# set of bundled scenarios (untraced, VCD, FST; the adapter, fabric, host stack and I/O unit
# paths); the second is compiled with the counts it recorded, so hot paths are laid out together
# and the compiler inlines and predicts where the runs went. Both link with link-time
# optimization (HCASIM_LTO), so that the inlining crosses files: a work request's path runs
# through a dozen of them. Results are the same as the regular build's, byte for byte (the
# script checks one run of each scenario it trains on); only the speed differs
# (docs/performance.md, "The fast build").
#
# usage: tools/build-fast.sh BUILD_DIR [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tools/build-fast.sh BUILD_DIR [JOBS]}
jobs=${2:-$(nproc 2>/dev/null || echo 2)}
reference=${REFERENCE_HCASIM:-}  # a regular build's hcasim to compare outputs with (optional)

configure() {
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DHCASIM_LTO=ON -DCMAKE_CXX_FLAGS="$1" >/dev/null
}

# The profile files sit beside the objects, under the same build directory in both builds:
# that is how the second build finds them. Old counts would mix with the new ones: start over.
find "$build" -name '*.gcda' -delete 2>/dev/null || true
echo "fast build: 1/3 instrumented build in $build"
# Atomic counters: the trace writer's threads run the same code as the simulation's.
configure "-fprofile-generate -fprofile-update=prefer-atomic"
cmake --build "$build" -j "$jobs" --target hcasim

train="$(mktemp -d)"
trap 'rm -rf "$train"' EXIT
# What the training runs: enough work for the counts to find the hot paths, short enough to
# take under a minute. `name|scenario|options`.
runs=(
  "bw_send|workloads/scenarios/bw_send.ini|--set perftest.sizes=64 --set perftest.iterations=100000 --trace none"
  "bw_send_vcd|workloads/scenarios/bw_send.ini|--set perftest.sizes=64 --set perftest.iterations=30000 --trace vcd"
  "bw_send_fst|workloads/scenarios/bw_send.ini|--set perftest.sizes=64 --set perftest.iterations=30000 --trace fst"
  "bw_send_64qp|workloads/scenarios/bw_send.ini|--set perftest.sizes=64 --set perftest.qps=64 --set perftest.iterations=1000 --set iou.memory_mb=256 --trace none"
  "bw_write|workloads/scenarios/bw_write.ini|--set perftest.sizes=64,4096 --trace none"
  "lat_send|workloads/scenarios/lat_send.ini|--set perftest.sizes=64 --trace none"
  "default|workloads/scenarios/default.ini|"
  "storage|workloads/scenarios/storage.ini|--trace none"
  "cq_fanin|workloads/scenarios/cq_fanin.ini|--trace none"
)
# Every run of the set through hcasim binary $1, outputs in $train/$2<name>.
run_all() {
  for r in "${runs[@]}"; do
    IFS='|' read -r name scenario options <<<"$r"
    # shellcheck disable=SC2086  # options are words
    "$1" run "$scenario" $options --out "$train/$2$name" >/dev/null
  done
}

echo "fast build: 2/3 training runs"
run_all "$build/tools/hcasim" ""

echo "fast build: 3/3 optimized build"
configure "-fprofile-use -fprofile-partial-training -Wno-missing-profile"
cmake --build "$build" -j "$jobs" --target hcasim

if [ -n "$reference" ]; then
  # The same scenarios through both binaries: summaries, latencies and traces byte-identical.
  run_all "$build/tools/hcasim" fast-
  run_all "$reference" ref-
  for r in "${runs[@]}"; do
    IFS='|' read -r name _ <<<"$r"
    for f in summary.json latency.csv trace.vcd trace.fst; do
      [ -e "$train/ref-$name/$f" ] || continue
      if ! cmp -s "$train/fast-$name/$f" "$train/ref-$name/$f"; then
        echo "fast build: $name/$f differs from $reference's" >&2
        exit 1
      fi
    done
  done
  echo "fast build: outputs identical to $reference's on ${#runs[@]} scenarios"
fi
echo "fast build: $build/tools/hcasim"
