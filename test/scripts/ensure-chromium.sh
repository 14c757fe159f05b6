#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the web console's test (adapters/console)
# drives it headless (DejaVu renders its screenshots). Idempotent; prints its path.
set -euo pipefail
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "chromium: $(command -v "$name")"
    exit 0
  fi
done
echo "chromium missing: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(command -v chromium)"
