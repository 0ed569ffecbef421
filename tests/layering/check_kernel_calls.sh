#!/usr/bin/env bash
# Models and host software reach the SystemC kernel's scheduling (and its clock) only through
# models/core/lookahead.hpp (docs/lookahead.md): a raw wait, notify, spawn or
# stop from a process running ahead of the kernel would let another process see model time out
# of order; and sc_time_stamp() is the kernel's time, not the model's (now_ps(), sim_time.hpp).
# Fails listing every offending line. Exempt: the calendar, which drives lookahead, and the
# bare-kernel benchmark (kernel_floor.cpp), which measures SystemC alone.
set -euo pipefail
root="${1:?usage: check_kernel_calls.sh SOURCE_DIR}"
cd "$root"
pattern='sc_core::wait\(|(^|[^_a-zA-Z:])wait\(sc_core|\.notify\(|->notify\(|sc_core::sc_spawn\(|sc_core::sc_stop\(|sc_core::sc_start\(|sc_time_stamp\('
files=$(find models host_os workloads tools traces tests bench -name '*.cpp' -o -name '*.hpp' |
  grep -v -e '^models/core/lookahead\.' -e '^models/core/calendar\.cpp$' -e '^models/core/sim_time\.hpp$' -e '^bench/sim_speed/kernel_floor\.cpp$' | sort)
hits=$(grep -nE "$pattern" $files | grep -v -e '^\S*:[0-9]*:\s*//' -e 'lookahead: exempt' || true)
if [[ -n $hits ]]; then
  echo "raw SystemC scheduling calls (use hcasim::Lookahead, models/core/lookahead.hpp):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "kernel calls: $(echo $files | wc -w) files schedule through Lookahead"
