import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { decodeCifarPng, encodeCifarPng, pngEncoderInfo } from '../../src/cifar/png.js';
import { md5Hex } from '../../src/util/md5.js';
import { IMAGE_BYTES } from '../../src/cifar/records.js';
import { UserError } from '../../src/util/errors.js';

function pattern(): Uint8Array {
  const rgb = new Uint8Array(IMAGE_BYTES);
  for (let i = 0; i < IMAGE_BYTES; i++) rgb[i] = (i * 37 + (i >> 5) * 11) & 0xff;
  return rgb;
}

test('a 32×32 RGB image survives encode then decode unchanged', () => {
  const rgb = pattern();
  assert.deepEqual(decodeCifarPng(encodeCifarPng(rgb)), rgb);
});

test('encoding gives the same bytes as recorded for this encoder version (the cross-platform contract)', () => {
  // Golden MD5 for fast-png 8.0.0 / fflate 0.8.3 at level 3. If a dependency upgrade changes it,
  // every partition's DVC hash changes too: bump it deliberately, never silently.
  const info = pngEncoderInfo();
  assert.deepEqual(info, { name: 'fast-png', version: '8.0.0', deflate: 'fflate@0.8.3', level: 3 });
  assert.equal(md5Hex(encodeCifarPng(pattern())), '2b4b34083dbc1d2ac2afa100e9eaa8e3');
});

test('another decoder (libpng through sharp) reads the same pixels', async () => {
  const { data, info } = await sharp(Buffer.from(encodeCifarPng(pattern())))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [32, 32, 3]);
  assert.deepEqual(new Uint8Array(data), pattern());
});

test('a truncated PNG is a UserError naming the file', () => {
  const png = encodeCifarPng(pattern());
  assert.throws(
    () => decodeCifarPng(png.subarray(0, png.length - 20), 'cat/x.png'),
    (error: unknown) => error instanceof UserError && /cat\/x\.png/.test(error.message),
  );
});

test('bytes that are not a PNG at all are rejected', () => {
  assert.throws(() => decodeCifarPng(new Uint8Array(100), 'junk.png'), UserError);
});

test('a PNG of the wrong size or with alpha is rejected with what was found', () => {
  const small = encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3), depth: 8, channels: 3 });
  assert.throws(() => decodeCifarPng(small, 'small.png'), /16×16/);
  const rgba = encode({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 4), depth: 8, channels: 4 });
  assert.throws(() => decodeCifarPng(rgba, 'rgba.png'), /4 channel/);
});

test('encoding rejects a buffer that is not 3072 bytes', () => {
  assert.throws(() => encodeCifarPng(new Uint8Array(100)), /3072/);
});
