// Runs every benchmark file (dist/bench/*.bench.js), each in its own process so one cannot skew the
// memory or JIT state of the next. `npm run bench -- dvc` runs only the files whose name contains "dvc".
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.js'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ') || '(none built)'}; run \`npm run build\` first`);
  process.exit(1);
}
let failed = 0;
for (const name of files) {
  console.log(`\n=== ${name.replace(/\.bench\.js$/, '')} ===`);
  const result = spawnSync(process.execPath, [join(here, name)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
