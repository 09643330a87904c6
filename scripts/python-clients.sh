#!/usr/bin/env bash
# Installs the pinned Python packages of e2e/requirements.txt (the official MCP SDK, FastMCP, Selenium,
# pytest, aiosmtpd) into .venv-e2e, again only when the requirements changed. Used by make e2e and
# make bench (whose peer is the official SDK).
set -uo pipefail
cd "$(dirname "$0")/.."

venv=.venv-e2e
stamp="$venv/requirements.sha"
wanted=$(sha256sum e2e/requirements.txt | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
  echo "Installing the Python clients into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check -r e2e/requirements.txt || exit 1
  echo "$wanted" > "$stamp"
fi
