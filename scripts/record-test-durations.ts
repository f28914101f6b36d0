/**
 * Records each test file's duration from a vitest JSON report into `scripts/test-durations.json`,
 * which orders the files longest first (`scripts/test-order.ts`). Usage:
 *   npm run test:integration        # writes test-artifacts/integration-report.json
 *   node scripts/record-test-durations.ts test-artifacts/integration-report.json [checkout]
 * `checkout` is the directory the report was made in, when another clone (default: this one).
 * Files of other reports already recorded are kept; a file that no longer exists is dropped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const durationsFile = resolve(import.meta.dirname, 'test-durations.json');
const reportFile = process.argv[2];
const checkout = resolve(process.argv[3] ?? root);
if (reportFile === undefined) {
  console.error('usage: node scripts/record-test-durations.ts <vitest JSON report> [checkout]');
  process.exit(2);
}

interface Report {
  testResults: { name: string; startTime: number; endTime: number }[];
}
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
const durations: Record<string, number> = existsSync(durationsFile)
  ? (JSON.parse(readFileSync(durationsFile, 'utf8')) as Record<string, number>)
  : {};
for (const result of report.testResults) {
  durations[relative(checkout, result.name)] = Math.round(result.endTime - result.startTime);
}
const kept = Object.entries(durations)
  .filter(([path]) => existsSync(resolve(root, path)))
  .sort(([a], [b]) => a.localeCompare(b));
writeFileSync(durationsFile, `${JSON.stringify(Object.fromEntries(kept), null, 2)}\n`);
console.log(
  `recorded ${report.testResults.length} files; ${kept.length} in ${relative(root, durationsFile)}`,
);
