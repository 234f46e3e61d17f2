import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HISTORY_BRANCH, HISTORY_FILE, parseHistory, type RunRecord } from '../../src/experiments/history.js';
import { MatrixSchema } from '../../src/github/schemas.js';
import { dispatchEvent, scheduleEvent } from './events.js';
import { jobsNamed, type WorkflowRun } from './executor.js';
import type { Fault } from './job.js';
import { run as exec } from './repository.js';
import { execGit, scenarioWorld, SECRETS, stepOf, type ScenarioWorld } from './scenario-world.js';
import { explain, type World } from './world.js';

/** experiments.yml from its YAML (scenario-world.ts), by hand with inputs and by schedule, at once on the two runners. */

describe('experiments.yml, run from its YAML on synthetic data', () => {
  let scenario: ScenarioWorld;
  let world: World;
  const later: Record<string, Promise<WorkflowRun>> = {};

  before(async () => {
    scenario = await scenarioWorld({ installed: true });
    world = scenario.world;
    const repo = world.repository.fullName;
    later.dispatch = world.run('experiments.yml', 'workflow_dispatch', dispatchEvent(repo, { seeds: '7', versions: 'v1', epochs: '1' }), { secrets: SECRETS });
    // The full matrix (15 cells × 20 epochs) is planned and fanned out; to stay fast, the runners of 13 cells are lost at their first step.
    const survivors = new Set(['s42-v1', 's100-v1+v2']);
    const lost: Fault[] = ['42', '100', '2025']
      .flatMap((seed) => ['v1', 'v2', 'v3', 'v1+v2', 'v1+v2+v3'].map((v) => `s${seed}-${v}`))
      .filter((c) => !survivors.has(c))
      .map((cell) => ({ job: 'experiment', cell: { cell }, step: 'actions/checkout' }));
    later.schedule = world.run('experiments.yml', 'schedule', scheduleEvent(repo, '23 3 * * 1'), { secrets: SECRETS, faults: lost });
    for (const promise of Object.values(later)) promise.catch(() => {});
  });
  after(() => scenario?.close(Object.values(later)));

  it('experiments.yml by hand with inputs: a one-cell matrix, its single bundle reported as one run, hard images, no DVC remote noticed', async () => {
    const run = await later.dispatch!;
    assert.equal(run.conclusion, 'success', explain(run));
    const plan = jobsNamed(run, 'plan')[0]!;
    assert.equal(plan.outputs.kind, 'manual');
    const installs = run.jobs.flatMap((j) => j.steps.filter((s) => s.name === 'Run ./actions/install'));
    assert.ok(
      installs.length > 0 && installs.every((s) => /Cache restored from key: node-modules-/.test(s.log) && !s.log.includes('✓ npm ci')),
      'the seeded cache held node_modules: no job ran npm ci',
    );
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
});
