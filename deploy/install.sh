#!/usr/bin/env bash
# Installs newsbot into ./.venv on a fresh machine: Python 3.11, the CPU build of torch
# (pinned first, so nothing pulls a multi-GB CUDA build), then the locked dependencies.
#   bash deploy/install.sh          # the bot and CLI
#   bash deploy/install.sh --test   # plus the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test,cluster]"

python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python=$candidate; break
  fi
done
[ -n "$python" ] || { echo "install: Python 3.11 is required" >&2; exit 1; }

[ -x .venv/bin/python ] || "$python" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -c deploy/requirements.lock -e ".${extras}"
echo "install: newsbot is in .venv/bin/newsbot" >&2
