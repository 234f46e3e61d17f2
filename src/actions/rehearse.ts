import { Command } from 'commander';
import { copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { initRepo } from '../dvc/index.js';
import { versionData } from '../data/versioning.js';
import { mapLimit } from '../util/map-limit.js';
import type { MatrixCell } from '../github/plan.js';
import { isUserError, messageOf, UserError } from '../util/errors.js';
import { createSynthWorkspace } from '../data/synth-workspace.js';
import { PROJECT_ROOT, runActionProcess, type ActionRun } from './local-runner.js';

/**
 * `npm run ci:rehearse`: the PR workflow end to end on this machine, through the actions' entry
 * points exactly as the runner starts them: plan → setup-data → every matrix cell
 * (setup-data + run-experiment, two at a time like two runners) → report, on a synthetic
 * CIFAR-10 workspace with a local DVC remote; with --baseline, a push to main first, as the
 * baseline. Writes the comment it would post.
 */

interface RehearsalOptions {
  out: string;
  seeds: string;
  versions: string;
  epochs: string;
  jobs: number;
  baseline: boolean;
}

const PR_NUMBER = 1;
const pullRequestEvent = {
  action: 'synchronize',
  number: PR_NUMBER,
  pull_request: {
    number: PR_NUMBER,
    head: { sha: '0000000000000000000000000000000000000000', ref: 'rehearsal', repo: { full_name: 'local/cifar10-ci', name: 'cifar10-ci', owner: { login: 'local' } } },
    base: { ref: 'main', repo: { full_name: 'local/cifar10-ci', name: 'cifar10-ci', owner: { login: 'local' } } },
  },
};

async function step(label: string, run: Promise<ActionRun>): Promise<ActionRun> {
  const started = Date.now();
  const result = await run;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.code !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new UserError(`rehearsal step "${label}" failed (exit ${result.code}); its log is above`);
  }
  process.stdout.write(`✔ ${label} (${seconds} s)\n`);
  return result;
}

/** A matrix job: with fail-fast off, one failing cell does not stop the others or the report. */
async function job(label: string, body: () => Promise<void>): Promise<boolean> {
  try {
    await body();
    return true;
  } catch (error) {
    process.stdout.write(`✖ ${label}: ${messageOf(error)}\n`);
    return false;
  }
}

async function rehearse(options: RehearsalOptions): Promise<void> {
  const out = resolve(options.out);
  const workspace = join(out, 'workspace');
  const artifacts = join(out, 'artifacts');
  await rm(out, { recursive: true, force: true });
  await mkdir(workspace, { recursive: true });
  const started = Date.now();

  await createSynthWorkspace(workspace, { imagesPerClass: 100, partitions: 3, partitionSize: 300, seed: 7 });
  await copyFile(join(PROJECT_ROOT, 'params.yaml'), join(workspace, 'params.yaml'));
  // Its own DVC repository: otherwise versionData would find this project's .dvc/ further up and version into it.
  await initRepo(workspace);
  await versionData({ cwd: workspace, remote: join(out, 'dvc-remote'), interactive: false });
  process.stdout.write(`✔ synthetic workspace with 3 partitions pushed to a local DVC remote (${relative(process.cwd(), workspace)})\n`);

  const matrix = async (eventName: string, event: unknown, artifacts: string, label: string) => {
    const env = { eventName, event, cwd: workspace };
    const plan = await step(
      `${label} plan`,
      runActionProcess('plan', { ...env, inputs: { 'quick-seeds': options.seeds, 'quick-versions': options.versions, 'quick-epochs': options.epochs } }),
    );
    const cells = (JSON.parse(plan.outputs.matrix!) as { include: MatrixCell[] }).include;
    process.stdout.write(`  ${plan.outputs.kind} matrix: ${cells.map((c) => c.cell).join(', ')}\n`);
    await step(`${label} setup-data (the job that fills the cache)`, runActionProcess('setup-data', { ...env, inputs: { versions: plan.outputs.versions!, 'save-cache': 'true' } }));
    const passed = await mapLimit(cells, options.jobs, (cell) =>
      job(cell.cell, async () => {
        await step(`${label} ${cell.cell}: setup-data`, runActionProcess('setup-data', { ...env, inputs: { versions: cell.versions } }));
        const run = await step(
          `${label} ${cell.cell}: run-experiment`,
          runActionProcess('run-experiment', { ...env, inputs: { seed: String(cell.seed), versions: cell.versions, epochs: String(cell.epochs) } }),
        );
        // What upload-artifact + download-artifact (pattern bundle-*) do between the jobs.
        await cp(run.outputs.bundle!, join(artifacts, `bundle-${cell.cell}`), { recursive: true });
      }),
    );
    return { plan, cells, failed: cells.filter((_, i) => !passed[i]).map((c) => c.cell) };
  };

  if (options.baseline) await matrix('push', { ref: 'refs/heads/main' }, join(out, 'baseline'), '[main]');
  const event = { eventName: 'pull_request', event: pullRequestEvent, cwd: workspace };
  const { plan, cells, failed } = await matrix('pull_request', pullRequestEvent, artifacts, '[PR]');

  const report = await step(
    'report',
    runActionProcess('report', {
      ...event,
      inputs: { bundles: artifacts, baseline: options.baseline ? join(out, 'baseline') : '', matrix: plan.outputs.matrix!, kind: plan.outputs.kind!, comment: 'false', 'comment-file': join(out, 'comment.md'), out: join(out, 'results') },
    }),
  );
  await writeFile(join(out, 'summary.md'), report.summary);
  const comment = await readFile(join(out, 'comment.md'), 'utf8');
  process.stdout.write(
    `\nRehearsal done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${cells.length} cells, best run ${report.outputs['best-run']}.\n` +
      `  comment it would post (${comment.length} characters): ${relative(process.cwd(), join(out, 'comment.md'))}\n` +
      `  job summary: ${relative(process.cwd(), join(out, 'summary.md'))}; ledger and hard images: ${relative(process.cwd(), join(out, 'results'))}/\n`,
  );
  if (failed.length > 0) throw new UserError(`${failed.length} matrix cell(s) failed: ${failed.join(', ')}; the report above lists them as missing`);
}

const program = new Command('ci:rehearse')
  .description('Rehearse the PR workflow locally: plan → every matrix cell → report, through the actions\' entry points, on synthetic data')
  .option('--out <dir>', 'where the workspace, artifacts and comment go (replaced)', 'bench-out/rehearsal')
  .option('--seeds <list>', 'seeds of the matrix', '1,2,3')
  .option('--versions <list>', 'version specs of the matrix', 'v1,v1+v2')
  .option('--epochs <n>', 'epochs per run', '4')
  .option('--jobs <n>', 'cells at once (like parallel runners)', (v) => Number(v), 2)
  .option('--baseline', 'first run the same matrix as a push to main, the baseline the PR is compared with', false)
  .action(async (opts: RehearsalOptions) => rehearse(opts));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`error: ${isUserError(error) ? messageOf(error) : error instanceof Error && error.stack ? error.stack : messageOf(error)}\n`);
  process.exitCode = 1;
}
