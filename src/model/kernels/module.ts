import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';

/**
 * The WebAssembly SIMD kernels (kernels.wasm, built from the C sources beside it by
 * scripts/build-kernels.sh), instantiated inside tfjs-wasm's own memory: the module imports the
 * backend's WebAssembly.Memory, so a kernel reads its inputs and writes its output where tfjs keeps
 * them, with no copy in either direction. Pointers are byte offsets into that heap; scratch space
 * comes from the backend's allocator (the module owns no memory of its own: no stack, no data).
 */
/** What tfjs passes a kernel function: inputs, attributes and the backend. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** `n` rounded up to a multiple of 8: the column padding conv_forward and gemm read their weights with (round_up in kernels.h). */
export const roundUp8 = (n: number) => Math.ceil(n / 8) * 8;

/** A kernel's arguments are heap offsets and sizes, in the order of its C signature. */
type Kernel = (...offsetsAndSizes: number[]) => void;

/** The exports of kernels.wasm (their C sources document each argument). */
export interface SimdExports {
  conv_forward_scratch(hp: number, wp: number, c: number, sw: number): number;
  conv_forward: Kernel;
  conv_flip_filter(w: number, w2: number, kh: number, kw: number, c: number, co: number): void;
  pad_columns(w: number, wp: number, k: number, co: number): void;
  conv_filter_grad_scratch(hp: number, wp: number, c: number, oh: number, ow: number, co: number, kh: number, kw: number, sw: number): number;
  conv_filter_grad: Kernel;
  wino_conv_scratch(oh: number, ow: number, c: number, co: number): number;
  wino_conv: Kernel;
  wino_filter_grad_scratch(oh: number, ow: number, c: number, co: number): number;
  wino_filter_grad: Kernel;
  max_pool_grad: Kernel;
  sum_rows(x: number, out: number, rows: number, cols: number, divisor: number): void;
  bn_stats(x: number, mean: number, variance: number, rows: number, cols: number): void;
  bn_apply: Kernel;
  bn_grad: Kernel;
  relu_bias_grad(dy: number, y: number, g: number, bias: number, rows: number, cols: number): void;
  gemm_scratch(m: number, k: number, n: number): number;
  gemm: Kernel;
  adam: Kernel;
  relu_grad(dy: number, x: number, dx: number, size: number): void;
}

/** The part of the WebAssembly JS API used here (this project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const WebAssemblyJs = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** What the kernels use of tfjs-backend-wasm's BackendWasm (4.x), which its typings do not export. */
export interface WasmBackend {
  wasm: { asm?: { memory?: object }; _malloc(bytes: number): number; _free(pointer: number): void };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}

/** The built module: the source tree's copy, found from src/ (tsx) and from dist/src/ (tsc output). */
function wasmFile(): string {
  const candidates = ['./kernels.wasm', '../../../../src/model/kernels/kernels.wasm'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    throw new Error(
      `the SIMD kernels are missing (looked for ${candidates.join(', ')}); run \`npm run build:kernels\` or restore src/model/kernels/kernels.wasm from git`,
    );
  return found;
}

let compiled: object | undefined;
const instances = new WeakMap<object, SimdKernels>();

/** The kernels bound to one wasm backend instance (its heap), instantiated on first use. */
export class SimdKernels {
  readonly exports: SimdExports;

  private constructor(readonly backend: WasmBackend) {
    const memory = backend.wasm.asm?.memory;
    if (!(memory instanceof WebAssemblyJs.Memory)) {
      throw new Error('tfjs-backend-wasm does not expose its WebAssembly memory (Module.asm.memory) in this version; the SIMD training kernels need it');
    }
    // Node compiles and instantiates small modules synchronously, so kernel registration stays synchronous.
    compiled ??= new WebAssemblyJs.Module(readFileSync(wasmFile()));
    this.exports = new WebAssemblyJs.Instance(compiled, { env: { memory } }).exports as unknown as SimdExports;
  }

  static for(backend: unknown): SimdKernels {
    const wasm = backend as WasmBackend;
    let kernels = instances.get(wasm);
    if (!kernels) {
      kernels = new SimdKernels(wasm);
      instances.set(wasm, kernels);
    }
    return kernels;
  }

  /** Heap offset of a tensor's data. */
  pointer(info: tf.TensorInfo): number {
    const data = this.backend.dataIdMap.get(info.dataId);
    if (!data) throw new Error('a kernel input is not on the wasm backend');
    return data.memoryOffset;
  }

  output(shape: number[]): { info: tf.TensorInfo; pointer: number } {
    const info = this.backend.makeOutput(shape, 'float32');
    return { info, pointer: this.pointer(info) };
  }

  /** Runs `f` with `floats` floats of scratch heap (16-byte aligned), freed afterwards. */
  withScratch<T>(floats: number, f: (pointer: number) => T): T {
    const raw = this.backend.wasm._malloc(floats * 4 + 16);
    try {
      return f((raw + 15) & ~15);
    } finally {
      this.backend.wasm._free(raw);
    }
  }
}
