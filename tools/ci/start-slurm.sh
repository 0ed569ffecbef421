#!/usr/bin/env bash
# Starts a private one-node Slurm cluster for tests: munged, slurmctld and slurmd, all in
# STATE_DIR (config, keys, sockets, spool, logs, pid files), listening on 127.0.0.1 only.
#   tools/ci/start-slurm.sh STATE_DIR [CTLD_PORT] [SLURMD_PORT]
# On success it prints SLURM_CONF=STATE_DIR/slurm.conf (the client commands need it in their
# environment) and exits 0; tools/ci/stop-slurm.sh STATE_DIR stops what it started. It needs
# root (slurmd runs jobs as their owner) and Debian's slurm-wlm and munge
# (tools/ci/install-slurm.sh). design decision: proctrack/linuxproc and task/none, because
# cgroup plugins need a writable cgroup hierarchy, which containers and sandboxes often lack.
set -euo pipefail

dir=${1:?usage: start-slurm.sh STATE_DIR [CTLD_PORT] [SLURMD_PORT]}
ctld_port=${2:-16817}
slurmd_port=${3:-16818}

fail() { echo "start-slurm: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (slurmd starts jobs as their user)"
for p in munged slurmctld slurmd sbatch squeue; do
  command -v "$p" >/dev/null || fail "$p not installed (tools/ci/install-slurm.sh installs slurm-wlm and munge)"
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/munge" "$dir/spool/ctld" "$dir/spool/d" "$dir/log"
chmod 755 "$dir/munge"  # clients reach the socket in it

# munged: a fresh key, its socket inside STATE_DIR. --force: it refuses to run as root
# otherwise, and STATE_DIR may sit below a world-writable /tmp.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
  --seed-file="$dir/munge/munged.seed" || fail "munged did not start: $(tail -3 "$dir/log/munged.log" 2>/dev/null)"

cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
cat > "$dir/slurm.conf" <<CONF
# One-node test cluster written by tools/ci/start-slurm.sh.
ClusterName=hcasim-test
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MinJobAge=30
MessageTimeout=5
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=hcasim-node NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=hcasim-node Default=YES MaxTime=60 State=UP
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -i || fail "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log" 2>/dev/null)"
slurmd -N hcasim-node || fail "slurmd did not start: $(tail -5 "$dir/log/slurmd.log" 2>/dev/null)"

# Ready when the node accepts work (bounded: 30 s).
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  state=$(timeout 5 sinfo -h -n hcasim-node -o %T 2>/dev/null || true)
  case "$state" in
    idle*|mixed*|allocated*) echo "SLURM_CONF=$dir/slurm.conf"; exit 0 ;;
  esac
  sleep 0.5
done
fail "the node did not become idle (state '${state:-unknown}'): $(tail -5 "$dir/log/slurmd.log" 2>/dev/null)"
