#!/usr/bin/env bash
# Start a one-node SLURM cluster on localhost for the tests (Debian slurm-wlm + munge; no systemd,
# no database, no accounting). Needs root. Installs the packages with apt-get if they are missing.
#
#   tests/slurm/start.sh [STATE_DIR]     (default /tmp/ino-slurm-test; tests/slurm/stop.sh stops it)
#
# Follows what was found running SLURM on this kind of machine (shared notes, slurm-single-node):
# - the config must be /etc/slurm/slurm.conf (the plugin's job step clears SLURM_* variables, so a
#   SLURM_CONF pointing elsewhere breaks jobs);
# - no accounting: run Snakemake with --slurm-status-command squeue and keep MinJobAge at its
#   default 300 (the plugin falls back to sacct, which fails here, when MinJobAge is low);
# - CPUs = nproc and RealMemory below what `slurmd -C` reports, or the node drains.
# Daemons write pid files in STATE_DIR; stop.sh kills them by those pids only.
set -euo pipefail

STATE_DIR=${1:-${INO_SLURM_STATE_DIR:-/tmp/ino-slurm-test}}
CONF=/etc/slurm/slurm.conf
MARKER="# written by ino-study tests/slurm/start.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/slurm/start.sh: must run as root" >&2
  exit 2
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
   || ! command -v sinfo >/dev/null; then
  echo "installing slurm-wlm and munge with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

mkdir -p "$STATE_DIR"/{state,spool,log}
host=$(hostname -s)

# --- munge ----------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge
chmod 700 /etc/munge
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force --pid-file=/run/munge/munged.pid
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  cp /run/munge/munged.pid "$STATE_DIR/munged.pid"
fi
munge -n | unmunge >/dev/null

# --- slurm.conf -------------------------------------------------------------------------------
cpus=$(nproc)
detected_mb=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
real_memory=$(( detected_mb * 9 / 10 ))
mkdir -p /etc/slurm
if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
  cp "$CONF" "$CONF.before-ino-tests"
  echo "saved the existing $CONF as $CONF.before-ino-tests" >&2
fi
cat > "$CONF" <<EOF
$MARKER
ClusterName=ino-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/log/slurmctld.log
SlurmdLogFile=$STATE_DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=$host CPUs=$cpus RealMemory=$real_memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons (each daemonises and writes its pid file) -----------------------------------------
if ! { [ -f "$STATE_DIR/slurmctld.pid" ] && kill -0 "$(cat "$STATE_DIR/slurmctld.pid")" 2>/dev/null; }; then
  /usr/sbin/slurmctld -c
fi
if ! { [ -f "$STATE_DIR/slurmd.pid" ] && kill -0 "$(cat "$STATE_DIR/slurmd.pid")" 2>/dev/null; }; then
  /usr/sbin/slurmd
fi

for _ in $(seq 300); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n1 || true)
  case "$state" in
    idle|mix|alloc) echo "SLURM is up: node $host ($cpus CPUs, ${real_memory} MB), state $state, files in $STATE_DIR"; exit 0 ;;
  esac
  sleep 0.2
done
echo "tests/slurm/start.sh: the node did not become idle (last state: ${state:-none})" >&2
tail -n 20 "$STATE_DIR"/log/*.log >&2 || true
exit 1
