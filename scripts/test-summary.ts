// Prints the last line CI reads: "N passed, N failed", from Jest's JSON report.
import { readFileSync } from 'node:fs';

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
}

const path = process.argv[2] ?? 'test-artifacts/jest.json';
let report: JestReport;
try {
  report = JSON.parse(readFileSync(path, 'utf8')) as JestReport;
} catch {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// A suite that fails to load has no test results; count it as a failure so it cannot hide.
const failed = report.numFailedTests + report.numRuntimeErrorTestSuites;
console.log(`${report.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
