import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * Compares text with a golden file in test/report/golden/. Set UPDATE_GOLDEN=1 to rewrite the
 * files after an intended change, then review the diff like any other change.
 */
export async function assertGolden(name: string, actual: string): Promise<void> {
  // Tests run from dist/test/report/; the golden files stay in the source tree.
  const path = fileURLToPath(new URL(`../../../test/report/golden/${name}`, import.meta.url));
  if (process.env.UPDATE_GOLDEN === '1') {
    await writeFile(path, actual);
    return;
  }
  const expected = await readFile(path, 'utf8').catch(() => {
    throw new Error(`golden file ${path} is missing; run the test with UPDATE_GOLDEN=1 to create it`);
  });
  assert.equal(actual, expected, `output differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`);
}
