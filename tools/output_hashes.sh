#!/usr/bin/env bash
# Records, or checks, the hashes of every bundled scenario's outputs: a refactor that must not
# change behaviour keeps them byte-identical.
#
#   tools/output_hashes.sh record HCASIM HASHFILE   # run every scenario, write its hashes
#   tools/output_hashes.sh check  HCASIM HASHFILE   # run again, compare; exit 1 on a difference
#
# Each scenario in workloads/scenarios/*.ini runs with its default seed and the VCD trace on;
# the hashes cover every file the run writes (summary.json, latency.csv, trace.vcd, trace.gtkw,
# the enum filters). A scenario whose traced run fails is run without the trace.
set -euo pipefail

usage() {
  echo "usage: $0 record|check HCASIM HASHFILE" >&2
  exit 2
}
[[ $# -eq 3 ]] || usage
mode=$1 hcasim=$2 hashfile=$3
[[ $mode == record || $mode == check ]] || usage
[[ -x $hcasim ]] || { echo "$0: $hcasim is not an executable" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

: >"$work/hashes"
for ini in "$root"/workloads/scenarios/*.ini; do
  name=$(basename "$ini" .ini)
  if ! "$hcasim" run "$ini" --out "$work/$name" --trace vcd >/dev/null 2>"$work/err"; then
    # A scenario whose traced run fails is compared without the trace, and its error too.
    echo "$name: traced run failed: $(cat "$work/err")" >>"$work/hashes"
    "$hcasim" run "$ini" --out "$work/$name" --trace none >/dev/null
  fi
  (cd "$work" && find "$name" -type f | LC_ALL=C sort | xargs sha256sum) >>"$work/hashes"
done

if [[ $mode == record ]]; then
  cp "$work/hashes" "$hashfile"
  echo "recorded $(wc -l <"$hashfile") output files in $hashfile"
elif diff -u "$hashfile" "$work/hashes"; then
  echo "identical: $(wc -l <"$hashfile") output files"
else
  echo "$0: outputs differ from $hashfile" >&2
  exit 1
fi
