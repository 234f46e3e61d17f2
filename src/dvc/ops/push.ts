import { writeFileAtomicSync } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { contentMd5, MissingObjectError, objectKey, objectPath, READ_ONLY, readDirManifest, verifyObject } from '../object-store.js';
import { listObjectsSync, ObjectFolderBuilder } from '../object-folders.js';
import { eachInBatches, readSmallIfExistsSync } from '../small-files.js';
import { type HashInfo, isDirHash, md5Bytes } from '../hash.js';
import { hasLocalFiles, type TransferOptions } from './fetch.js';
import { DEFAULT_JOBS } from '../jobs.js';
import { mapLimit } from '../../util/map-limit.js';
import { type Repo } from '../repo.js';
import { locked } from './locked.js';
import { collectOutputs, NO_PROGRESS, type TrackedOutput, withHash } from './outputs.js';
import { lazyRemote } from './remote-store.js';

export interface PushResult {
  /** Objects uploaded now. */
  uploaded: number;
  /** Objects the remote already had. */
  present: number;
}

/**
 * `dvc push`: uploads every object of the chosen outputs that the remote lacks. Each cache object
 * is MD5-checked before it is sent. A directory's `.dir` object goes up only after all of its
 * files are on the remote, so an interrupted push never leaves a manifest naming missing files;
 * the next push uploads what is still missing. Nothing on the remote is ever deleted.
 */
export async function push(repo: Repo, options: TransferOptions = {}): Promise<PushResult> {
  return locked(repo, async () => pushLocked(repo, withHash(await collectOutputs(repo, options.targets, options.cwd)), options));
}

/** `push` of outputs the caller chose, e.g. a stage's outputs from dvc.lock (`pipelineOutputs`) beside the `.dvc` files' ones. */
export async function pushOutputs(repo: Repo, outputs: readonly PushedOutput[], options: Omit<TransferOptions, 'targets'> = {}): Promise<PushResult> {
  return locked(repo, () => pushLocked(repo, outputs, options));
}

/** What push needs of an output: its name for messages and its recorded hash. */
export type PushedOutput = Pick<TrackedOutput, 'label'> & { hash: HashInfo };

async function pushLocked(repo: Repo, outputs: readonly PushedOutput[], options: Omit<TransferOptions, 'targets'>): Promise<PushResult> {
  const result: PushResult = { uploaded: 0, present: 0 };
  if (outputs.length === 0) return result;
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const files = new Set<string>();
  const dirs = new Map<string, string[]>();
  for (const output of outputs) {
    if (!isDirHash(output.hash.md5)) {
      files.add(output.hash.md5);
      continue;
    }
    let entries;
    try {
      entries = await readDirManifest(repo.cacheDir, output.hash.md5, output.label);
    } catch (error) {
      if (error instanceof MissingObjectError) {
        throw new UserError(
          hinted`${output.label} is not in the cache (its manifest ${output.hash.md5} is missing), so it cannot be pushed; run ${command('add', output.label)} or ${command('fetch')} first`,
        );
      }
      throw error;
    }
    const md5s = [...new Set(entries.map((e) => e.md5))];
    md5s.forEach((m) => files.add(m));
    dirs.set(output.hash.md5, md5s);
  }
  const store = await lazyRemote(repo, options)();
  const keys = [...files, ...dirs.keys()].map(objectKey);
  const onRemote = await store.has(keys);
  // Sorted, so objects are read and written one `files/md5/xx` folder at a time.
  const toSend = [...files].filter((md5) => !onRemote.has(objectKey(md5))).sort();
  result.present = onRemote.size;
  const failed = new Map<string, Error>();
  const dirsToSend = [...dirs.keys()].filter((md5) => !onRemote.has(objectKey(md5)));
  const progress = (options.progress ?? NO_PROGRESS)(`push to ${store.url}`, toSend.length + dirsToSend.length);
  const local = hasLocalFiles(store) ? store : undefined;
  const fail = (md5: string, error: unknown) => failed.set(md5, error instanceof Error ? error : new Error(String(error)));
  const corruptCache = (md5: string, state: string) =>
    new UserError(hinted`cache object ${objectPath(repo.cacheDir, md5)} is ${state}; run ${command('fetch')} or re-add the data, then push again`);
  /** Sends one object through `upload`; any failure is recorded, not thrown, so the others go on. */
  const sendOne = async (md5: string): Promise<void> => {
    try {
      const state = await verifyObject(repo.cacheDir, md5);
      if (state !== 'ok') throw corruptCache(md5, state);
      await store.upload(objectPath(repo.cacheDir, md5), objectKey(md5));
      result.uploaded++;
    } catch (error) {
      fail(md5, error);
    }
    progress.increment();
  };
  /** The small-file fast path to a local remote: false when the object must go through `sendOne`. */
  const copyLocal = (md5: string): boolean => {
    try {
      const data = readSmallIfExistsSync(objectPath(repo.cacheDir, md5));
      if (data === undefined) return false;
      if (data === null) throw corruptCache(md5, 'missing');
      if (md5Bytes(data) !== contentMd5(md5)) throw corruptCache(md5, 'corrupt');
      try {
        if (!builder?.put(md5, data)) writeFileAtomicSync(local!.localPath(objectKey(md5)), data, READ_ONLY);
      } catch (error) {
        throw local!.accessError(error);
      }
      result.uploaded++;
    } catch (error) {
      fail(md5, error);
    }
    progress.increment();
    return true;
  };
  // Objects for folders a local remote lacks are written into new folders renamed into place whole
  // (ObjectFolderBuilder): finished before any `.dir` goes up.
  const builder = local ? new ObjectFolderBuilder(local.root, listObjectsSync(local.root, toSend).folders) : undefined;
  const send = async (md5s: readonly string[]): Promise<void> => {
    const slow: string[] = [];
    if (local) await eachInBatches(md5s, (md5) => void (copyLocal(md5) || slow.push(md5)));
    try {
      builder?.finish();
    } catch (error) {
      throw local!.accessError(error);
    }
    await mapLimit(local ? slow : md5s, jobs, sendOne);
  };
  try {
    await send(toSend);
    await send(dirsToSend.filter((dirMd5) => !dirs.get(dirMd5)!.some((m) => failed.has(m))));
  } finally {
    builder?.discard();
    progress.stop();
  }
  if (failed.size > 0) {
    const [first] = failed.values();
    throw new UserError(
      hinted`push to ${store.url}: ${failed.size} object(s) failed (first: ${first!}); ${result.uploaded} uploaded. Directories with a failed file were not marked complete; run ${command('push')} again to finish`,
    );
  }
  return result;
}
