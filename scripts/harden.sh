#!/usr/bin/env bash
# make harden: the hardening suite. Runs, in order:
#   fuzz    libFuzzer on every decoder (scripts/fuzz.sh), kept crashes replayed first
#   matrix  the hostile-input matrix against the running binary (harden/matrix.py)
#   crash   kill -9 under concurrent writes, then every acknowledged write and integrity_check (harden/crash.py)
#   soak    sign-ins, refreshes and tool calls; RSS and open files must stay flat (harden/soak.py)
#   tsan    the unit tests under ThreadSanitizer
# and ends with one line "harden: N passed, M failed", the sums of the parts' own counts.
#
# HARDEN_QUICK=1 is the form CI runs: 15 s per fuzz target on the decoders below the HTTP layer,
# the debug binary instead of the release build, two crash rounds and a 45-second soak.
set -uo pipefail
cd "$(dirname "$0")/.."

quick=${HARDEN_QUICK:-0}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
total_passed=0
total_failed=0

# Runs a part, shows its output, and adds the counts of its "<name>: N passed, M failed" line.
part() {
  local name=$1
  shift
  echo "== $name"
  "$@" 2>&1 | tee "$log/$name.log"
  local status=${PIPESTATUS[0]}
  local summary
  summary=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log/$name.log" | tail -1)
  if [[ -z $summary ]]; then
    echo "$name: 0 passed, 1 failed (no summary; exit status $status)"
    total_failed=$((total_failed + 1))
    return
  fi
  local passed failed
  passed=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<< "$summary")
  failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< "$summary")
  if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

scripts/install-system-packages.sh

if [[ $quick == 1 ]]; then
  part fuzz env FUZZ_SECONDS=15 FUZZ_TARGETS="FuzzJSON FuzzJSONRPC FuzzAccessToken FuzzRedirectURI FuzzCursor" scripts/fuzz.sh
  swift build --product todo-server || exit 1
  binary=$PWD/.build/debug/todo-server
  flag=--quick
else
  part fuzz scripts/fuzz.sh
  swift build -c release --product todo-server || exit 1
  binary=$PWD/.build/release/todo-server
  flag=
fi

part matrix python3 harden/matrix.py --binary "$binary" $flag
part crash python3 harden/crash.py --binary "$binary" $flag
part soak python3 harden/soak.py --binary "$binary" $flag
part tsan scripts/tsan.sh

echo "harden: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
