import { encodeCifarPng } from '../cifar/png.js';
import { IMAGE_BYTES, RECORD_BYTES, planarToInterleaved } from '../cifar/records.js';

/**
 * Encodes whole CIFAR records (label byte + planar RGB) as the PNGs `cifar10 download` exports, in
 * order: the same conversion and encoder, so the bytes are the same. Runs on the main thread or in
 * `rebuild-worker.ts`.
 */
export function encodeRecords(records: Uint8Array): Uint8Array[] {
  const rgb = new Uint8Array(IMAGE_BYTES);
  const pngs: Uint8Array[] = [];
  for (let offset = 0; offset < records.length; offset += RECORD_BYTES) {
    planarToInterleaved(records.subarray(offset + 1, offset + RECORD_BYTES), rgb);
    pngs.push(encodeCifarPng(rgb));
  }
  return pngs;
}
