import { type HashInfo, type ManifestEntry, compareCodePoints, objectPath, readDirManifest, type Repo, sortManifest } from '../dvc/index.js';
import { pngEncoderInfo } from '../cifar/png.js';
import { UserError } from '../util/errors.js';
import { MANIFEST_FILE } from './partition.js';
import type { PartitionRecipe } from './recipe.js';

/**
 * Why a rebuilt partition does not match its `.dvc` file, named as precisely as the cache allows:
 * the first differing file when the recorded file list is there, else whether the image selection
 * or the PNG bytes differ.
 */

/** The recorded file list of a partition when its `.dir` object is in the cache, for naming the first difference. */
async function recordedEntries(repo: Repo, md5: string): Promise<ManifestEntry[] | undefined> {
  try {
    return await readDirManifest(repo.cacheDir, md5);
  } catch {
    // Missing or corrupt (readDirManifest removes a corrupt one): the message then says so.
    return undefined;
  }
}

/** The first relpath (in DVC's manifest order) where two file lists differ, and how. */
export function firstDifference(recorded: readonly ManifestEntry[], rebuilt: readonly ManifestEntry[]): { relpath: string; problem: string } | undefined {
  const a = sortManifest(recorded);
  const b = sortManifest(rebuilt);
  for (let i = 0, j = 0; i < a.length || j < b.length; ) {
    const left = a[i];
    const right = b[j];
    const order = !left ? 1 : !right ? -1 : compareCodePoints(left.relpath, right.relpath);
    if (order < 0) return { relpath: left!.relpath, problem: 'is in the recorded partition but not in the rebuild' };
    if (order > 0) return { relpath: right!.relpath, problem: 'is in the rebuild but not in the recorded partition' };
    if (left!.md5 !== right!.md5) return { relpath: left!.relpath, problem: `has MD5 ${right!.md5} in the rebuild, ${left!.md5} recorded` };
    i++;
    j++;
  }
  return undefined;
}

/** The error for a rebuilt partition whose hash differs from its `.dvc` file: the first differing file and the likely cause. */
export async function mismatchError(
  repo: Repo,
  label: string,
  dvcFile: string,
  recorded: HashInfo,
  rebuilt: { files: readonly ManifestEntry[]; hash: HashInfo; selectionMd5: string },
  recipe: PartitionRecipe,
  version: string,
  recipePath: string,
): Promise<UserError> {
  const at = (relpath: string) => `${label}/${relpath}`;
  const head = `rebuilt ${label} does not match ${dvcFile} (directory hash ${rebuilt.hash.md5}, recorded ${recorded.md5})`;
  const tail = 'nothing was written to the workspace or the DVC cache. Pull the partition from the DVC remote instead, or re-create it with `cifar10 partition` and track it again';
  const entries = await recordedEntries(repo, recorded.md5);
  const diff = entries && firstDifference(entries, rebuilt.files);
  if (diff) return new UserError(`${head}: first differing file ${at(diff.relpath)} ${diff.problem}; ${tail}`);
  const expectedCsv = recipe.partitions[version]!.manifestMd5;
  if (rebuilt.selectionMd5 !== expectedCsv) {
    return new UserError(
      `${head}: first differing file ${at(MANIFEST_FILE)} (MD5 ${rebuilt.selectionMd5}, ${recipePath} records ${expectedCsv}): the images selected differ from the recorded ones, so the seed, count, size or balance in ${recipePath} was changed after the partitions were made; ${tail}`,
    );
  }
  const encoder = pngEncoderInfo();
  const sameEncoder = JSON.stringify(encoder) === JSON.stringify(recipe.encoder);
  const encoderNote = sameEncoder
    ? ''
    : ` (made with ${recipe.encoder.name}@${recipe.encoder.version}, ${recipe.encoder.deflate}, level ${recipe.encoder.level}; installed: ${encoder.name}@${encoder.version}, ${encoder.deflate}, level ${encoder.level})`;
  return new UserError(
    `${head}: the same images were selected (${at(MANIFEST_FILE)} matches ${recipePath}), so either their PNG bytes differ${encoderNote} or ${dvcFile} was changed after the partition was made${entries ? '' : `; the first differing image cannot be named because the recorded file list (${objectPath(repo.cacheDir, recorded.md5)}) is not in the cache`}; ${tail}`,
  );
}
