#!/usr/bin/env bash
# Stop the one-node SLURM cluster started by tests/slurm/start.sh, by its pid files only.
#
#   tests/slurm/stop.sh [STATE_DIR]     (default /tmp/ino-slurm-test)
set -uo pipefail

STATE_DIR=${1:-${INO_SLURM_STATE_DIR:-/tmp/ino-slurm-test}}

stop() {  # stop NAME PIDFILE
  local pidfile=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null
    fi
    echo "stopped $1 (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop slurmd "$STATE_DIR/slurmd.pid"
stop slurmctld "$STATE_DIR/slurmctld.pid"
# munged: only if start.sh started it (it then copied the pid file into STATE_DIR).
stop munged "$STATE_DIR/munged.pid"

# Remove the slurm.conf that start.sh wrote (and put back one it saved). Left in place with no
# controller running, it makes `scontrol show config` wait ~9 s for a connection, and
# snakemake-executor-plugin-slurm runs that command when Snakemake starts: every snakemake call
# (and every job it spawns) would then start 9 s late. Without the file scontrol fails at once.
CONF=/etc/slurm/slurm.conf
if [ -f "$CONF" ] && grep -qF "# written by ino-study tests/slurm/start.sh" "$CONF"; then
  rm -f "$CONF"
  if [ -f "$CONF.before-ino-tests" ]; then
    mv "$CONF.before-ino-tests" "$CONF"
  fi
fi
exit 0
