import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temp folder removed when the test ends. */
export async function tempDir(t: TestContext, prefix = 'dvc-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → content) below `root`. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** Every file below `root` as relative path → content (utf8 or base64 when binary is asked). */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(join(dir, entry.name), childRel);
      else out[childRel] = (await readFile(join(dir, entry.name))).toString('base64');
    }
  };
  await visit(root, '');
  return out;
}

/** Deterministic pseudo-random bytes (like a small PNG's size), so trees have distinct contents. */
export function fakeBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A small image-partition-like tree: `classes` folders of `perClass` files each. */
export function partitionLikeTree(classes: number, perClass: number, seed = 1): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++)
      files[`class${c}/img-${String(i).padStart(5, '0')}.png`] = fakeBytes(seed * 100000 + c * 1000 + i, 200 + ((c * 37 + i * 11) % 300));
  }
  return files;
}
