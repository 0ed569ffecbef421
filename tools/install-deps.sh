#!/usr/bin/env bash
# Installs the Debian packages hcasim needs, only those that are missing.
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache
  libsystemc-dev                 # SystemC 2.3 + TLM-2.0 (pkg-config: systemc, tlm)
  libboost-program-options-dev   # CLI and INI scenario files
  libboost-dev                   # Boost.Container (header-only): packet payloads
  nlohmann-json3-dev             # summary.json
  libdeflate-dev                 # the FST trace writer's compression
  libgtest-dev libgmock-dev      # unit tests
  libbenchmark-dev               # native benchmarks
  gtkwave                        # fst2vcd/vcd2fst used by the trace tests; viewer for users
  gnuplot-nox                    # `hcasim plot` and sweep plots (PNG)
  libpng-dev                     # the plot tests decode the PNGs they check
  clang libclang-rt-14-dev       # `make fuzz`: clang++ and libFuzzer (libclang_rt.fuzzer)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "hcasim: missing Debian packages: ${missing[*]}" >&2
  echo "hcasim: run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "hcasim: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
