#!/usr/bin/env bash
# End-to-end tests: the real todo-server binary and the embedding example on loopback ports,
# driven by the official MCP Python SDK, FastMCP's client and headless Chromium. Installs what it
# needs, then prints one summary line "e2e: N passed, M failed" and fails when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh chromium chromium-driver msmtp openssl caddy nginx libnss3-tools || exit 1

scripts/python-clients.sh || exit 1
venv=.venv-e2e

swift build --product todo-server || exit 1
export TODO_SERVER_BINARY="$PWD/.build/debug/todo-server"
# The embedding example is a package of its own that depends on this one by path. SwiftPM keeps
# its build plan while the example's manifest is unchanged, missing files added to this package:
# dropping the plan makes it plan again (compiled files are kept).
rm -f Examples/EmbeddedServer/.build/debug.yaml Examples/EmbeddedServer/.build/debug/description.json
swift build --package-path Examples/EmbeddedServer || exit 1
export EMBEDDED_SERVER_BINARY="$PWD/Examples/EmbeddedServer/.build/debug/EmbeddedServer"

mkdir -p e2e/out
rm -f e2e/out/junit.xml
"$venv/bin/python" -m pytest e2e -q -p no:cacheprovider --junitxml=e2e/out/junit.xml "$@"
status=$?

"$venv/bin/python" - <<'PY'
import xml.etree.ElementTree as ET
try:
    suite = ET.parse("e2e/out/junit.xml").getroot().find("testsuite")
    total, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
    skipped = int(suite.get("skipped"))
except Exception:
    total, failed, skipped = 0, 1, 0
print(f"e2e: {total - failed - skipped} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
# pytest's 5 means no test ran: a failure here.
[[ $status -eq 0 ]] || exit 1
