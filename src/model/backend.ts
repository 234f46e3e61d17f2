import * as tf from '@tensorflow/tfjs';
import { messageOf, UserError } from '../util/errors.js';
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
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** Why a backend is not in use, for the fallback log line or the UserError of an explicit choice. */
interface Unavailable {
  reason: string;
  /** False when the package is simply not installed: the one case auto mode passes over silently. */
  installed: boolean;
  cause?: unknown;
}

function isUnavailable(result: ActiveBackend | Unavailable): result is Unavailable {
  return 'reason' in result;
}

/**
 * Imports an optional package. Only its own absence counts as "not installed": an installed package
 * that throws (libtensorflow missing, a native ABI mismatch, a missing dependency of its own) is a
 * broken install the user must hear about, not a reason to pretend it is not there.
 */
async function importPackage(name: string): Promise<Unavailable | undefined> {
  try {
    await import(name);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && messageOf(error).includes(`'${name}'`)) {
      return { reason: `${name} is not installed`, installed: false };
    }
    return { reason: `${name} is installed but does not load (${messageOf(error)})`, installed: true, cause: error };
  }
}

async function tryTensorflow(): Promise<ActiveBackend | Unavailable> {
  let broken: Unavailable | undefined;
  for (const name of TENSORFLOW_PACKAGES) {
    const failed = await importPackage(name);
    if (failed) {
      if (failed.installed) broken ??= failed;
      continue;
    }
    if (await tf.setBackend('tensorflow')) return { name: 'tensorflow', detail: name };
    broken ??= { reason: `${name} loads but its tensorflow backend did not initialise`, installed: true };
  }
  return broken ?? { reason: `neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed`, installed: false };
}

async function tryWasm(): Promise<ActiveBackend | Unavailable> {
  // In Node the package's main build reads its .wasm binaries from its own dist folder: offline-safe.
  const failed = await importPackage(WASM_PACKAGE);
  if (failed) return failed;
  try {
    if (!(await tf.setBackend('wasm'))) return { reason: `${WASM_PACKAGE} did not initialise`, installed: true };
  } catch (error) {
    return { reason: `${WASM_PACKAGE} did not initialise (${messageOf(error)})`, installed: true, cause: error };
  }
  registerWasmTrainingKernels('wasm');
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
  return { name: 'wasm', detail: `${WASM_PACKAGE} (${simd}, replacement training kernels)` };
}

async function useCpu(): Promise<ActiveBackend> {
  await tf.setBackend('cpu');
  return { name: 'cpu', detail: '@tensorflow/tfjs-backend-cpu (pure JavaScript, slow)' };
}

/**
 * Selects and initialises the tfjs backend. `auto` tries libtensorflow (tfjs-node-gpu, then
 * tfjs-node), then wasm, then cpu, and logs why before it falls back from a backend that is
 * installed but fails. An explicit choice that cannot load is a UserError, never a silent fallback.
 */
export async function selectBackend(
  choice: BackendChoice = 'auto',
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<ActiveBackend> {
  let active: ActiveBackend;
  switch (choice) {
    case 'auto': {
      const tensorflow = await tryTensorflow();
      if (!isUnavailable(tensorflow)) {
        active = tensorflow;
        break;
      }
      if (tensorflow.installed) log(`backend: ${tensorflow.reason}; falling back to wasm`);
      const wasm = await tryWasm();
      if (!isUnavailable(wasm)) {
        active = wasm;
        break;
      }
      log(`backend: ${wasm.reason}; falling back to cpu (slow)`);
      active = await useCpu();
      break;
    }
    case 'tensorflow': {
      const tensorflow = await tryTensorflow();
      if (isUnavailable(tensorflow)) {
        const fix = tensorflow.installed ? 'reinstall it for this platform and Node version (npm rebuild)' : 'install one (npm install @tensorflow/tfjs-node)';
        throw new UserError(`--backend tensorflow: ${tensorflow.reason}; ${fix} or use --backend auto`, { cause: tensorflow.cause });
      }
      active = tensorflow;
      break;
    }
    case 'wasm': {
      const wasm = await tryWasm();
      if (isUnavailable(wasm))
        throw new UserError(`--backend wasm: ${wasm.reason}; reinstall dependencies (npm ci) or use --backend auto`, { cause: wasm.cause });
      active = wasm;
      break;
    }
    case 'cpu':
      active = await useCpu();
      break;
  }
  await tf.ready();
  return active;
}
