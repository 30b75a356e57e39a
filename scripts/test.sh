#!/usr/bin/env bash
# The one test command: installs what the suites need, runs every suite, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p test-artifacts
rm -f test-artifacts/jest.json
NODE_OPTIONS="--experimental-vm-modules --no-warnings ${NODE_OPTIONS:-}" \
  node node_modules/jest/bin/jest.js --json --outputFile=test-artifacts/jest.json "$@"
status=$?
node scripts/test-summary.ts test-artifacts/jest.json || status=1
exit $status
