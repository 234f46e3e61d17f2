import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

import type { BackendChoice } from './backend-choices.js';

export { BACKEND_CHOICES, type BackendChoice } from './backend-choices.js';

export interface ActiveBackend {
  /** The tfjs backend name in use: `tensorflow`, `wasm` or `cpu`. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** Where it came from, for logs: e.g. `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-backend-wasm (SIMD, replacement training kernels)`. */
  detail: string;
}

/** libtensorflow bindings, GPU build first (GPU runners install that one). */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function tryTensorflow(): Promise<ActiveBackend | undefined> {
  for (const name of TENSORFLOW_PACKAGES) {
    try {
      await import(name);
    } catch {
      // not installed or libtensorflow missing on this platform: try the next one
      continue;
    }
    if (await tf.setBackend('tensorflow')) return { name: 'tensorflow', detail: name };
  }
  return undefined;
}

async function tryWasm(): Promise<ActiveBackend | undefined> {
  try {
    // In Node the package's main build reads its .wasm binaries from its own dist folder: offline-safe.
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return undefined;
  } catch {
    return undefined;
  }
  registerWasmTrainingKernels('wasm');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
  return { name: 'wasm', detail: `@tensorflow/tfjs-backend-wasm (${simd}, replacement training kernels)` };
}

async function useCpu(): Promise<ActiveBackend> {
  await tf.setBackend('cpu');
  return { name: 'cpu', detail: '@tensorflow/tfjs-backend-cpu (pure JavaScript, slow)' };
}

/**
 * Selects and initialises the tfjs backend. `auto` tries libtensorflow (tfjs-node-gpu, then
 * tfjs-node), then wasm, then cpu. An explicit choice that cannot load is a UserError, never a
 * silent fallback.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<ActiveBackend> {
  let active: ActiveBackend | undefined;
  switch (choice) {
    case 'auto':
      active = (await tryTensorflow()) ?? (await tryWasm()) ?? (await useCpu());
      break;
    case 'tensorflow':
      active = await tryTensorflow();
      if (!active) {
        throw new UserError('--backend tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads here; install one (npm install @tensorflow/tfjs-node) or use --backend auto');
      }
      break;
    case 'wasm':
      active = await tryWasm();
      if (!active) throw new UserError('--backend wasm: @tensorflow/tfjs-backend-wasm did not initialise; reinstall dependencies (npm ci) or use --backend auto');
      break;
    case 'cpu':
      active = await useCpu();
      break;
  }
  await tf.ready();
  return active;
}
