import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HISTORY_BRANCH, HISTORY_FILE, parseHistory } from '../../src/experiments/history.js';
import { commentMarker } from '../../src/github/comment.js';
import { pullRequestEvent, pushEvent, workflowRunEvent, type PullRequestSpec } from './events.js';
import { jobsNamed, type WorkflowRun } from './executor.js';
import type { Fault } from './job.js';
import { execGit, scenarioWorld, SECRETS, stepOf, type ScenarioWorld } from './scenario-world.js';
import { explain, type World } from './world.js';

/**
 * pr.yml and pr-comment.yml from their YAML (scenario-world.ts): a push to main (the baseline), then
 * a same-repository pull request and a fork's pull request with its workflow_run comment, which
 * compare with that baseline and so share its world.
 */

const SAME_REPO: PullRequestSpec = { number: 7, sha: '', branch: 'feature', headRepository: 'octo/cifar10-ci' };
const FORK: PullRequestSpec = { number: 8, sha: '', branch: 'feature', headRepository: 'eve/cifar10-ci' };

const comment = commentMarker();

describe('the pull-request workflows, run from their YAML on synthetic data', () => {
  let scenario: ScenarioWorld;
  let world: World;
  let baseline: WorkflowRun;
  const later: Record<string, Promise<WorkflowRun>> = {};
  let forkComment: Promise<{ first: WorkflowRun; moved: WorkflowRun; plan: string; commentsAfterPr: number }>;

  before(async () => {
    scenario = await scenarioWorld({ installed: false });
    world = scenario.world;
    const repo = world.repository.fullName;
    SAME_REPO.sha = FORK.sha = world.origin.sha;
    world.github.pulls.push(
      { number: 7, headSha: SAME_REPO.sha, headLabel: 'octo:feature', state: 'open' },
      { number: 8, headSha: FORK.sha, headLabel: 'eve:feature', state: 'open' },
    );
    baseline = await world.run('pr.yml', 'push', pushEvent(repo, world.origin.sha), { secrets: SECRETS });
    // The pull requests after the baseline, sharing the two runners.
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
    for (const promise of [...Object.values(later), forkComment]) promise.catch(() => {});
  });
  after(() => scenario?.close([...Object.values(later), forkComment]));

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
});
