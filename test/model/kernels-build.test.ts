import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The compiler that built the committed kernels.wasm: another version compiles other bytes. */
const BUILT_WITH = 'clang version 14.0.6';
const KERNELS = join('src', 'model', 'kernels');

function clangVersion(): string | undefined {
  const result = spawnSync(process.env['CLANG'] ?? 'clang', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0] : undefined;
}

const version = clangVersion();
const skip = !version
  ? 'clang is not installed, so the committed kernels.wasm cannot be rebuilt here (apt-get install clang lld)'
  : !version.includes(BUILT_WITH)
    ? `${version} is not the ${BUILT_WITH} that built the committed kernels.wasm, and other versions compile other bytes`
    : false;

describe('the SIMD kernels binary', () => {
  test('the committed kernels.wasm is what scripts/build-kernels.sh builds from the C sources beside it', { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kernels-'));
    try {
      const out = join(dir, 'kernels.wasm');
      const build = spawnSync('sh', [join('scripts', 'build-kernels.sh'), out], { encoding: 'utf8' });
      assert.equal(build.status, 0, `build-kernels.sh failed: ${build.stderr}`);
      const [rebuilt, committed] = await Promise.all([readFile(out), readFile(join(KERNELS, 'kernels.wasm'))]);
      assert.ok(
        rebuilt.equals(committed),
        'src/model/kernels/kernels.wasm differs from a rebuild of its sources: run `npm run build:kernels` and commit the result',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
