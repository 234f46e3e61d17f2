import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock, test } from 'node:test';
import { readParamsFile } from '../src/params.js';

/** The lines readParamsFile writes to stderr while reading `yaml`. */
async function warningsFor(yaml: string): Promise<{ file: string; lines: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'params-'));
  const file = join(dir, 'params.yaml');
  const lines: string[] = [];
  const write = mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await writeFile(file, yaml);
    await readParamsFile(file);
  } finally {
    write.mock.restore();
    await rm(dir, { recursive: true, force: true });
  }
  return { file, lines };
}

test('a top-level group one or two edits from a stage group is named in one warning with the group it resembles', async () => {
  const { file, lines } = await warningsFor('data:\n  versions: v1\ntrian:\n  epochs: 3\n');
  assert.deepEqual(lines, [`warning: ${file}: unknown group "trian" is ignored; did you mean "train"?\n`]);
});

test("the user's own groups, far from every stage group, are read silently", async () => {
  const { lines } = await warningsFor('data:\n  versions: v1\nplots:\n  width: 3\ncustom_notes:\n  owner: me\n');
  assert.deepEqual(lines, []);
});
