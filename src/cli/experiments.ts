import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { listBundles } from '../experiments/bundle.js';
import { dvcExperimentRuns } from '../experiments/dvc-runs.js';
import { hardImagesReport } from '../experiments/hard-images.js';
import { DEFAULT_SEEDS, DEFAULT_VERSIONS, MAX_MATRIX_CELLS, parseSeedList, parseVersionList, runMatrix } from '../experiments/matrix.js';
import { pushResults } from '../experiments/push.js';
import { runExperiment } from '../experiments/run.js';
import { selectRuns } from '../experiments/select.js';
import { compareRunSets, comparisonMarkdown } from '../experiments/comparison.js';
import { summarizeRuns, summaryMarkdown } from '../experiments/summary.js';
import { PROJECT_PATHS } from '../paths.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { collect, interruptSignal, positiveInteger, progressFor, share } from './options.js';
import { commandLine, note, say } from './output.js';

/** `cifar10 exp …` (one run, the matrix, summaries, comparisons, pushing results) and `cifar10 hard-images`. */
export function registerExperimentCommands(program: Command): void {
  const exp = program.command('exp').description('Experiments: one run, the seed × version matrix, summaries, comparisons, pushing results');
  exp
    .command('run')
    .description('Run one experiment (params.yaml plus -S overrides) in its own folder; its results go to results/experiments/<run-id>/')
    .option('-S, --set-param <key=value>', 'override a parameter for this run only (repeatable), e.g. -S train.seed=100 -S data.versions=v1+v2', collect)
    .option('--results <dir>', 'results folder', PROJECT_PATHS.results)
    .action(async (opts: { setParam?: string[]; results: string }) => {
      const result = await runExperiment({ root: process.cwd(), overrides: opts.setParam, resultsDir: opts.results, log: note, signal: interruptSignal() });
      say(
        `${result.runId}: accuracy ${(result.metrics.accuracy * 100).toFixed(1)}%, macro-F1 ${result.metrics.macro.f1.toFixed(3)}; results in ${result.bundleDir}`,
      );
    });

  exp
    .command('matrix')
    .description(
      `Run every seed × version cell (at most ${MAX_MATRIX_CELLS}), up to --jobs at once; finished cells are skipped, failed ones retried on the next run; Ctrl-C or SIGTERM stops every cell and prints the command that resumes`,
    )
    .addOption(
      new Option('--seeds <list>', `seeds from 0 to 2^32-1, comma-separated, or a range such as 1-5; seeds × versions at most ${MAX_MATRIX_CELLS}`)
        .argParser((v: string) => parseSeedList(v, '--seeds'))
        .default(DEFAULT_SEEDS, DEFAULT_SEEDS.join(',')),
    )
    .addOption(
      new Option('--versions <list>', 'comma-separated version specs')
        .argParser((v: string) => parseVersionList(v, '--versions'))
        .default(DEFAULT_VERSIONS, DEFAULT_VERSIONS.join(',')),
    )
    .option('-j, --jobs <n>', 'cells at once (default: number of cores)', positiveInteger('--jobs'))
    .option('-S, --set-param <key=value>', 'override a parameter in every cell (repeatable), e.g. -S train.epochs=5', collect)
    .option('--force', 're-run cells that already have results')
    .option('--results <dir>', 'results folder', PROJECT_PATHS.results)
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
    .description(
      'Every run (result bundles, and experiments made with `dvc exp run`), and per version the mean ± sd over seeds of accuracy and macro-F1, best run marked',
    )
    .option('--md [file]', 'write the markdown to a file (default: print it)')
    .option('--results <dir>', 'results folder', PROJECT_PATHS.results)
    .action(async (opts: { md?: string | boolean; results: string }) => {
      const bundles = await listBundles(resolve(opts.results));
      const fromDvc = await dvcExperimentRuns(process.cwd(), new Set(bundles.map((b) => b.runId)), note);
      const markdown = summaryMarkdown(summarizeRuns([...bundles, ...fromDvc]));
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
    .option('--results <dir>', 'results folder', PROJECT_PATHS.results)
    .action(async (a: string, b: string, opts: { results: string }) => {
      const results = resolve(opts.results);
      say(comparisonMarkdown(compareRunSets(await selectRuns(a, results), await selectRuns(b, results), { a, b })));
    });

  exp
    .command('push')
    .description('Track results/experiments with DVC (results/experiments.dvc) and push it to the DVC remote')
    .option('--results <dir>', 'results folder', PROJECT_PATHS.results)
    .option('-r, --remote <name>', 'remote to push to (default: core.remote)')
    .option('-q, --quiet', 'no progress output')
    .action(async (opts: { results: string; remote?: string; quiet?: boolean }) => {
      const { added, pushed } = await pushResults({ resultsDir: opts.results, remote: opts.remote, progress: progressFor(opts.quiet) });
      say(
        `${added.label}: ${added.hash.md5} (${added.hash.nfiles} files); ${pushed.uploaded} object(s) uploaded, ${pushed.present} already there. Record it with: git add ${added.label}.dvc`,
      );
    });

  program
    .command('hard-images')
    .description('Images misclassified in at least --threshold of the runs that held them out → results/hard_images.csv and .png')
    .option('--threshold <share>', 'share of held-out runs that got it wrong', share, 1)
    .option('--min-runs <n>', 'runs that must have held the image out', positiveInteger('--min-runs'), 2)
    .option('--limit <n>', 'images on the contact sheet', positiveInteger('--limit'), 64)
    .option('--results <dir>', 'results folder', PROJECT_PATHS.results)
    .option('--out <prefix>', 'output path without extension', PROJECT_PATHS.hardImages)
    .action(async (opts: { threshold: number; minRuns: number; limit: number; results: string; out: string }) => {
      const found = await hardImagesReport({ ...opts, resultsDir: opts.results, partitionsDir: PROJECT_PATHS.partitions, imagesDir: PROJECT_PATHS.images });
      say(
        `${found.images.length} hard image(s) of ${found.eligible} held out by ≥ ${opts.minRuns} of ${found.runs} runs (wrong in ≥ ${opts.threshold * 100}% of them): ${found.csv}`,
      );
      say(
        `per class: ${Object.entries(found.perClass)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')}`,
      );
      if (found.sheet)
        say(
          `${found.sheet.path}: the ${found.sheet.shown} hardest${found.sheet.missing.length > 0 ? ` (${found.sheet.missing.length} without a PNG in data/)` : ''}`,
        );
    });
}
