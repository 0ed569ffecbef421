#!/usr/bin/env bash
# Runs each fuzz target of BUILD_DIR (made by `make fuzz`) for SECONDS seconds, from the
# checked-in seeds; new inputs go to BUILD_DIR/corpus/<target>/ (kept between runs), a failing
# input to BUILD_DIR/crashes/. Exits non-zero when any target fails, naming the input to copy
# into tests/fuzz/regressions/<target>/ (fuzz_replay then replays it in every test run).
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS_PER_TARGET}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS_PER_TARGET}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

failed=()
for target in scenario_file set_option i2o_frame; do
  corpus="$build/corpus/$target"
  crashes="$build/crashes"
  mkdir -p "$corpus" "$crashes"
  seeds=("$here/corpus/$target")
  [ -d "$here/regressions/$target" ] && seeds+=("$here/regressions/$target")
  [ "$target" = scenario_file ] && seeds+=("$src/workloads/scenarios")
  dict=()
  [ -f "$here/$target.dict" ] && dict=(-dict="$here/$target.dict")
  echo "fuzz: $target for ${seconds}s" >&2
  # -max_len bounds the inputs: a scenario file or frame larger than 4 KiB explores nothing new.
  if ! "$build/tests/fuzz/fuzz_$target" "$corpus" "${seeds[@]}" "${dict[@]}" \
      -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$crashes/$target-" -print_final_stats=1 >"$build/fuzz_$target.log" 2>&1; then
    failed+=("$target")
    tail -n 40 "$build/fuzz_$target.log" >&2
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$build/fuzz_$target.log" \
      | sed "s/^/fuzz: $target: /" >&2 || true
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}; the failing inputs are in $build/crashes/" >&2
  echo "fuzz: replay one with $build/tests/fuzz/fuzz_TARGET FILE; once fixed, add it to" >&2
  echo "fuzz: tests/fuzz/regressions/TARGET/ so that fuzz_replay keeps it fixed" >&2
  exit 1
fi
