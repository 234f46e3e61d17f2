import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { UserError } from '../util/errors.js';

export interface ExtractedMember {
  /** File name inside the target folder. */
  name: string;
  size: number;
  md5: string;
}

export interface ExtractOptions {
  /** Folder that receives the wanted members, flat (their folder inside the tarball is dropped). */
  destDir: string;
  /** Member paths inside the tarball to extract, e.g. `cifar-10-batches-bin/data_batch_1.bin`. */
  wanted: readonly string[];
  /** Names the tarball in errors, e.g. its path or URL. */
  source: string;
  /** What the user should do when the tarball is bad. */
  fix: string;
  gzip: boolean;
  /** Sees the raw (still compressed) bytes first, e.g. to verify a download while it streams. */
  tap?: Md5Tap;
}

/**
 * A pass-through that MD5-hashes and counts the bytes flowing through it, so a download or a tar
 * member is verified while it streams. `check` sees the running size and may return an error to stop.
 */
export class Md5Tap extends Transform {
  private readonly hash = createHash('md5');
  size = 0;

  constructor(private readonly check: (size: number) => Error | undefined = () => undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    const error = this.check(this.size);
    if (error) return callback(error);
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Member path without a leading `./`; null when it is absolute or climbs out with `..`. */
function safeMemberPath(name: string): string | null {
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\\')) return null;
  const normal = posix.normalize(name);
  if (normal === '..' || normal.startsWith('../')) return null;
  return normal.replace(/^\.\//, '').replace(/\/$/, '');
}

/**
 * Reads a tar (gzipped when `gzip`) from `input` and writes only the
 * `wanted` members into `destDir`, hashing each while it streams. An entry that would escape the
 * target, a wanted member that is not a regular file, or a truncated/corrupt stream is a UserError
 * naming the tarball; a missing wanted member is reported by the caller from the returned list.
 */
export async function extractMembers(input: Readable, options: ExtractOptions): Promise<ExtractedMember[]> {
  await mkdir(options.destDir, { recursive: true });
  const wanted = new Set(options.wanted);
  const extracted: ExtractedMember[] = [];
  const extract = tarExtract();
  const bad = (what: string) => new UserError(`${options.source}: ${what}; ${options.fix}`);

  extract.on('entry', (header, stream, next) => {
    const path = safeMemberPath(header.name);
    // The refused entry's stream is torn down with the extractor; its own error repeats ours.
    const refuse = (what: string) => {
      stream.on('error', () => undefined);
      next(bad(what));
    };
    if (path === null) {
      refuse(`tar entry "${header.name}" would be written outside the target folder (path traversal); refusing to extract`);
      return;
    }
    if (!wanted.has(path)) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    if (header.type !== 'file') {
      refuse(`tar entry "${header.name}" is a ${header.type}, not a regular file`);
      return;
    }
    wanted.delete(path);
    const name = posix.basename(path);
    const tap = new Md5Tap();
    pipeline(stream, tap, createWriteStream(join(options.destDir, name))).then(
      () => {
        extracted.push({ name, size: tap.size, md5: tap.digest() });
        next();
      },
      (error: unknown) => next(error as Error),
    );
  });

  try {
    const raw = options.tap ? [input, options.tap] : [input];
    await (options.gzip ? pipeline([...raw, createGunzip(), extract]) : pipeline([...raw, extract]));
  } catch (error) {
    if (error instanceof UserError) throw error;
    const message = (error as Error).message;
    throw bad(`cannot read the tarball (${message}): it is truncated or corrupt`);
  }
  return extracted;
}

/** Whether the file starts with the gzip magic bytes. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
