import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeSynthDataset } from '../../src/cifar/synth.js';
import { createPartitions } from '../../src/data/partition.js';
import { pullOrRebuild } from '../../src/data/pull-or-rebuild.js';
import { rebuildVersions } from '../../src/data/rebuild.js';
import { firstDifference } from '../../src/data/rebuild-diagnosis.js';
import { add, compareCodePoints, initRepo, loadRepo, objectPath, readDvcFile, type Repo, status } from '../../src/dvc/index.js';
import { UserError } from '../../src/util/errors.js';
import { readTree, tempDir } from '../dvc/helpers.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';

const SYNTH = { imagesPerClass: 20, partitions: 2, partitionSize: 50, seed: 7 };

/** What a fresh runner has: the git-tracked files (`.dvc/`, `vN.dvc`, `partitions.json`) and a CIFAR-10 source. */
interface Checkout {
  repo: Repo;
  partitionsDir: string;
  /** The synthetic CIFAR-10 tarball the partitions were made from. */
  tarball: string;
  versions: string[];
  /** Each partition's files (relpath → base64) as `cifar10 partition` wrote them. */
  originals: Record<string, Record<string, string>>;
}

/**
 * A synthetic workspace whose partitions are tracked by `.dvc` files, then stripped to a checkout:
 * partitions, exported images and CIFAR cache deleted; of the DVC cache only the `.dir` objects
 * are kept when asked (a restored Actions cache may hold them), else none.
 */
async function trackedCheckout(root: string, options: { dvcignore?: string; dirObjects?: boolean; moveImagesTo?: string } = {}): Promise<Checkout> {
  const ws = await createSynthWorkspace(root, SYNTH);
  const { repo } = await initRepo(root);
  if (options.dvcignore) await writeFile(join(ws.partitionsDir, '.dvcignore'), options.dvcignore);
  await add(repo, ws.versions.map((v) => `data/partitions/${v}`), { cwd: root });
  const originals: Checkout['originals'] = {};
  for (const v of ws.versions) originals[v] = await readTree(join(ws.partitionsDir, v));
  for (const v of ws.versions) await rm(join(ws.partitionsDir, v), { recursive: true, force: true });
  if (options.moveImagesTo) await rename(ws.imagesDir, options.moveImagesTo);
  else await rm(ws.imagesDir, { recursive: true, force: true });
  await rm(ws.cacheDir, { recursive: true, force: true });
  if (options.dirObjects) {
    for (const file of await cacheFiles(repo)) if (!file.endsWith('.dir')) await rm(file, { force: true });
  } else {
    await rm(repo.cacheDir, { recursive: true, force: true });
  }
  return { repo, partitionsDir: ws.partitionsDir, tarball: ws.tarball, versions: ws.versions, originals };
}

/** Made once (a synthetic workspace takes seconds on a busy machine); each test copies it. */
let template: { base: string; checkout: Checkout; imagesDir: string };

before(async () => {
  const base = await mkdtemp(join(tmpdir(), 'rebuild-template-'));
  // The exported images stay outside the copied repository: one test partitions them with another seed.
  const imagesDir = join(base, 'images');
  const checkout = await trackedCheckout(join(base, 'repo'), { dirObjects: true, moveImagesTo: imagesDir });
  template = { base, checkout, imagesDir };
});
after(() => rm(template.base, { recursive: true, force: true }));

/** A private copy of the template checkout for one test. */
async function freshCheckout(t: TestContext, keep: { dirObjects?: boolean } = {}): Promise<Checkout> {
  const root = join(await tempDir(t, 'rebuild-'), 'repo');
  await cp(template.checkout.repo.root, root, { recursive: true });
  const repo = await loadRepo(root);
  if (!keep.dirObjects) await rm(repo.cacheDir, { recursive: true, force: true });
  const { originals, versions } = template.checkout;
  return { repo, partitionsDir: join(root, 'data', 'partitions'), tarball: join(root, relative(template.checkout.repo.root, template.checkout.tarball)), versions, originals };
}

async function cacheFiles(repo: Repo): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await visit(join(dir, entry.name));
      else found.push(join(dir, entry.name));
    }
  };
  await visit(repo.cacheDir);
  return found.sort();
}

async function exists(path: string): Promise<boolean> {
  return readdir(path).then(
    () => true,
    () => false,
  );
}

async function tamperRecipe(ws: Checkout, edit: (recipe: Record<string, unknown>) => void): Promise<void> {
  const path = join(ws.partitionsDir, 'partitions.json');
  const recipe = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(recipe);
  await writeFile(path, `${JSON.stringify(recipe, null, 2)}\n`);
}

test('after the DVC cache, the images and the partitions are deleted, a rebuild on two encoder threads restores byte-identical partitions and fills the cache', async (t) => {
  const ws = await freshCheckout(t);
  const { repo, originals } = ws;
  const lines: string[] = [];
  const result = await rebuildVersions({ repoRoot: repo.root, versions: ws.versions, source: ws.tarball, cifarCacheDir: await tempDir(t), workers: 2, quiet: true, log: (l) => lines.push(l) });
  assert.deepEqual(result, { rebuilt: ['v1', 'v2'], verified: ['v1', 'v2'], cached: [] });
  for (const v of ws.versions) assert.deepEqual(await readTree(join(ws.partitionsDir, v)), originals[v], `${v} is byte-identical`);
  assert.deepEqual(
    (await status(repo, { cwd: repo.root })).map((s) => [s.label, s.state]),
    [['data/partitions/v1', 'up to date'], ['data/partitions/v2', 'up to date']],
    'workspace and cache agree with the .dvc files',
  );
  const manifest = objectPath(repo.cacheDir, (await readDvcFile(join(ws.partitionsDir, 'v1.dvc'))).outs[0]!.md5!);
  assert.ok((await readFile(manifest)).length > 0, 'the directory object is in the cache, as after a pull');
  assert.ok(lines.some((l) => /v1 verified/.test(l)));

  const again = await rebuildVersions({ repoRoot: repo.root, versions: ['v2'], source: 'not-needed-when-cached', quiet: true });
  assert.deepEqual(again, { rebuilt: [], verified: ['v2'], cached: ['v2'] }, 'a second run finds everything cached and rebuilds nothing');
});

test('files .dvcignore left out of a partition\'s hash are left out of the rebuild too', async (t) => {
  const ws = await trackedCheckout(join(await tempDir(t, 'rebuild-'), 'repo'), { dvcignore: 'manifest.csv\n' });
  const { repo, originals } = ws;
  const result = await rebuildVersions({ repoRoot: repo.root, versions: ['v1'], source: ws.tarball, cifarCacheDir: await tempDir(t), workers: 1, quiet: true });
  assert.deepEqual(result.rebuilt, ['v1'], 'encoded on this thread');
  const { 'manifest.csv': manifest, ...tracked1 } = originals.v1!;
  assert.ok(manifest, 'the partition had a manifest, which DVC did not track');
  assert.deepEqual(await readTree(join(ws.partitionsDir, 'v1')), tracked1);
});

test('pull --rebuild with no remote configured rebuilds only the partitions asked for', async (t) => {
  const ws = await freshCheckout(t);
  const { repo, originals } = ws;
  const lines: string[] = [];
  const result = await pullOrRebuild(repo, { targets: ['data/partitions/v2.dvc'], cwd: repo.root, source: ws.tarball, cifarCacheDir: await tempDir(t), quiet: true, log: (l) => lines.push(l) });
  assert.equal(result.via, 'rebuild');
  assert.match(result.reason!, /no remote given and no default remote/);
  assert.deepEqual(result.rebuild!.rebuilt, ['v2']);
  assert.deepEqual(await readTree(join(ws.partitionsDir, 'v2')), originals.v2);
  assert.equal(await exists(join(ws.partitionsDir, 'v1')), false);
  assert.ok(lines.some((l) => /rebuilding v2 from CIFAR-10/.test(l)));

  const second = await pullOrRebuild(repo, { targets: ['data/partitions/v2.dvc'], cwd: repo.root, source: ws.tarball, quiet: true });
  assert.equal(second.via, 'remote', 'with the objects cached, a pull needs neither remote nor rebuild');
});

test('a tampered seed fails naming manifest.csv as the first differing file, and writes nothing', async (t) => {
  const ws = await freshCheckout(t);
  const { repo } = ws;
  await tamperRecipe(ws, (r) => (r.seed = 8));
  await assert.rejects(rebuildVersions({ repoRoot: repo.root, versions: ['v1'], source: ws.tarball, cifarCacheDir: await tempDir(t), quiet: true }), (error: Error) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /rebuilt data\/partitions\/v1 does not match data\/partitions\/v1\.dvc/);
    assert.match(error.message, /first differing file data\/partitions\/v1\/manifest\.csv .*seed, count, size or balance/);
    assert.match(error.message, /nothing was written/);
    return true;
  });
  assert.equal(await exists(join(ws.partitionsDir, 'v1')), false, 'no partition folder claims to be complete');
  assert.deepEqual(await cacheFiles(repo), [], 'no unverified object entered the DVC cache');
});

test('with the recorded file list in the cache, a tampered seed names the first differing image', async (t) => {
  const ws = await freshCheckout(t, { dirObjects: true });
  const { repo, originals } = ws;
  // What seed 8 selects, made by `cifar10 partition` itself in another folder, to compare against.
  const other = join(await tempDir(t), 'partitions');
  await createPartitions({ imagesDir: template.imagesDir, outDir: other, count: SYNTH.partitions, size: SYNTH.partitionSize, seed: 8, balanced: true, quiet: true });
  const reseeded = await readTree(join(other, 'v1'));
  const relpaths = [...new Set([...Object.keys(originals.v1!), ...Object.keys(reseeded)])].sort(compareCodePoints);
  const expected = relpaths.find((p) => originals.v1![p] !== reseeded[p])!;

  const cached = await cacheFiles(repo);
  assert.equal(cached.length, 2, 'the two .dir objects');
  await tamperRecipe(ws, (r) => (r.seed = 8));
  await assert.rejects(
    rebuildVersions({ repoRoot: repo.root, versions: ['v1'], source: ws.tarball, cifarCacheDir: await tempDir(t), quiet: true }),
    new RegExp(`first differing file data/partitions/v1/${expected.replace(/[.]/g, '\\.')} is in the (recorded partition|rebuild) but not`),
  );
  assert.equal(await exists(join(ws.partitionsDir, 'v1')), false);
  assert.deepEqual(await cacheFiles(repo), cached, 'the cache is as it was');
});

test('a tampered source names the first batch file whose MD5 differs from the recipe, and writes nothing', async (t) => {
  const ws = await freshCheckout(t);
  const { repo } = ws;
  const otherTarball = join(await tempDir(t), 'other.tar.gz');
  await writeSynthDataset(otherTarball, { imagesPerClass: SYNTH.imagesPerClass, seed: 99 });
  await assert.rejects(
    rebuildVersions({ repoRoot: repo.root, versions: ['v1', 'v2'], source: otherTarball, cifarCacheDir: await tempDir(t), quiet: true }),
    /data_batch_1\.bin has MD5 [0-9a-f]{32}, but .*partitions\.json records [0-9a-f]{32}: source ".*other\.tar\.gz" is not the dataset the partitions were made from.*nothing was written/,
  );
  assert.equal(await exists(join(ws.partitionsDir, 'v1')), false);
  assert.deepEqual(await cacheFiles(repo), []);
});

test('when one partition of several fails, none is checked out; the one verified stays only in the cache', async (t) => {
  const ws = await freshCheckout(t);
  const { repo } = ws;
  const dvcPath = join(ws.partitionsDir, 'v2.dvc');
  await writeFile(dvcPath, (await readFile(dvcPath, 'utf8')).replace(/md5: [0-9a-f]{32}\.dir/, `md5: ${'0'.repeat(32)}.dir`));
  await assert.rejects(
    rebuildVersions({ repoRoot: repo.root, versions: ['v1', 'v2'], source: ws.tarball, cifarCacheDir: await tempDir(t), quiet: true }),
    /rebuilt data\/partitions\/v2 does not match data\/partitions\/v2\.dvc .*manifest\.csv matches .*or data\/partitions\/v2\.dvc was changed/,
  );
  assert.equal(await exists(join(ws.partitionsDir, 'v1')), false);
  assert.equal(await exists(join(ws.partitionsDir, 'v2')), false);
  const v1 = (await readDvcFile(join(ws.partitionsDir, 'v1.dvc'))).outs[0]!;
  assert.ok((await cacheFiles(repo)).includes(objectPath(repo.cacheDir, v1.md5!)), 'v1 was verified, so its objects may stay cached');
});

test('a partition the recipe does not list is refused with the ones it has', async (t) => {
  const ws = await freshCheckout(t);
  const { repo } = ws;
  await writeFile(join(ws.partitionsDir, 'v3.dvc'), await readFile(join(ws.partitionsDir, 'v2.dvc')));
  await assert.rejects(rebuildVersions({ repoRoot: repo.root, versions: ['v3'], source: ws.tarball, quiet: true }), /partitions\.json records no partition v3 \(it has v1, v2\)/);
  await assert.rejects(rebuildVersions({ repoRoot: repo.root, versions: ['train'], source: ws.tarball, quiet: true }), /"train" is not a partition name/);
});

test('the first difference between two file lists is found in DVC manifest order', () => {
  const a = [
    { relpath: 'cat/b.png', md5: '2' },
    { relpath: 'cat/a.png', md5: '1' },
    { relpath: 'dog/c.png', md5: '3' },
  ];
  assert.equal(firstDifference(a, [...a].reverse()), undefined);
  assert.deepEqual(firstDifference(a, [a[0]!, a[2]!]), { relpath: 'cat/a.png', problem: 'is in the recorded partition but not in the rebuild' });
  assert.deepEqual(firstDifference(a, [...a, { relpath: 'cat/aa.png', md5: '9' }]), { relpath: 'cat/aa.png', problem: 'is in the rebuild but not in the recorded partition' });
  assert.deepEqual(firstDifference(a, [a[0]!, a[1]!, { relpath: 'dog/c.png', md5: '4' }]), { relpath: 'dog/c.png', problem: 'has MD5 4 in the rebuild, 3 recorded' });
});
