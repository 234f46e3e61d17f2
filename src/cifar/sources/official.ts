import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { UserError } from '../../util/errors.js';
import { startProgress } from '../../util/progress.js';
import type { VerifiedBatches } from '../batches.js';
import { BATCHES_DIR_NAME } from '../batches.js';
import { makeStagingDir } from '../cache.js';
import { BATCH_FILES } from '../records.js';
import { Md5Tap, extractMembers } from '../tarball.js';
import { WANTED_MEMBERS, verifyAndInstall } from './install.js';

export const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const OFFICIAL_TARBALL = { size: 170_052_171, md5: 'c32a1d4ab5d03f1284b67883e8d87530' } as const;

/** Overrides the official URL (a mirror, or a local server in tests). */
export const OFFICIAL_URL_ENV = 'CIFAR10_OFFICIAL_URL';

export interface OfficialOptions {
  cacheDir: string;
  url?: string;
  /**
   * The tarball's expected size and MD5 (default: the official ones). Only with other values than
   * the official ones may the batches inside match a synthetic manifest instead of the official MD5s.
   */
  expected?: { size: number; md5: string };
  /** Gives up when no response arrives within this time (default 20 s). */
  connectTimeoutMs?: number;
  /** Gives up when the body sends nothing for this long (default 60 s). */
  stallTimeoutMs?: number;
  quiet?: boolean;
}

/**
 * Streams the official tarball: counts and hashes the bytes while gunzip and tar extraction run on
 * the same stream, keeps only the expected members in a staging folder, and installs them into the
 * cache only when size, tarball MD5 and all six batch MD5s check out.
 */
export async function downloadOfficial(options: OfficialOptions): Promise<VerifiedBatches> {
  const url = options.url ?? OFFICIAL_URL;
  const expected = options.expected ?? OFFICIAL_TARBALL;
  const isOfficial = expected.md5 === OFFICIAL_TARBALL.md5;
  const fix = `try again later, or use --source npm`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.connectTimeoutMs ?? 20_000);
  let response: Response;
  try {
    // identity: a server that adds Content-Encoding: gzip would otherwise have fetch unpack the
    // tarball's own gzip layer, and the size and MD5 checks would fail on the right file.
    response = await fetch(url, { signal: controller.signal, headers: { 'accept-encoding': 'identity' } });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = controller.signal.aborted ? 'no response in time' : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new UserError(`cannot reach ${url} (${reason}); ${fix}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || !response.body) {
    throw new UserError(`${url} answered HTTP ${response.status} ${response.statusText}; ${fix}`);
  }
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length !== expected.size) {
    await response.body.cancel();
    throw new UserError(`${url} offers ${length} bytes, but the CIFAR-10 binary tarball has ${expected.size}; it is not the expected file. ${fix}`);
  }

  const progress = startProgress('download', Math.ceil(expected.size / 1e6), { unit: 'MB', quiet: options.quiet });
  const stallMs = options.stallTimeoutMs ?? 60_000;
  let stall = setTimeout(() => controller.abort(), stallMs);
  const tally = new Md5Tap((received) => {
    clearTimeout(stall);
    stall = setTimeout(() => controller.abort(), stallMs);
    if (received > expected.size) return new UserError(`${url} sent more than the expected ${expected.size} bytes; it is not the CIFAR-10 binary tarball. ${fix}`);
    progress.update(Math.floor(received / 1e6));
    return undefined;
  });
  const staging = await makeStagingDir(options.cacheDir);
  try {
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const members = await extractMembers(body, {
      tap: tally,
      destDir: staging,
      wanted: WANTED_MEMBERS,
      source: url,
      fix: `the download was cut short or damaged; ${fix}`,
      gzip: true,
    });
    if (tally.size !== expected.size) {
      throw new UserError(`${url}: received ${tally.size} of ${expected.size} bytes (connection cut?); re-run to download again, or use --source npm`);
    }
    const md5 = tally.digest();
    if (md5 !== expected.md5) {
      throw new UserError(`${url}: tarball MD5 ${md5} differs from the expected ${expected.md5}; the download is damaged or not CIFAR-10. ${fix}`);
    }
    const missing = BATCH_FILES.filter((b) => !members.some((m) => m.name === b.name));
    if (missing.length > 0) throw new UserError(`${url} lacks ${missing.map((b) => `${BATCHES_DIR_NAME}/${b.name}`).join(', ')}; ${fix}`);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (controller.signal.aborted) {
      throw new UserError(`${url}: the download stalled (nothing received for ${stallMs / 1000} s after ${tally.size} bytes); ${fix}`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(stall);
    progress.stop();
  }
  return verifyAndInstall(staging, { cacheDir: options.cacheDir, allowSynthetic: !isOfficial, fix });
}
