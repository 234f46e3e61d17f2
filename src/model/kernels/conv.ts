import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, roundUp8, SimdKernels } from './module.js';

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** True when our kernels cover the convolution: NHWC and no dilation (what tfjs-layers' Conv2D runs). */
export function simdCovers(attrs: ConvAttrs): boolean {
  const dilations = attrs.dilations ?? 1;
  const undilated = typeof dilations === 'number' ? dilations === 1 : dilations[0] === 1 && dilations[1] === 1;
  return (attrs.dataFormat ?? 'NHWC') === 'NHWC' && undilated;
}

/** 3×3 at stride 1: the shape the Winograd kernels take (every convolution of our networks). */
function winogradFits(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number): boolean {
  return kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1;
}

/**
 * Runs conv_forward (or wino_conv where it fits) on `x` with `filterPointer` ([kh][kw][c][co rounded up to 8]), for the forward
 * convolution and (with a flipped filter over the dilated gradient) the input gradient.
 */
function forward(
  k: SimdKernels,
  x: { pointer: number; shape: number[] },
  filterPointer: number,
  biasPointer: number,
  out: { pointer: number; shape: number[] },
  geometry: { kh: number; kw: number; sh: number; sw: number; top: number; left: number; dh: number; dw: number },
  relu: boolean,
): void {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [, oh, ow, co] = out.shape as [number, number, number, number];
  const { kh, kw, sh, sw, top, left, dh, dw } = geometry;
  if (winogradFits(kh, kw, sh, sw, dh, dw)) {
    k.withScratch(k.exports.wino_conv_scratch(oh, ow, c, co), (scratch) =>
      k.exports.wino_conv(x.pointer, filterPointer, biasPointer, out.pointer, scratch, n, h, w, c, oh, ow, co, top, left, relu ? 1 : 0),
    );
    return;
  }
  const floats = k.exports.conv_forward_scratch((oh - 1) * sh + kh, (ow - 1) * sw + kw, c, sw);
  k.withScratch(floats, (scratch) =>
    k.exports.conv_forward(
      x.pointer,
      filterPointer,
      biasPointer,
      out.pointer,
      scratch,
      n,
      h,
      w,
      c,
      oh,
      ow,
      co,
      kh,
      kw,
      sh,
      sw,
      top,
      left,
      dh,
      dw,
      relu ? 1 : 0,
    ),
  );
}

/** `f` with the filter [kh,kw,c,co] (and bias) laid out with co rounded up to 8, as conv_forward reads them. */
function withPaddedFilter<T>(k: SimdKernels, filter: tf.TensorInfo, bias: tf.TensorInfo | undefined, f: (filter: number, bias: number) => T): T {
  const [kh, kw, c, co] = filter.shape as [number, number, number, number];
  const op = roundUp8(co);
  if (op === co) return f(k.pointer(filter), bias ? k.pointer(bias) : 0);
  return k.withScratch(kh * kw * c * op + op, (scratch) => {
    k.exports.pad_columns(k.pointer(filter), scratch, kh * kw * c, co);
    const biasScratch = scratch + kh * kw * c * op * 4;
    if (bias) k.exports.pad_columns(k.pointer(bias), biasScratch, 1, co);
    return f(scratch, bias ? biasScratch : 0);
  });
}

/** Conv2D and FusedConv2D (bias, linear or ReLU) as one SIMD pass. */
export function conv2dForward(args: KernelArgs, fused: { bias?: tf.TensorInfo; relu: boolean }): tf.TensorInfo {
  const k = SimdKernels.for(args.backend);
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const info = convInfo(x.shape, filter.shape, args.attrs as unknown as ConvAttrs);
  const out = k.output(info.outShape);
  withPaddedFilter(k, filter, fused.bias, (filterPointer, biasPointer) =>
    forward(
      k,
      { pointer: k.pointer(x), shape: x.shape },
      filterPointer,
      biasPointer,
      { pointer: out.pointer, shape: info.outShape },
      {
        kh: info.filterHeight,
        kw: info.filterWidth,
        sh: info.strideHeight,
        sw: info.strideWidth,
        top: info.padInfo.top,
        left: info.padInfo.left,
        dh: 1,
        dw: 1,
      },
      fused.relu,
    ),
  );
  return out.info;
}

/**
 * dX of a convolution: a stride-1 forward convolution of dy, spread apart by the stride and padded
 * by kernel − 1 − pad, with the filter flipped and its channel axes swapped.
 */
export function conv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const k = SimdKernels.for(args.backend);
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const [kh, kw, c, co] = filter.shape as [number, number, number, number];
  const out = k.output(attrs.inputShape);
  k.withScratch(kh * kw * co * roundUp8(c), (flipped) => {
    k.exports.conv_flip_filter(k.pointer(filter), flipped, kh, kw, c, co);
    forward(
      k,
      { pointer: k.pointer(dy), shape: dy.shape },
      flipped,
      0,
      { pointer: out.pointer, shape: attrs.inputShape },
      { kh, kw, sh: 1, sw: 1, top: kh - 1 - info.padInfo.top, left: kw - 1 - info.padInfo.left, dh: info.strideHeight, dw: info.strideWidth },
      false,
    );
  });
  return out.info;
}

/** dW of a convolution: every tap's input pixels against dy, summed over the batch. */
export function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const k = SimdKernels.for(args.backend);
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [, oh, ow, co] = dy.shape as [number, number, number, number];
  const [kh, kw] = attrs.filterShape as [number, number];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const out = k.output(attrs.filterShape);
  if (winogradFits(kh, kw, sh, sw, 1, 1)) {
    k.withScratch(k.exports.wino_filter_grad_scratch(oh, ow, c, co), (scratch) =>
      k.exports.wino_filter_grad(k.pointer(x), k.pointer(dy), out.pointer, scratch, n, h, w, c, oh, ow, co, info.padInfo.top, info.padInfo.left),
    );
    return out.info;
  }
  const floats = k.exports.conv_filter_grad_scratch((oh - 1) * sh + kh, (ow - 1) * sw + kw, c, oh, ow, co, kh, kw, sw);
  k.withScratch(floats, (scratch) =>
    k.exports.conv_filter_grad(k.pointer(x), k.pointer(dy), out.pointer, scratch, n, h, w, c, oh, ow, co, kh, kw, sh, sw, info.padInfo.top, info.padInfo.left),
  );
  return out.info;
}
