#!/bin/bash
# Runs test binaries and prints one closing line: "N passed, N failed".
#
# Each binary is a cmocka suite; it reports in TAP (CMOCKA_MESSAGE_OUTPUT=tap)
# and its "ok" / "not ok" lines are counted. tests/browser/run.sh (node's
# test runner) reports in TAP too; only its top-level lines start in column
# one, so each journey counts once. A program that dies without reporting a
# failure (a sanitizer abort, a crash) counts as one failure.
set -u
passed=0
failed=0
failed_names=()
export CMOCKA_MESSAGE_OUTPUT=tap
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

for bin in "$@"; do
    name=$(basename "$(dirname "$bin")")/$(basename "$bin")
    log="$logdir/${name//\//_}.log"
    start=$(date +%s%N)
    "$bin" >"$log" 2>&1
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    secs=$((ms / 1000)).$((ms % 1000 / 100))
    ok=$(grep -cE '^ok ' "$log")
    bad=$(grep -cE '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$bad" -ne 0 ]; then
        failed_names+=("$name")
        echo "FAIL $name ($ok passed, $bad failed, ${secs}s)"
        sed 's/^/    /' "$log" | tail -n 60
    else
        echo "ok   $name ($ok passed, ${secs}s)"
    fi
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
