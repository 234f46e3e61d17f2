import { writeFileAtomicSync } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { contentMd5, CorruptObjectError, MissingObjectError, objectKey, objectPath, READ_ONLY, readDirManifest, verifyObject } from '../object-store.js';
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

/** What `pushOutputs` did: `push`'s counts, and the outputs it could not push because the cache lacks them. */
export interface PushOutputsResult extends PushResult {
  /**
   * Outputs with an object missing from the cache that the remote lacks too (a manifest, or a file of
   * it): their other objects went up, but a folder is not marked complete on the remote.
   */
  notInCache: string[];
}

/**
 * `dvc push`: uploads every object of the chosen outputs that the remote lacks. Each cache object
 * is MD5-checked before it is sent. A directory's `.dir` object goes up only after all of its
 * files are on the remote, so an interrupted push never leaves a manifest naming missing files;
 * the next push uploads what is still missing. Nothing on the remote is ever deleted. An output
 * the cache lacks is fine when the remote has it (a clone that never ran a stage); one that
 * neither has fails the push, after the rest went up (DVC warns and exits 0: data lost is an error).
 */
export async function push(repo: Repo, options: TransferOptions = {}): Promise<PushResult> {
  const { uploaded, present, notInCache } = await locked(repo, async () =>
    pushLocked(repo, withHash(await collectOutputs(repo, options.targets, options.cwd, options)), options),
  );
  if (notInCache.length > 0) {
    throw new UserError(
      hinted`cannot push ${notInCache.join(', ')}: not in the cache, and not on the remote either (${uploaded} other object(s) uploaded, ${present} already there); get them back with ${command('fetch', '-r', '<a remote that has them>')}, ${command('add')} or ${command('repro')}, then push again`,
    );
  }
  return { uploaded, present };
}

/**
 * `push` of outputs the caller chose, where an output neither the cache nor the remote has (a
 * workspace kept current while the cache was cleared) does not fail the push: it is named in
 * `notInCache` and the rest goes up.
 */
export async function pushOutputs(repo: Repo, outputs: readonly PushedOutput[], options: Omit<TransferOptions, 'targets'> = {}): Promise<PushOutputsResult> {
  return locked(repo, () => pushLocked(repo, outputs, options));
}

/** What push needs of an output: its name for messages and its recorded hash. */
export type PushedOutput = Pick<TrackedOutput, 'label'> & { hash: HashInfo };

/** Pushes `outputs`; an object absent from both the cache and the remote names its output in `notInCache`. */
async function pushLocked(repo: Repo, outputs: readonly PushedOutput[], options: Omit<TransferOptions, 'targets'>): Promise<PushOutputsResult> {
  const result: PushOutputsResult = { uploaded: 0, present: 0, notInCache: [] };
  if (outputs.length === 0) return result;
  /** Objects (manifests included) the cache lacks. */
  const absent = new Set<string>();
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
      // A corrupt manifest was removed from the cache by the read: it is missing now.
      if (!(error instanceof MissingObjectError || error instanceof CorruptObjectError)) throw error;
      absent.add(output.hash.md5);
      continue;
    }
    const md5s = [...new Set(entries.map((e) => e.md5))];
    md5s.forEach((m) => files.add(m));
    dirs.set(output.hash.md5, md5s);
  }
  const store = await lazyRemote(repo, options)();
  // A manifest missing here but on the remote needs nothing: a `.dir` goes up only after its files.
  const keys = [...files, ...dirs.keys(), ...absent].map(objectKey);
  const onRemote = await store.has(keys);
  for (const md5 of absent) if (onRemote.has(objectKey(md5))) absent.delete(md5);
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
      if (state === 'missing') absent.add(md5);
      else {
        if (state !== 'ok') throw corruptCache(md5, state);
        await store.upload(objectPath(repo.cacheDir, md5), objectKey(md5));
        result.uploaded++;
      }
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
      if (data === null) absent.add(md5);
      else {
        if (md5Bytes(data) !== contentMd5(md5)) throw corruptCache(md5, 'corrupt');
        try {
          if (!builder?.put(md5, data)) writeFileAtomicSync(local!.localPath(objectKey(md5)), data, READ_ONLY);
        } catch (error) {
          throw local!.accessError(error);
        }
        result.uploaded++;
      }
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
    await send(dirsToSend.filter((dirMd5) => !dirs.get(dirMd5)!.some((m) => failed.has(m) || absent.has(m))));
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
  const lacking = (output: PushedOutput) => absent.has(output.hash.md5) || (dirs.get(output.hash.md5)?.some((m) => absent.has(m)) ?? false);
  result.notInCache = outputs.filter(lacking).map((o) => o.label);
  return result;
}
