#!/usr/bin/env bash
# Installs Debian's redis-server when it is missing. Tests start their own redis-server
# processes on free ports; this only makes sure the binary is there.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server: $(command -v redis-server)"
  exit 0
fi
echo "redis-server missing: installing Debian's redis-server"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
echo "redis-server: $(command -v redis-server)"
