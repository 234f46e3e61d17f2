import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HISTORY_BRANCH, HISTORY_FILE, parseHistory, type RunRecord } from '../../src/experiments/history.js';
import { commentMarker } from '../../src/github/comment.js';
import { MatrixSchema } from '../../src/github/schemas.js';
import { PROJECT_ROOT } from '../actions/local-runner.js';
import { dispatchEvent, pullRequestEvent, pushEvent, scheduleEvent, workflowRunEvent, type PullRequestSpec } from './events.js';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { jobsNamed, type WorkflowRun } from './executor.js';
import { workflowParser } from './parser.js';
import { run as exec } from './repository.js';
import type { Fault, JobResult } from './job.js';
import { createWorld, explain, type World } from './world.js';

/**
 * The project's own workflow files, run from their YAML in a fresh clone of the working tree on a
 * small synthetic CIFAR-10 (3 partitions of 60 images): a push to main (the baseline), a same-
 * repository pull request, a fork's pull request and its workflow_run comment, experiments.yml by
 * hand and by schedule, and ci.yml. Runs share two runners, as this machine's two cores; the
 * first job installs with npm ci and saves node_modules to the Actions cache, the others restore it.
 */

const SAME_REPO: PullRequestSpec = { number: 7, sha: '', branch: 'feature', headRepository: 'octo/cifar10-ci' };
const FORK: PullRequestSpec = { number: 8, sha: '', branch: 'feature', headRepository: 'eve/cifar10-ci' };
// AWS secrets exist in the repository, as in a team's setup; .dvc/config names no remote, so both paths rebuild.
const SECRETS = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY000001', AWS_SECRET_ACCESS_KEY: 'secretExampleValue0001' };

const stepOf = (job: JobResult, id: string) => job.steps.find((s) => s.id === id);
const comment = commentMarker();
const execGit = (args: string[]) => exec('git', args, { maxBuffer: 64 * 1024 * 1024 });

describe('the workflows, run from their YAML on synthetic data', () => {
  let root: string;
  let world: World;
  let baseline: WorkflowRun;
  const later: Record<string, Promise<WorkflowRun>> = {};
  let forkComment: Promise<{ first: WorkflowRun; moved: WorkflowRun; plan: string; commentsAfterPr: number }>;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'workflows-'));
    world = await createWorld({
      projectRoot: PROJECT_ROOT,
      root,
      synth: { imagesPerClass: 20, partitions: 3, partitionSize: 60, seed: 3 },
      runnerEnv: { CIFAR10_TEST_FILTER: 'test/util/random' },
    });
    const repo = world.repository.fullName;
    SAME_REPO.sha = FORK.sha = world.origin.sha;
    world.github.pulls.push(
      { number: 7, headSha: SAME_REPO.sha, headLabel: 'octo:feature', state: 'open' },
      { number: 8, headSha: FORK.sha, headLabel: 'eve:feature', state: 'open' },
    );
    baseline = await world.run('pr.yml', 'push', pushEvent(repo, world.origin.sha), { secrets: SECRETS });
    // Everything else after the baseline, sharing the two runners.
    later.samePr = world.run('pr.yml', 'pull_request', pullRequestEvent(repo, SAME_REPO), { ref: 'refs/pull/7/merge', secrets: SECRETS });
    const crash: Fault = { job: 'experiment', cell: { cell: 's100-v1' }, step: 'run' };
    later.forkPr = world.run('pr.yml', 'pull_request', pullRequestEvent(repo, FORK), {
      ref: 'refs/pull/8/merge',
      secrets: SECRETS,
      fork: true,
      faults: [crash],
    });
    forkComment = later.forkPr.then(async (pr) => {
      const commentsAfterPr = world.github.commentsOn(8).length;
      const event = workflowRunEvent(repo, pr, FORK);
      const first = await world.run('pr-comment.yml', 'workflow_run', event, { secrets: SECRETS });
      world.github.pulls.find((p) => p.number === 8)!.headSha = 'b'.repeat(40);
      const moved = await world.run('pr-comment.yml', 'workflow_run', event, { secrets: SECRETS });
      return { first, moved, plan: await world.artifactFile(pr, 'pr-plan', 'plan.json'), commentsAfterPr };
    });
    later.dispatch = world.run('experiments.yml', 'workflow_dispatch', dispatchEvent(repo, { seeds: '7', versions: 'v1', epochs: '1' }), { secrets: SECRETS });
    // The full matrix (15 cells × 20 epochs) is planned and fanned out; to stay fast, the runners of 13 cells are lost at their first step.
    const survivors = new Set(['s42-v1', 's100-v1+v2']);
    const lost: Fault[] = ['42', '100', '2025']
      .flatMap((seed) => ['v1', 'v2', 'v3', 'v1+v2', 'v1+v2+v3'].map((v) => `s${seed}-${v}`))
      .filter((c) => !survivors.has(c))
      .map((cell) => ({ job: 'experiment', cell: { cell }, step: 'actions/checkout' }));
    later.schedule = world.run('experiments.yml', 'schedule', scheduleEvent(repo, '23 3 * * 1'), { secrets: SECRETS, faults: lost });
    // npm test runs npm run lint on this tree before this suite: ci.yml's Lint step (the same command) is left out here.
    later.ci = world.run('ci.yml', 'push', pushEvent(repo, world.origin.sha), {
      skips: [{ job: 'test', step: 'Lint', because: 'npm test has run npm run lint on this tree' }],
    });
    for (const promise of [...Object.values(later), forkComment]) promise.catch(() => {});
  });
  after(async () => {
    await Promise.allSettled([...Object.values(later), forkComment]);
    await world?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('push to main: every job green, the baseline bundles kept 90 days, node_modules installed and dist built once, restored after', async () => {
    assert.equal(baseline.conclusion, 'success', explain(baseline));
    const artifacts = world.repository.artifactsOf(baseline.id).map((a) => [a.name, Math.round((a.expires - a.created) / 86_400_000)]);
    assert.deepEqual(artifacts.sort(), [
      ['bundle-s100-v1', 90],
      ['bundle-s2025-v1', 90],
      ['bundle-s42-v1', 90],
      ['experiments-results', 90],
    ]);
    assert.deepEqual(baseline.concurrency, { group: 'pr-experiments-refs/heads/main', 'cancel-in-progress': false });
    const npmCi = baseline.jobs.map((j) => j.steps.find((s) => s.name === 'Run ./actions/install')!.log.includes('✓ npm ci'));
    assert.equal(npmCi.filter(Boolean).length, 1, 'only the first job runs npm ci; the others restore node_modules from the cache');
    const builds = baseline.jobs.map((j) => j.steps.find((s) => s.name === 'Run ./actions/install')!.log.includes('✓ Build'));
    // plan, data, three cells (the quick matrix's seeds), report and history.
    assert.deepEqual([builds.length, builds.filter(Boolean).length], [7, 1], 'the first job builds dist; the others restore it');
    assert.equal(world.github.comments.length, 0, 'a push posts no comment');
    assert.match(await world.artifactFile(baseline, 'bundle-s42-v1', 'manifest.json'), /"run_id": "s42-v1"/);
    const history = jobsNamed(baseline, 'history')[0]!;
    assert.equal(history.permissions.contents, 'write');
    const records = parseHistory((await execGit(['-C', world.origin.dir, 'show', `${HISTORY_BRANCH}:${HISTORY_FILE}`])).stdout, HISTORY_BRANCH);
    const pushed = records.filter((r) => r.workflow_run?.id === baseline.id);
    assert.deepEqual(pushed.map((r) => [r.kind, r.event, r.kind === 'run' ? r.run_id : '']).sort(), [
      ['hard', 'push', ''],
      ['run', 'push', 's100-v1'],
      ['run', 'push', 's2025-v1'],
      ['run', 'push', 's42-v1'],
    ]);
  });

  it('same-repository pull request: exactly one comment, comparing with the baseline of main', async () => {
    const pr = await later.samePr!;
    assert.equal(pr.conclusion, 'success', explain(pr));
    assert.equal((pr.concurrency as { 'cancel-in-progress': boolean })['cancel-in-progress'], true);
    const report = jobsNamed(pr, 'report')[0]!;
    assert.equal(stepOf(report, 'baseline')!.outputs['run-id'], String(baseline.id));
    assert.equal(stepOf(report, 'report')!.outputs['comment-action'], 'created');
    const comments = world.github.commentsOn(7);
    assert.equal(comments.length, 1);
    assert.ok(comments[0]!.body.startsWith(comment));
    assert.match(comments[0]!.body, /### This PR vs main/);
    assert.match(comments[0]!.body, /A: main \(3 runs\) +\| B: this PR \(3 runs\)/);
    // Main's history is read from its branch (empty or not, depending on whether the scheduled run has appended yet).
    assert.match(comments[0]!.body, /### Main over its last runs\n\n(`v1` [▁-█]+ |_Main's experiment history has no runs of these versions yet)/);
    assert.match(comments[0]!.body, /\[experiment page\]\(https:\/\/octo\.github\.io\/cifar10-ci\/\)/);
    assert.equal(report.permissions['pull-requests'], 'write');
    for (const job of pr.jobs)
      for (const step of job.steps) assert.ok(!step.log.includes(SECRETS.AWS_SECRET_ACCESS_KEY), `${job.name} / ${step.name} printed a secret`);
  });

  it('fork pull request with a crashed cell: the report lists the surviving bundle, comments nothing itself, and says why in the summary', async () => {
    const pr = await later.forkPr!;
    assert.equal(pr.conclusion, 'failure', 'a failed cell fails the run');
    assert.deepEqual(
      jobsNamed(pr, 'experiment')
        .map((j) => [j.name, j.result])
        .sort(),
      [
        ['Run s100-v1', 'failure'],
        ['Run s2025-v1', 'success'],
        ['Run s42-v1', 'success'],
      ],
    );
    const report = jobsNamed(pr, 'report')[0]!;
    assert.equal(report.result, 'success', explain(pr));
    assert.equal(report.permissions['pull-requests'], 'read', "a fork's token is read-only");
    assert.equal(stepOf(report, 'report')!.outputs['comment-action'], 'forbidden');
    assert.match(report.summary, /> \[!NOTE\]\n> Could not post the PR comment: this pull request comes from a fork/);
    assert.match(report.summary, /^## ⚠️ incomplete: v1 .*\n\nCIFAR-10 experiments, quick matrix: 2 runs at/m);
    assert.match(report.summary, /1 planned run left no results: `s100-v1`/);
    assert.doesNotMatch(report.summary, /No run produced results/);
    assert.match(report.summary, /### This PR vs main/);
    assert.equal((await forkComment).commentsAfterPr, 0, "the fork's own run posts no comment");
  });

  it("then pr-comment.yml (workflow_run) renders the comment from the fork's bundles with the base code, posts it once, and ends with a notice once the PR has moved on", async () => {
    const { first, moved, plan } = await forkComment;
    assert.equal(first.conclusion, 'success', explain(first));
    assert.deepEqual(first.concurrency, { group: 'pr-comment-eve/cifar10-ci-feature', 'cancel-in-progress': false });
    assert.match(plan, /"cell":"s100-v1"/, 'the fork uploaded its plan, not a comment');
    const job = jobsNamed(first, 'comment')[0]!;
    assert.equal(job.permissions.contents, 'write', 'the pictures are published with the job token');
    const comments = world.github.commentsOn(8);
    assert.equal(comments.length, 1);
    const body = comments[0]!.body;
    assert.ok(body.startsWith(`${comment}\n## ⚠️ incomplete: v1 `), body.slice(0, 200));
    assert.match(body, /### This PR vs main/, "main's baseline was found and downloaded by the trusted job");
    assert.match(body, /1 planned run left no results: `s100-v1`/);
    assert.match(body, /!\[Confusion matrix of s\d+-v1[^\]]*\]\([^)]+\/pr-8\/run-\d+-1\/confusion\.png\)/);
    assert.equal(moved.conclusion, 'success', explain(moved));
    const notices = jobsNamed(moved, 'comment')[0]!
      .annotations.filter((a) => a.level === 'notice')
      .map((a) => a.message);
    assert.ok(
      notices.some((n) => /No comment posted: no open pull request has head eve:feature/.test(n)),
      notices.join('\n'),
    );
    assert.equal(world.github.commentsOn(8).length, 1);
  });

  it('experiments.yml by hand with inputs: a one-cell matrix, its single bundle reported as one run, hard images, no DVC remote noticed', async () => {
    const run = await later.dispatch!;
    assert.equal(run.conclusion, 'success', explain(run));
    const plan = jobsNamed(run, 'plan')[0]!;
    assert.equal(plan.outputs.kind, 'manual');
    assert.deepEqual(JSON.parse(plan.outputs.matrix!), { include: [{ cell: 's7-v1', seed: 7, versions: 'v1', epochs: 1 }] });
    const aggregate = jobsNamed(run, 'aggregate')[0]!;
    assert.equal(stepOf(aggregate, 'report')!.outputs['best-run'], 's7-v1');
    assert.match(aggregate.summary, /^## 📊 results: v1 [\d.]+% \(n = 1\)\n\nCIFAR-10 experiments, manual matrix: 1 run at/m);
    assert.match(await world.artifactFile(run, 'experiments-results', 'experiments/s7-v1/manifest.json'), /"seed": 7/);
    assert.equal((await world.artifactFile(run, 'experiments-results', 'experiments.csv')).trim().split('\n').length, 2);
    assert.match(await world.artifactFile(run, 'experiments-results', 'hard_images.csv'), /^id,/);
    assert.ok(aggregate.annotations.some((a) => a.level === 'notice' && /No default DVC remote/.test(a.message)));
    // Dispatched on the default branch: its run joins the history and the page is published.
    assert.deepEqual(
      ['history', 'pages'].map((id) => jobsNamed(run, id)[0]?.result),
      ['success', 'success'],
    );
  });

  it('experiments.yml by schedule: the full matrix fans out, and the cells that survive are reported while the lost ones are named', async () => {
    const run = await later.schedule!;
    const plan = jobsNamed(run, 'plan')[0]!;
    assert.equal(plan.outputs.kind, 'full');
    const cells = jobsNamed(run, 'experiment');
    assert.equal(cells.length, 15);
    assert.deepEqual(
      cells
        .filter((c) => c.result === 'success')
        .map((c) => c.name)
        .sort(),
      ['Run s100-v1+v2', 'Run s42-v1'],
    );
    const aggregate = jobsNamed(run, 'aggregate')[0]!;
    assert.equal(aggregate.result, 'success', explain(run));
    assert.match(aggregate.summary, /^## 📊 results: v1 [\d.]+% \(n = 1\) · v1\+v2 [\d.]+% \(n = 1\)\n\nCIFAR-10 experiments, full matrix: 2 runs at/m);
    assert.match(aggregate.summary, /13 planned runs left no results/);
    assert.equal(MatrixSchema.parse(JSON.parse(plan.outputs.matrix!)).include[0]!.epochs, 20);
  });

  it('experiments.yml by schedule: the history branch grows by the surviving runs, and the page is uploaded and deployed to Pages', async () => {
    const run = await later.schedule!;
    const history = jobsNamed(run, 'history')[0]!;
    assert.equal(history.result, 'success', explain(run));
    assert.equal(history.permissions.contents, 'write');
    const branch = (await execGit(['-C', world.origin.dir, 'show', `${HISTORY_BRANCH}:${HISTORY_FILE}`])).stdout;
    const records = parseHistory(branch, HISTORY_BRANCH);
    const ours = records.filter((r) => r.workflow_run?.id === run.id);
    assert.deepEqual(
      ours
        .filter((r) => r.kind === 'run')
        .map((r) => (r as RunRecord).run_id)
        .sort(),
      ['s100-v1+v2', 's42-v1'],
    );
    assert.equal(ours.filter((r) => r.kind === 'hard').length, 1);
    for (const r of ours) assert.equal(r.event, 'schedule');
    const first = ours.find((r) => r.kind === 'run') as RunRecord;
    assert.match(first.test_set.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(first.commit, world.origin.sha);
    // The page artifact: one tar, as upload-pages-artifact makes it, holding the page and the same history.
    const artifact = world.repository.artifactsOf(run.id).find((a) => a.name === 'github-pages')!;
    assert.equal(Math.round((artifact.expires - artifact.created) / 86_400_000), 1);
    const tar = join(world.repository.artifactDir(artifact), 'artifact.tar');
    const listed = (await exec('tar', ['-tf', tar])).stdout.split('\n');
    for (const file of ['./index.html', './data.js', './app.js', './vega.min.js', './vega-lite.min.js', './vega-embed.min.js', './history.jsonl'])
      assert.ok(listed.includes(file), `${file} is not in the page artifact: ${listed.join(' ')}`);
    const published = parseHistory((await exec('tar', ['-xOf', tar, './history.jsonl'])).stdout, 'history.jsonl');
    assert.ok(published.filter((r) => r.workflow_run?.id === run.id).length === 3);
    const pages = jobsNamed(run, 'pages')[0]!;
    assert.equal(pages.result, 'success', explain(run));
    assert.deepEqual(pages.environment, { name: 'github-pages', url: 'https://octo.github.io/cifar10-ci/' });
    assert.deepEqual(
      [pages.permissions.pages, pages.permissions['id-token'], pages.permissions.contents],
      ['write', 'write', undefined],
      'the deploying job may not write the repository',
    );
  });

  it('ci.yml: the test step (narrowed by CIFAR10_TEST_FILTER, so it does not run this suite again); its Lint step is npm run lint, as in npm test, which has run it', async () => {
    const run = await later.ci!;
    assert.equal(run.conclusion, 'success', explain(run));
    const test = jobsNamed(run, 'test')[0]!;
    assert.match(test.steps.find((s) => s.name === 'Tests')!.log, /ℹ pass [1-9]/);
    // What is left out is what npm test runs: ci.yml's Lint step is `npm run lint`, and npm test runs the lint script.
    const literal = (token: TemplateToken | undefined) => (token && workflowParser.isString(token) ? token.value : undefined);
    const lint = run.workflow.jobs.find((j) => j.id === 'test')!.steps.find((s) => literal(s.name) === 'Lint')!;
    assert.equal(literal(lint.run), 'npm run lint');
    assert.equal(test.steps.find((s) => s.name === 'Lint')!.outcome, 'skipped');
    const scripts = (JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.test!, /^run-p [^&]*\blint\b[^&]*&& node scripts\/run-tests\.mjs$/);
  });
});
