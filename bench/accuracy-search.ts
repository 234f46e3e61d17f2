// The search behind the default architecture (issue 15): each candidate network trains on real
// CIFAR-10 for the same budget of one-core minutes (the one-cycle schedule anneals to the budget,
// train.max_minutes), with everything else as in params.yaml (label smoothing, crops and flips,
// test-time flips), and is scored on the held-out test split. Each run is the project's own
// `cifar10 train` and `cifar10 evaluate`, pinned to one core; finished runs are kept and reused, so
// an interrupted search resumes. A wall-time budget makes a loaded machine cost accuracy, not time;
// `--epochs N` trains a fixed number of epochs instead (max_minutes 0: the deterministic form the
// default params must take, since dvc.lock hashes the model), and the CPU minutes of the pinned
// training process then say what one idle core would need. Every run records the load average at
// its start and end. Not a *.bench file: `npm run bench` does not start it.
//
//   npm run build && node dist/bench/accuracy-search.js [--versions v1+v2+v3] [--minutes 15 | --epochs 9]
//     [--candidates fast:1,fast:1.5,deep:1,bn:1:0.005] [--seeds 42,43,44] [--work bench-out/accuracy-search]
//
// A candidate is arch:width[:lr] (architectures of src/model/architectures.ts, width multiplies every
// layer's channels, lr defaults to params.yaml's). The results table goes to
// <work>/results-<versions>-<minutes>m.md (or -e<epochs>.md).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from '../src/util/atomic.js';

const { values: args } = parseArgs({
  options: {
    versions: { type: 'string', default: 'v1+v2+v3' },
    minutes: { type: 'string', default: '15' },
    epochs: { type: 'string' },
    candidates: { type: 'string', default: 'fast:1,fast:1.5,fast:2,deep:1,bn:1' },
    seeds: { type: 'string', default: '42' },
    work: { type: 'string', default: 'bench-out/accuracy-search' },
    core: { type: 'string', default: String(availableParallelism() - 1) },
  },
});
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(root, 'dist', 'src', 'cli.js');
const work = resolve(args.work);
const minutes = Number(args.minutes);
const fixedEpochs = args.epochs === undefined ? undefined : Number(args.epochs);
const budget = fixedEpochs === undefined ? `${minutes}m` : `e${fixedEpochs}`;
const seeds = args.seeds.split(',').map(Number);
const candidates = args.candidates.split(',').map((spec) => {
  const [arch, width = '1', lr] = spec.split(':');
  return { spec, arch: arch!, width: Number(width), lr: lr === undefined ? undefined : Number(lr) };
});
type Candidate = (typeof candidates)[number];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const pinned = spawnSync('taskset', ['-c', args.core, 'true']).status === 0;
// GNU time reports the child's own CPU time, which Node's spawnSync does not; without it the column is empty.
const gnuTime = existsSync('/usr/bin/time');

/**
 * Runs the project's CLI (pinned to the chosen core when taskset exists), failing loudly; with
 * `cpuFile`, GNU time writes the process's user + system CPU seconds there.
 */
function cifar10(commandArgs: string[], cwd = work, cpuFile?: string): void {
  let argv = [process.execPath, cli, ...commandArgs];
  if (cpuFile && gnuTime) argv = ['/usr/bin/time', '-o', cpuFile, '-f', '%U %S', ...argv];
  if (pinned) argv = ['taskset', '-c', args.core, ...argv];
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`cifar10 ${commandArgs.join(' ')} failed (exit ${result.status})`);
}

/** params.yaml of the repository with `overrides` merged into its groups. */
async function paramsWith(overrides: Record<string, Record<string, unknown>>): Promise<string> {
  const doc = parse(await readFile(join(root, 'params.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [group, values] of Object.entries(overrides)) doc[group] = { ...doc[group], ...values };
  return stringify(doc);
}

/** The prepared splits of the versions, made once from the cached official batches. */
async function prepared(): Promise<string> {
  const dir = join(work, `prepared-${args.versions}`);
  if (existsSync(join(dir, 'info.json'))) return dir;
  await mkdir(work, { recursive: true });
  if (!existsSync(join(work, 'partitions', 'partitions.json'))) {
    if (!existsSync(join(work, 'cifar10'))) cifar10(['download', '--out', 'cifar10', '--quiet']);
    cifar10(['partition', '--images', 'cifar10', '--out', 'partitions', '--quiet']);
  }
  const params = join(work, `params-${args.versions}.yaml`);
  await writeFileAtomic(params, await paramsWith({ data: { versions: args.versions } }));
  cifar10(['prepare', '--params', params, '--partitions', 'partitions', '--out', dir, '--quiet']);
  return dir;
}

interface Result {
  spec: string;
  seed: number;
  epochs: number;
  bestValAcc: number;
  testAcc: number;
  imagesPerSecond: number;
  trainMinutes: number;
  /** CPU minutes of the train process (NaN without GNU time). */
  cpuMinutes: number;
  load: { start: string; end: string };
}

/** Trains and evaluates one candidate with one seed (or reads the finished run). */
async function run(preparedDir: string, { arch, width, lr }: Candidate, seed: number): Promise<Result> {
  const dir = join(work, 'runs', `${args.versions}-${budget}`, `${arch}-w${width}${lr === undefined ? '' : `-lr${lr}`}-s${seed}`);
  const metricsFile = join(dir, 'reports', 'metrics.json');
  const loadFile = join(dir, 'reports', 'load.json');
  if (!existsSync(metricsFile)) {
    await mkdir(join(dir, 'reports'), { recursive: true });
    const start = load();
    // In budget mode, epochs past what the budget allows, so the budget ends training and the schedule anneals to it.
    const schedule = fixedEpochs === undefined ? { epochs: 200, max_minutes: minutes } : { epochs: fixedEpochs, max_minutes: 0 };
    await writeFileAtomic(
      join(dir, 'params.yaml'),
      await paramsWith({ train: { arch, width, seed, ...schedule, ...(lr === undefined ? {} : { lr }), backend: 'wasm' } }),
    );
    cifar10(
      [
        'train',
        '--params',
        'params.yaml',
        '--prepared',
        preparedDir,
        '--model',
        'model',
        '--log',
        'reports/train_log.tsv',
        '--tuning',
        'reports/tuning.csv',
        '--quiet',
      ],
      dir,
      join(dir, 'reports', 'cpu.txt'),
    );
    await writeFileAtomic(loadFile, JSON.stringify({ start, end: load() }));
    cifar10(['evaluate', '--params', 'params.yaml', '--prepared', preparedDir, '--model', 'model', '--out', 'reports', '--backend', 'wasm', '--quiet'], dir);
  }
  const metrics = JSON.parse(await readFile(metricsFile, 'utf8')) as { accuracy: number };
  const training = JSON.parse(await readFile(join(dir, 'model', 'training.json'), 'utf8')) as { epochsRun: number; bestValAcc: number };
  const timing = JSON.parse(await readFile(join(dir, 'reports', 'timing.json'), 'utf8')) as { train: { seconds: number; images_per_second: number } };
  const cpuFile = join(dir, 'reports', 'cpu.txt');
  const cpuMinutes = existsSync(cpuFile)
    ? (await readFile(cpuFile, 'utf8'))
        .trim()
        .split(/\s+/)
        .slice(-2)
        .map(Number)
        .reduce((a, b) => a + b, 0) / 60
    : Number.NaN;
  const runLoad = existsSync(loadFile) ? (JSON.parse(await readFile(loadFile, 'utf8')) as Result['load']) : { start: '?', end: '?' };
  return {
    spec: candidates.find((c) => c.arch === arch && c.width === width && c.lr === lr)!.spec,
    seed,
    epochs: training.epochsRun,
    bestValAcc: training.bestValAcc,
    testAcc: metrics.accuracy,
    imagesPerSecond: timing.train.images_per_second,
    trainMinutes: timing.train.seconds / 60,
    cpuMinutes,
    load: runLoad,
  };
}

const startLoad = load();
const preparedDir = await prepared();
const results: Result[] = [];
for (const candidate of candidates) {
  for (const seed of seeds) {
    console.log(
      `\n${candidate.spec} seed ${seed}: ${fixedEpochs === undefined ? `${minutes} min` : `${fixedEpochs} epochs`} on core ${args.core} (load ${load()})`,
    );
    results.push(await run(preparedDir, candidate, seed));
  }
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
const rows = candidates.map(({ spec }) => {
  const runs = results.filter((r) => r.spec === spec);
  const test = runs.map((r) => r.testAcc * 100);
  return { spec, runs, testMean: mean(test), testSd: sd(test) };
});
rows.sort((a, b) => b.testMean - a.testMean);
const fixed = (v: number[], digits: number) => v.map((x) => x.toFixed(digits)).join(', ');
const table = [
  `Accuracy search: ${args.versions}, ${fixedEpochs === undefined ? `${minutes} min of training` : `${fixedEpochs} epochs`} per run on one core (core ${args.core}${pinned ? '' : ', NOT pinned: taskset missing'}), seeds ${seeds.join(', ')}; load average ${startLoad} at start, ${load()} at end`,
  `Command: node dist/bench/accuracy-search.js --versions ${args.versions} ${fixedEpochs === undefined ? `--minutes ${minutes}` : `--epochs ${fixedEpochs}`} --candidates ${args.candidates} --seeds ${args.seeds} --core ${args.core}`,
  '',
  '| arch:width[:lr] | test acc (TTA), mean ± sd | per seed | best val acc | epochs run | images/s | train min (wall) | train CPU min | load average (1/5/15 min) at start → end of each training |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| \`${r.spec}\` | ${r.testMean.toFixed(2)}% ± ${r.testSd.toFixed(2)} | ${fixed(
        r.runs.map((x) => x.testAcc * 100),
        2,
      )} | ${mean(r.runs.map((x) => x.bestValAcc * 100)).toFixed(2)}% | ${r.runs.map((x) => x.epochs).join(', ')} | ${fixed(
        r.runs.map((x) => x.imagesPerSecond),
        0,
      )} | ${fixed(
        r.runs.map((x) => x.trainMinutes),
        1,
      )} | ${fixed(
        r.runs.map((x) => x.cpuMinutes),
        1,
      )} | ${r.runs.map((x) => `${x.load.start} → ${x.load.end}`).join('; ')} |`,
  ),
].join('\n');
const out = join(work, `results-${args.versions}-${budget}.md`);
await writeFileAtomic(out, `${table}\n`);
console.log(`\n${table}\n\nwritten to ${out}`);
