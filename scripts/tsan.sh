#!/usr/bin/env bash
# The unit tests under ThreadSanitizer, in a build folder of their own (.build-tsan). A data race
# fails the run. Ends with "tsan: N passed, M failed" (tests).
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  swift test --sanitize=thread --scratch-path .build-tsan 2>&1 | tee "$log" | grep -E "^(✔|✘) Test run|WARNING: ThreadSanitizer|error:" 
status=${PIPESTATUS[0]}
races=$(grep -c "WARNING: ThreadSanitizer" "$log")
# The first report in full, so that a race seen once (in CI, say) can be traced.
if [[ $races -gt 0 ]]; then sed -n '/WARNING: ThreadSanitizer/,/SUMMARY: ThreadSanitizer/p' "$log" | grep -v '^ *#\(1[5-9]\|[2-9][0-9]\)' | head -80; fi
# Which tests failed and why, so that a failure seen once (in CI, say) can be traced.
grep -E "recorded an issue|^✘ Test .* failed" "$log" | cut -c1-600 | head -40
summary=$(grep -E "Test run with [0-9]+ tests" "$log" | tail -1)
tests=$(sed -E 's/.*with ([0-9]+) tests.*/\1/' <<< "$summary")
issues=$(grep -oE "with [0-9]+ issues?" <<< "$summary" | grep -oE "[0-9]+")
failed=$(( ${issues:-0} + races ))
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ -z $tests ]]; then tests=0; fi
echo "tsan: $(( tests > failed ? tests - failed : 0 )) passed, $failed failed ($races data races)"
[[ $failed -eq 0 ]]
