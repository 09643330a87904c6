#!/usr/bin/env bash
# Fuzzing with libFuzzer: builds a fuzz target per decoder (Fuzz/, only with TODO_FUZZ=1 and
# -sanitize=fuzzer) into .build-fuzz, replays every crash kept in Fuzz/Crashes/ as a regression
# test, then fuzzes each target for FUZZ_SECONDS (default 60) from the seeds in Fuzz/Corpus/.
# FUZZ_TARGETS (space-separated) picks targets.
# A new crash is copied to Fuzz/Crashes/<target>/ to be kept. Prints one line per target and
# ends with "fuzz: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
read -r -a targets <<< "${FUZZ_TARGETS:-FuzzJSON FuzzJSONRPC FuzzToolArguments FuzzForms FuzzAccessToken FuzzRedirectURI FuzzCursor}"
build=(env TODO_FUZZ=1 swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld)
passed=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for target in "${targets[@]}"; do
  if ! "${build[@]}" --product "$target" > "$work/$target.build.log" 2>&1; then
    tail -20 "$work/$target.build.log"
    echo "fuzz: $target did not build"
    failed=$((failed + 1))
    continue
  fi
  binary=.build-fuzz/debug/$target
  crashes=(Fuzz/Crashes/$target/*)
  if [[ -e ${crashes[0]} ]]; then
    if ! "$binary" "${crashes[@]}" > "$work/$target.replay.log" 2>&1; then
      grep -v '^0x' "$work/$target.replay.log" | tail -20
      echo "fuzz: $target fails on a kept crash input"
      failed=$((failed + 1))
      continue
    fi
  fi
  mkdir -p "$work/$target"
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$work/$target-" "$work/$target" "Fuzz/Corpus/$target" > "$work/$target.log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$')
  coverage=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -1)
  if [[ $status -eq 0 ]]; then
    echo "fuzz: $target ok, ${runs:-?} executions in ${seconds} s, ${coverage:-cov: ?}, corpus $(ls "$work/$target" | wc -l) new inputs"
    passed=$((passed + 1))
  else
    mkdir -p "Fuzz/Crashes/$target"
    for artifact in "$work/$target"-*; do [[ -e $artifact ]] && cp "$artifact" "Fuzz/Crashes/$target/"; done
    grep -v '^0x' "$work/$target.log" | grep -v '^ *[0-9]* \[ra\]' | tail -25
    echo "fuzz: $target FAILED after ${runs:-?} executions; the input is kept in Fuzz/Crashes/$target/"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
