import { Command } from 'commander';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isUserError, messageOf, UserError } from '../../src/util/errors.js';
import { pullRequestEvent, pushEvent } from '../workflow/events.js';
import { jobsNamed } from '../workflow/executor.js';
import { createWorld, explain } from '../workflow/world.js';
import { PROJECT_ROOT } from './local-runner.js';

/**
 * `npm run ci:rehearse`: `.github/workflows/pr.yml` run from its YAML by the tests' workflow
 * executor (test/workflow/) for a pull request, in a fresh clone of this working tree with a
 * synthetic CIFAR-10 committed on top; with --baseline, a push to main first, the baseline the pull
 * request is compared with. Jobs and matrix cells run two at a time like two runners, third-party
 * actions through their stand-ins, the comment goes to a local GitHub. Editing pr.yml changes what
 * this runs. Writes the comment it posted and the report job's summary.
 */

interface RehearsalOptions {
  out: string;
  baseline: boolean;
  imagesPerClass: number;
}

async function rehearse(options: RehearsalOptions): Promise<void> {
  const out = resolve(options.out);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (!Number.isInteger(options.imagesPerClass) || options.imagesPerClass < 3)
    throw new UserError(`--images-per-class is ${options.imagesPerClass}; use a whole number of 3 or more`);
  // Three class-balanced partitions share the images of each class.
  const world = await createWorld({
    projectRoot: PROJECT_ROOT,
    root: join(out, 'work'),
    synth: { imagesPerClass: options.imagesPerClass, partitions: 3, partitionSize: Math.floor(options.imagesPerClass / 3) * 10, seed: 7 },
    progress: say,
  });
  try {
    const repo = world.repository.fullName;
    say(`✔ a clone of this working tree with synthetic CIFAR-10 partitions on top (${world.origin.sha.slice(0, 7)}); GitHub at ${world.github.url}`);
    const pr = { number: 1, sha: world.origin.sha, branch: 'rehearsal', headRepository: repo };
    world.github.pulls.push({ number: 1, headSha: pr.sha, headLabel: `${repo.split('/')[0]}:rehearsal`, state: 'open' });
    if (options.baseline) {
      say('\n[push to main] pr.yml');
      const main = await world.run('pr.yml', 'push', pushEvent(repo, world.origin.sha));
      if (main.conclusion !== 'success') throw new UserError(`the push to main did not succeed:\n${explain(main)}`);
    }
    say('\n[pull request #1] pr.yml');
    const run = await world.run('pr.yml', 'pull_request', pullRequestEvent(repo, pr), { ref: 'refs/pull/1/merge' });
    const report = jobsNamed(run, 'report')[0];
    const posted = world.github.commentsOn(1)[0]?.body;
    if (posted) await writeFile(join(out, 'comment.md'), posted);
    if (report) await writeFile(join(out, 'summary.md'), report.summary);
    say(
      `\nRehearsal ${run.conclusion} in ${((Date.now() - started) / 1000).toFixed(0)} s: ${jobsNamed(run, 'experiment').length} cells, best run ${report?.steps.find((s) => s.id === 'report')?.outputs['best-run'] || 'none'}.` +
        (posted ? `\n  comment it posted (${posted.length} characters): ${relative(process.cwd(), join(out, 'comment.md'))}` : '\n  no comment was posted') +
        (report ? `\n  job summary: ${relative(process.cwd(), join(out, 'summary.md'))}` : ''),
    );
    if (run.conclusion !== 'success') throw new UserError(`the pull request's run did not succeed:\n${explain(run)}`);
  } finally {
    await world.stop();
  }
}

const program = new Command('ci:rehearse')
  .description('Run .github/workflows/pr.yml from its YAML for a pull request, locally, on synthetic data (the workflow executor of the tests)')
  .option('--out <dir>', 'where the clone, runners, artifacts, comment and summary go (replaced)', 'bench-out/rehearsal')
  .option('--baseline', 'first run pr.yml for a push to main, the baseline the pull request is compared with', false)
  .option('--images-per-class <n>', 'synthetic images per class (three partitions are cut from them)', (v) => Number(v), 100)
  .action(async (opts: RehearsalOptions) => rehearse(opts));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`error: ${isUserError(error) ? messageOf(error) : error instanceof Error && error.stack ? error.stack : messageOf(error)}\n`);
  process.exitCode = 1;
}
