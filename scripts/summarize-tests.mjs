// Sums vitest JSON reports and cargo test output into one closing line: "N passed, N failed".
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
if (dir && existsSync(dir)) {
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (file.endsWith('.json')) {
      const report = JSON.parse(text);
      passed += report.numPassedTests ?? 0;
      failed += report.numFailedTests ?? 0;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    } else {
      for (const m of text.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/gm)) {
        passed += Number(m[1]);
        failed += Number(m[2]);
        skipped += Number(m[3]);
      }
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
