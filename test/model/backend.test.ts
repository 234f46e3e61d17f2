import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend.js';
import { UserError } from '../../src/util/errors.js';

async function loads(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

describe('backend selection', () => {
  test('wasm is selected on request, reported by name, with the replacement Conv2DBackpropFilter registered', async () => {
    const active = await selectBackend('wasm');
    assert.equal(active.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(active.detail, /tfjs-backend-wasm .*replacement training kernels/);
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'stock wasm has no Conv2DBackpropFilter');
  });

  test('cpu is selected on request', async () => {
    assert.equal((await selectBackend('cpu')).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  test('tensorflow is used when tfjs-node loads, and is otherwise a clear error, never a silent fallback', async () => {
    const available = (await loads('@tensorflow/tfjs-node-gpu')) || (await loads('@tensorflow/tfjs-node'));
    if (available) {
      assert.equal((await selectBackend('tensorflow')).name, 'tensorflow');
    } else {
      await assert.rejects(
        selectBackend('tensorflow'),
        (error: unknown) => error instanceof UserError && /npm install @tensorflow\/tfjs-node/.test(error.message),
      );
    }
  });

  test('auto picks tensorflow when it loads, else wasm', async () => {
    const available = (await loads('@tensorflow/tfjs-node-gpu')) || (await loads('@tensorflow/tfjs-node'));
    assert.equal((await selectBackend('auto')).name, available ? 'tensorflow' : 'wasm');
  });
});
