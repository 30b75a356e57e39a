#!/usr/bin/env bash
# The one test command: installs what the suites need, runs every suite, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p test-artifacts
# A report of this run's own: two runs at once (several people in one checkout) must not read each
# other's. It is kept as test-artifacts/jest.json afterwards.
report=$(mktemp test-artifacts/jest-XXXXXX.json)
NODE_OPTIONS="--experimental-vm-modules --no-warnings ${NODE_OPTIONS:-}" \
  node node_modules/jest/bin/jest.js --json --outputFile="$report" "$@"
status=$?
node scripts/test-summary.ts "$report" || status=1
mv -f "$report" test-artifacts/jest.json
exit $status
