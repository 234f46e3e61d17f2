// DVC data layer speed on one 20,000-PNG partition: `add`, `push` to a local remote, and `pull`
// into a fresh clone (no cache, no data), ours beside the real DVC (REAL_DVC) on the same tree,
// 5 rounds (DVC_BENCH_ROUNDS), medians and ratios. Uses data/partitions/v1 when `cifar10 partition`
// has made it, else 20,000 generated files of PNG-like sizes. Run: `npm run bench -- dvc`.
import { copyFile, link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { add, addRemote, IgnoreRules, initRepo, loadRepo, pull, push } from '../src/dvc/index.js';
import { Random } from '../src/util/random.js';

const FILES = 20000;
const JOBS = Number(process.env.DVC_BENCH_JOBS ?? 16);

/** Places the partition at `dest` (hard links when possible: setup, not measured). */
async function preparePartition(dest: string): Promise<string> {
  const real = join('data', 'partitions', 'v1');
  const files = await new IgnoreRules().listFiles(real).catch(() => [] as string[]);
  if (files.length >= FILES) {
    for (const rel of files) {
      const to = join(dest, ...rel.split('/'));
      await mkdir(join(to, '..'), { recursive: true });
      await link(join(real, ...rel.split('/')), to).catch(() => copyFile(join(real, ...rel.split('/')), to));
    }
    return `${real} (${files.length} files)`;
  }
  const random = new Random(7);
  for (let i = 0; i < FILES; i++) {
    const dir = join(dest, `class${i % 10}`);
    if (i < 10) await mkdir(dir, { recursive: true });
    const bytes = Buffer.alloc(1800 + random.int(1200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = random.int(256);
    await writeFile(join(dir, `img-${String(i).padStart(5, '0')}.png`), bytes);
  }
  return `${FILES} generated files of 1.8–3 kB`;
}

type Step = 'cp' | 'floor' | 'add' | 'push' | 'pull' | 'readd' | 'dvc add' | 'dvc push' | 'dvc pull';
const times = new Map<Step, number[]>();

async function timed<T>(step: Step, label: string, files: number, work: () => Promise<T> | T): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  times.set(step, [...(times.get(step) ?? []), seconds]);
  console.log(
    `${label.padEnd(40)} ${seconds.toFixed(2).padStart(6)} s  ${Math.round(files / seconds)
      .toString()
      .padStart(6)} files/s`,
  );
  return result;
}

/** The real DVC (REAL_DVC, see .ci/run) beside ours; without it only ours is measured. */
const REAL_DVC = process.env.REAL_DVC;

function realDvc(cwd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(REAL_DVC!, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`dvc ${args.join(' ')} failed in ${cwd}: ${result.stderr || result.stdout}`);
}

function cp(from: string, to: string): void {
  const result = spawnSync('cp', ['-r', from, to]);
  if (result.status !== 0) throw new Error(`cp -r ${from} ${to} failed: ${result.stderr.toString()}`);
}

/**
 * A pull's floor, as plain copies of what it copies: the remote's objects into a fresh folder (the
 * fetch into the cache), then the tree (the checkout). Timed right before and right after our pull,
 * on the same files, file system and page-cache state (everything was written moments before), so
 * that the load and disk state of that moment weigh on both alike.
 */
function twoCopies(base: string, when: string): void {
  cp(join(base, 'store-ours', 'files'), join(base, `floor-${when}-objects`));
  cp(join(base, 'partition'), join(base, `floor-${when}-tree`));
}

async function ours(base: string, files: number): Promise<void> {
  const root = join(base, 'ours');
  await mkdir(join(root, 'data'), { recursive: true });
  cp(join(base, 'partition'), join(root, 'data', 'v1'));
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', join(base, 'store-ours'), { makeDefault: true, cwd: root });
  const opened = await loadRepo(root);
  await timed('add', 'ours: add (hash + copy into cache)', files, () => add(opened, ['data/v1'], { cwd: root, jobs: JOBS }));
  await timed('push', 'ours: push to a local remote', files, () => push(opened, { cwd: root, jobs: JOBS }));

  const cloneRoot = join(base, 'ours-clone');
  const clone = (await initRepo(cloneRoot)).repo;
  await copyFile(join(repo.dvcDir, 'config'), join(clone.dvcDir, 'config'));
  await mkdir(join(cloneRoot, 'data'));
  await copyFile(join(root, 'data', 'v1.dvc'), join(cloneRoot, 'data', 'v1.dvc'));
  const cloned = await loadRepo(cloneRoot);
  await timed('floor', 'floor: two cp -r (objects, then the tree)', files, () => twoCopies(base, 'before'));
  await timed('pull', 'ours: pull into a fresh clone', files, () => pull(cloned, { cwd: cloneRoot, jobs: JOBS }));
  await timed('floor', 'floor: two cp -r (objects, then the tree)', files, () => twoCopies(base, 'after'));
  const restored = (await readdir(join(cloneRoot, 'data', 'v1'))).length;
  if (restored === 0) throw new Error('pull restored nothing');
  await timed('readd', 'ours: add again (unchanged, re-hash only)', files, () => add(opened, ['data/v1'], { cwd: root, jobs: JOBS }));
}

async function theirs(base: string, files: number): Promise<void> {
  const root = join(base, 'dvc');
  const env = { DVC_SITE_CACHE_DIR: join(base, 'dvc-site-cache') };
  await mkdir(join(root, 'data'), { recursive: true });
  cp(join(base, 'partition'), join(root, 'data', 'v1'));
  realDvc(root, ['init', '--no-scm', '-q'], env);
  realDvc(root, ['remote', 'add', '-d', 'storage', join(base, 'store-dvc')], env);
  await timed('dvc add', 'real DVC: dvc add', files, () => realDvc(root, ['add', '-q', 'data/v1'], env));
  await timed('dvc push', 'real DVC: dvc push', files, () => realDvc(root, ['push', '-q'], env));
  const cloneRoot = join(base, 'dvc-clone');
  await mkdir(join(cloneRoot, 'data'), { recursive: true });
  realDvc(cloneRoot, ['init', '--no-scm', '-q'], env);
  await copyFile(join(root, '.dvc', 'config'), join(cloneRoot, '.dvc', 'config'));
  await copyFile(join(root, 'data', 'v1.dvc'), join(cloneRoot, 'data', 'v1.dvc'));
  await timed('dvc pull', 'real DVC: dvc pull into a fresh clone', files, () => realDvc(cloneRoot, ['pull', '-q'], env));
}

/**
 * One round in `base`: fresh repositories, remotes and clones for both tools; prints a line per
 * step. The tools take turns going first. Nothing is deleted until every round is done: on this
 * VM's disk (mounted with `discard`) mass deletion slows the file creation that follows for a
 * while, which would distort the next step.
 */
async function round(base: string, index: number): Promise<void> {
  const source = await preparePartition(join(base, 'partition'));
  const files = (await new IgnoreRules().listFiles(join(base, 'partition'))).length;
  console.log(`partition: ${source}; jobs ${JOBS}; node ${process.version}`);
  // File creation speed on this disk varies several-fold with other load; `cp -r` of the same
  // tree, timed just before, gives the figures below a yardstick. A pull's floor (two copies) is
  // timed beside the pull itself (twoCopies).
  await timed('cp', 'baseline: cp -r of the partition', files, () => cp(join(base, 'partition'), join(base, 'cp-1')));
  const order = REAL_DVC === undefined ? [ours] : index % 2 === 0 ? [ours, theirs] : [theirs, ours];
  for (const tool of order) await tool(base, files);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians over the rounds, and the ratios the targets (BENCHMARKS.md) are stated in. */
function summary(): void {
  const m = (step: Step) => median(times.get(step) ?? [NaN]);
  console.log(`\nmedians over ${ROUNDS} round(s):`);
  for (const [step, values] of times) console.log(`  ${step.padEnd(9)} ${m(step).toFixed(2).padStart(6)} s   (${values.map((v) => v.toFixed(2)).join(', ')})`);
  const pullFloor = m('pull') / m('floor');
  console.log(`\npull / two plain copies: ${pullFloor.toFixed(2)}× (target ≤ 1.5×) ${pullFloor <= 1.5 ? 'met' : 'NOT met'}`);
  if (REAL_DVC === undefined) {
    console.log('real DVC: not measured (REAL_DVC is not set; see .ci/run)');
    return;
  }
  for (const op of ['add', 'push', 'pull'] as const) {
    const ratio = m(`dvc ${op}`) / m(op);
    console.log(
      `${op.padEnd(4)}: ours ${m(op).toFixed(2)} s, real DVC ${m(`dvc ${op}`).toFixed(2)} s: ${ratio.toFixed(2)}× faster (target ≥ 3×) ${ratio >= 3 ? 'met' : 'NOT met'}`,
    );
  }
}

// File creation here slows down for a while after mass deletions (by any process on the machine),
// so every round keeps its files until the end; the medians of DVC_BENCH_ROUNDS rounds are compared.
const ROUNDS = Number(process.env.DVC_BENCH_ROUNDS ?? 5);
const bases: string[] = [];
try {
  for (let r = 1; r <= ROUNDS; r++) {
    console.log(`\nround ${r} of ${ROUNDS}`);
    bases.push(await mkdtemp(join(tmpdir(), 'dvc-bench-')));
    await round(bases.at(-1)!, r);
  }
  summary();
} finally {
  for (const base of bases) await rm(base, { recursive: true, force: true });
}
