import { register } from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/model/backend.js';
import { UserError } from '../../src/util/errors.js';

// This file runs in its own process (node --test), so the hook below fakes, for these tests only, an
// installed @tensorflow/tfjs-node whose native library is missing: importing it throws like dlopen does.
const BROKEN = 'libtensorflow.so.2: cannot open shared object file: No such file or directory';
const javascript = (source: string) => `data:text/javascript,${encodeURIComponent(source)}`;
const brokenModule = javascript(`throw Object.assign(new Error(${JSON.stringify(BROKEN)}), { code: 'ERR_DLOPEN_FAILED' });`);
register(
  javascript(`export async function resolve(specifier, context, next) {
    return specifier === '@tensorflow/tfjs-node' ? { url: ${JSON.stringify(brokenModule)}, shortCircuit: true } : next(specifier, context);
  }`),
);

test('an installed tfjs-node that fails to load is named with its error when asked for explicitly, not reported as missing', async () => {
  await assert.rejects(
    selectBackend('tensorflow', () => {}),
    (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^--backend tensorflow: @tensorflow\/tfjs-node is installed but does not load \(libtensorflow\.so\.2: cannot open/);
      assert.doesNotMatch(error.message, /npm install/);
      assert.equal((error.cause as Error).message, BROKEN);
      return true;
    },
  );
});

test('auto logs one line with the reason, then falls back to wasm', async () => {
  const lines: string[] = [];
  const active = await selectBackend('auto', (line) => lines.push(line));
  assert.equal(active.name, 'wasm');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /@tensorflow\/tfjs-node is installed but does not load \(libtensorflow\.so\.2.*\); falling back to wasm/);
});
