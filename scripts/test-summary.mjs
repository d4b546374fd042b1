#!/usr/bin/env node
// Prints the closing line CI reads, "N passed, N failed[, N skipped]", from one or more vitest JSON
// reports (summed: the main run and the Node 24 run of the authz suites).
import { readFileSync } from "node:fs";

const files = process.argv.length > 2 ? process.argv.slice(2) : ["build/test-results.json"];
let passed = 0;
let failed = 0;
let skipped = 0;
let suitesFailed = 0;
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    console.error(`test-summary: no readable vitest report at ${file} (${err.message})`);
    suitesFailed += 1;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  suitesFailed += report.numFailedTestSuites ?? 0;
}
if (suitesFailed > 0 && failed === 0) console.error(`test-summary: ${suitesFailed} test file(s) failed to run`);
console.log(
  `${passed} passed, ${failed + (failed === 0 ? suitesFailed : 0)} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exit(failed + suitesFailed > 0 || passed === 0 ? 1 : 0);
