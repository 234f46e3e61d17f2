// DVC data layer speed on one 20,000-PNG partition: `add`, `push` to a local remote, and `pull`
// into a fresh clone (no cache, no data). Uses data/partitions/v1 when `cifar10 partition` has made
// it, else 20,000 generated files of PNG-like sizes. Run: `npm run bench -- dvc`.
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

async function timed<T>(label: string, files: number, work: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s  ${Math.round(files / seconds).toString().padStart(6)} files/s`);
  return result;
}

/**
 * One round in `base`: a fresh repository, remote and clone; prints a line per step. Nothing is
 * deleted until every round is done: on this VM's disk (mounted with `discard`) mass deletion
 * slows the file creation that follows for a while, which would distort the next step.
 */
async function round(base: string): Promise<void> {
  const root = join(base, 'repo');
  const source = await preparePartition(join(root, 'data', 'v1'));
  const files = (await new IgnoreRules().listFiles(join(root, 'data', 'v1'))).length;
  console.log(`partition: ${source}; jobs ${JOBS}; node ${process.version}`);
  // File creation speed on this disk varies several-fold with other load; `cp -r` of the same
  // tree, timed just before, gives the figures below a yardstick.
  await timed('baseline: cp -r of the partition', files, async () => {
    spawnSync('cp', ['-r', join(root, 'data', 'v1'), join(base, 'cp-baseline')]);
  });
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', join(base, 'store'), { makeDefault: true, cwd: root });
  const opened = await loadRepo(root);
  await timed('add (hash + copy into cache)', files, () => add(opened, ['data/v1'], { cwd: root, jobs: JOBS }));
  await timed('push to a local remote', files, () => push(opened, { cwd: root, jobs: JOBS }));

  const cloneRoot = join(base, 'clone');
  const clone = (await initRepo(cloneRoot)).repo;
  await copyFile(join(repo.dvcDir, 'config'), join(clone.dvcDir, 'config'));
  await mkdir(join(cloneRoot, 'data'));
  await copyFile(join(root, 'data', 'v1.dvc'), join(cloneRoot, 'data', 'v1.dvc'));
  const cloned = await loadRepo(cloneRoot);
  await timed('pull into a fresh clone', files, () => pull(cloned, { cwd: cloneRoot, jobs: JOBS }));
  const restored = (await readdir(join(cloneRoot, 'data', 'v1'))).length;
  if (restored === 0) throw new Error('pull restored nothing');
  await timed('add again (unchanged, re-hash only)', files, () => add(opened, ['data/v1'], { cwd: root, jobs: JOBS }));
}

// File creation here slows down for a while after mass deletions (by any process on the machine),
// so the benchmark runs twice (DVC_BENCH_ROUNDS) and prints both rounds.
const ROUNDS = Number(process.env.DVC_BENCH_ROUNDS ?? 2);
const bases: string[] = [];
try {
  for (let r = 1; r <= ROUNDS; r++) {
    console.log(`\nround ${r} of ${ROUNDS}`);
    bases.push(await mkdtemp(join(tmpdir(), 'dvc-bench-')));
    await round(bases.at(-1)!);
  }
} finally {
  for (const base of bases) await rm(base, { recursive: true, force: true });
}
