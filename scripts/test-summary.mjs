#!/usr/bin/env node
// Prints the closing line CI reads, "N passed, N failed[, N skipped]", from vitest's JSON report.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "build/test-results.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  console.error(`test-summary: no readable vitest report at ${file} (${err.message})`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const suitesFailed = report.numFailedTestSuites ?? 0;
if (suitesFailed > 0 && failed === 0) console.error(`test-summary: ${suitesFailed} test file(s) failed to run`);
console.log(
  `${passed} passed, ${failed + (failed === 0 ? suitesFailed : 0)} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exit(failed + suitesFailed > 0 || passed === 0 ? 1 : 0);
