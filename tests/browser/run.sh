#!/bin/sh
# Runs the browser tests: node's test runner over tests/browser/*.test.mjs,
# reporting in TAP (scripts/run-tests.sh counts its "ok" / "not ok" lines).
# Each file starts its own `fazhi serve` (FAZHI_BIN, default the sanitizer
# build) and its own headless /usr/bin/chromium; files run one at a time,
# since the machine has two cores and the server runs under ASan.
#
#   tests/browser/run.sh                     every journey
#   tests/browser/run.sh tests/browser/login.test.mjs   one file
set -eu
cd "$(dirname "$0")/../.."
if [ ! -d node_modules/playwright-core ]; then
    echo "not ok 1 - playwright-core is not installed: run 'npm ci' (make check does)"
    exit 1
fi
FAZHI_BIN=${FAZHI_BIN:-$PWD/build/asan/fazhi}
export FAZHI_BIN
if [ $# -eq 0 ]; then
    set -- tests/browser/
fi
exec node --test --test-reporter=tap --test-concurrency=1 "$@"
