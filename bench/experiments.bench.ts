// Wall time of the seed × version matrix on the real partitions in data/partitions, and the
// per-version mean ± sd table it produced. Defaults: the full matrix (seeds 42,100,2025 × versions
// v1,v2,v3,v1+v2,v1+v2+v3) with 2 jobs and the params.yaml defaults — hours on two cores. Knobs:
// EXP_BENCH_SEEDS=42,100 EXP_BENCH_VERSIONS=v1,v2 EXP_BENCH_JOBS=2 EXP_BENCH_SET="train.epochs=2;train.max_minutes=1"
// EXP_BENCH_RESULTS=bench-out/experiments (kept, so an interrupted run resumes).
// Run: `npm run bench -- experiments`.
import { availableParallelism, cpus } from 'node:os';
import { runMatrix } from '../src/experiments/matrix.js';
import { summarizeRuns, summaryMarkdown } from '../src/experiments/summary.js';

const list = (value: string | undefined, fallback: string[]) => (value ? value.split(',').map((s) => s.trim()) : fallback);
const seeds = list(process.env.EXP_BENCH_SEEDS, ['42', '100', '2025']).map(Number);
const versions = list(process.env.EXP_BENCH_VERSIONS, ['v1', 'v2', 'v3', 'v1+v2', 'v1+v2+v3']);
const jobs = Number(process.env.EXP_BENCH_JOBS ?? 2);
const overrides = (process.env.EXP_BENCH_SET ?? '').split(';').filter(Boolean);
const resultsDir = process.env.EXP_BENCH_RESULTS ?? 'bench-out/experiments';

console.log(`matrix: seeds ${seeds.join(',')} × versions ${versions.join(',')}, ${jobs} jobs, overrides [${overrides.join(' ')}]`);
console.log(`machine: ${cpus()[0]?.model.trim()} × ${availableParallelism()}, node ${process.version}`);
const t0 = Date.now();
const result = await runMatrix({ root: process.cwd(), seeds, versions, jobs, overrides, resultsDir, log: (line) => console.log(line) });
const seconds = (Date.now() - t0) / 1000;
console.log(
  `\nwall time: ${(seconds / 60).toFixed(1)} min for ${result.ran.length} cell(s) run (${result.skipped.length} already done, ${result.failed.length} failed)`,
);
const cellMinutes = result.ran.map((r) => (r.manifest.durations['total'] ?? 0) / 60);
if (cellMinutes.length > 0)
  console.log(`per cell: ${Math.min(...cellMinutes).toFixed(1)}–${Math.max(...cellMinutes).toFixed(1)} min; backend ${result.ran[0]!.manifest.backend}`);
console.log(`\n${summaryMarkdown(summarizeRuns(result.bundles))}`);
for (const f of result.failed) console.log(`FAILED ${f.runId}: ${f.error.message}`);
