#!/usr/bin/env bash
# Installs Debian's Slurm and munge for the Slurm backend's integration test (as root, only when
# missing). The test starts its own one-node cluster (tools/ci/start-slurm.sh) and skips itself
# where Slurm cannot be started.
set -euo pipefail
packages=(slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-slurm: not root; the Slurm test will be skipped (apt-get install ${missing[*]})" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
