#!/usr/bin/env bash
# The whole test run: system packages, npm packages, build, type check, lint, tests.
# Ends with one line: "N passed, N failed" (type check and lint count as one test each).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
npm install --no-audit --no-fund >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
extra_pass=0; extra_fail=0
step() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then extra_pass=$((extra_pass + 1)); else extra_fail=$((extra_fail + 1)); echo "FAILED: $name"; fi
}
step build npm run --silent build
step typecheck npm run --silent typecheck
step lint npm run --silent lint
mkdir -p .cache
rm -f .cache/vitest-report.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json
node -e '
const fs = require("fs");
let passed = 0, failed = 0;
try {
  const r = JSON.parse(fs.readFileSync(".cache/vitest-report.json", "utf8"));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  // A test file that fails before its tests run (an import or a beforeAll) counts once.
  for (const file of r.testResults) {
    const ran = file.assertionResults.some((a) => a.status === "passed" || a.status === "failed");
    if (file.status === "failed" && !ran) failed += 1;
    else if (file.status === "failed" && !file.assertionResults.some((a) => a.status === "failed")) failed += 1;
  }
  if (!r.success && failed === 0) failed = 1;
} catch { failed = 1; }
passed += Number(process.argv[1]); failed += Number(process.argv[2]);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
' "$extra_pass" "$extra_fail"
