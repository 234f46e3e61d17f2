import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { UserError } from '../../util/errors.js';
import { HttpClient, isRetryableStatus, MAX_REDIRECTS, type RetryableError, RetryableStatusError } from '../../util/http.js';
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
  /** Gives up on a connection not made within this time (default 20 s). */
  connectTimeoutMs?: number;
  /** Gives up when the server sends nothing (headers or body) for this long (default 60 s). */
  stallTimeoutMs?: number;
  /** Attempts after the first when the server cannot be reached or answers 5xx (default 3). */
  retries?: number;
  quiet?: boolean;
}

/** Why a request failed, in a few words: the system's error code, or the client's account of it. */
function reasonOf(error: RetryableError): string {
  return (error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message;
}

/**
 * Streams the official tarball: counts and hashes the bytes while gunzip and tar extraction run on
 * the same stream, keeps only the expected members in a staging folder, and installs them into the
 * cache only when size, tarball MD5 and all six batch MD5s check out. The request goes through the
 * project's HTTP client (src/util/http.ts) and its retry policy; a body that breaks off is not
 * retried here, a re-run downloads again.
 */
export async function downloadOfficial(options: OfficialOptions): Promise<VerifiedBatches> {
  const url = options.url ?? OFFICIAL_URL;
  const expected = options.expected ?? OFFICIAL_TARBALL;
  const isOfficial = expected.md5 === OFFICIAL_TARBALL.md5;
  const fix = `try again later, or use --source npm`;
  const stallMs = options.stallTimeoutMs ?? 60_000;
  const answered = (res: IncomingMessage) => new UserError(`${url} answered HTTP ${[res.statusCode, res.statusMessage].filter(Boolean).join(' ')}; ${fix}`);
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new UserError(`${url} is not a URL; give an http(s) URL (${OFFICIAL_URL_ENV})`, { cause: error });
  }
  const http = new HttpClient({
    base: target,
    retries: options.retries ?? 3,
    backoffMs: 500,
    connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    readTimeoutMs: stallMs,
    maxSockets: 1,
  });
  try {
    const response = await http.withRetries(
      async () => {
        const res = await http.follow('GET', target, () => new UserError(`${url}: more than ${MAX_REDIRECTS} redirects; ${fix}`));
        if (isRetryableStatus(res.statusCode ?? 0)) {
          res.resume();
          throw new RetryableStatusError(res);
        }
        return res;
      },
      (last) =>
        last instanceof RetryableStatusError ? answered(last.response) : new UserError(`cannot reach ${url} (${reasonOf(last)}); ${fix}`, { cause: last }),
    );
    if ((response.statusCode ?? 0) < 200 || (response.statusCode ?? 0) >= 300) {
      response.resume();
      throw answered(response);
    }
    const length = Number(response.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && length !== expected.size) {
      response.destroy();
      throw new UserError(`${url} offers ${length} bytes, but the CIFAR-10 binary tarball has ${expected.size}; it is not the expected file. ${fix}`);
    }
    return await extractDownload(response, url, expected, { ...options, stallMs, fix, isOfficial });
  } finally {
    http.close();
  }
}

/** Extracts the tarball from the response into a staging folder and installs it when every check passes. */
async function extractDownload(
  response: IncomingMessage,
  url: string,
  expected: { size: number; md5: string },
  options: OfficialOptions & { stallMs: number; fix: string; isOfficial: boolean },
): Promise<VerifiedBatches> {
  const { stallMs, fix } = options;
  // The client's idle timer ends a response that sends nothing for stallMs: that is a stall, not damage.
  let stalled = false;
  response.on('error', (error: RetryableError) => {
    if (error.timeout === 'read') stalled = true;
  });
  const progress = startProgress('download', Math.ceil(expected.size / 1e6), { unit: 'MB', quiet: options.quiet });
  const tally = new Md5Tap((received) => {
    if (received > expected.size)
      return new UserError(`${url} sent more than the expected ${expected.size} bytes; it is not the CIFAR-10 binary tarball. ${fix}`);
    progress.update(Math.floor(received / 1e6));
    return undefined;
  });
  const staging = await makeStagingDir(options.cacheDir);
  try {
    const members = await extractMembers(response, {
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
    if (stalled) {
      throw new UserError(`${url}: the download stalled (nothing received for ${stallMs / 1000} s after ${tally.size} bytes); ${fix}`, { cause: error });
    }
    throw error;
  } finally {
    progress.stop();
  }
  return verifyAndInstall(staging, { cacheDir: options.cacheDir, allowSynthetic: !options.isOfficial, fix });
}
