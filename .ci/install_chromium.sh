#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for tests/test_report.py (the report opened in a
# browser). Idempotent: does nothing when /usr/bin/chromium already runs. Needs root or sudo.
set -euo pipefail

if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  echo "install_chromium: $(/usr/bin/chromium --version 2>/dev/null) already installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install_chromium: need root or sudo" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
