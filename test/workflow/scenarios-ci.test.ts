import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { PROJECT_ROOT } from '../actions/local-runner.js';
import { pushEvent } from './events.js';
import { jobsNamed, type WorkflowRun } from './executor.js';
import { workflowParser } from './parser.js';
import { scenarioWorld, type ScenarioWorld } from './scenario-world.js';
import { explain } from './world.js';

/** ci.yml from its YAML (scenario-world.ts), on a push to main. */

describe('ci.yml, run from its YAML on synthetic data', () => {
  let scenario: ScenarioWorld;
  const later: Record<string, Promise<WorkflowRun>> = {};

  before(async () => {
    scenario = await scenarioWorld({ installed: true });
    const { world } = scenario;
    const repo = world.repository.fullName;
    // npm test runs npm run lint on this tree before this suite: ci.yml's Lint step (the same command) is left out here.
    later.ci = world.run('ci.yml', 'push', pushEvent(repo, world.origin.sha), {
      skips: [{ job: 'test', step: 'Lint', because: 'npm test has run npm run lint on this tree' }],
    });
    later.ci.catch(() => {});
  });
  after(() => scenario?.close(Object.values(later)));

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
    assert.match(scripts.test!, /&& node scripts\/run-tests\.mjs --lint$/);
    assert.match(
      await readFile(join(PROJECT_ROOT, 'scripts/run-tests.mjs'), 'utf8'),
      /spawnBuffered\('npm', \['run', 'lint'\]/,
      'run-tests.mjs --lint runs npm run lint',
    );
  });
});
