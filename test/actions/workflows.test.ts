import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ACTIONS } from '../../src/actions/constants.js';
import { ACTIONS_DIR, actionErrors, actionFiles, actionlint, stepsOf, workflowErrors, workflowFiles } from './lint.js';

const workflows = await workflowFiles();
const actions = await actionFiles();
const BAD_WORKFLOW = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
const lint = await actionlint([
  ...workflows.map((w) => ({ name: `.github/workflows/${w.name}`, content: w.content })),
  { name: 'bad.yml', content: BAD_WORKFLOW },
]);

describe('workflow files', () => {
  it('are the CI, PR, fork-comment and experiments workflows', () => {
    assert.deepEqual(
      workflows.map((w) => w.name),
      ['ci.yml', 'experiments.yml', 'pr-comment.yml', 'pr.yml'],
    );
  });

  for (const workflow of workflows) {
    it(`${workflow.name} validates against GitHub's workflow schema`, async () => {
      assert.deepEqual(await workflowErrors(workflow.name, workflow.content), []);
    });

    it(`${workflow.name} passes actionlint`, async () => {
      const problems = lint[`.github/workflows/${workflow.name}`]!;
      assert.deepEqual(
        problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`),
        [],
      );
    });

    it(`${workflow.name} grants no permissions at the top and names them per job`, () => {
      const doc = parse(workflow.content) as { permissions?: unknown; jobs: Record<string, { permissions?: Record<string, string> }> };
      assert.deepEqual(doc.permissions, {});
      for (const [name, job] of Object.entries(doc.jobs)) {
        assert.ok(job.permissions, `job ${name} has no permissions block`);
        assert.ok(!Object.values(job.permissions).includes('write-all'));
      }
    });
  }

  it('never runs fork code with a write token: no pull_request_target anywhere', () => {
    for (const workflow of workflows) assert.ok(!/pull_request_target/.test(workflow.content), workflow.name);
  });

  it("pr.yml fans out with fail-fast off, reports unless cancelled, and cancels superseded runs of a PR but never main's", () => {
    const doc = parse(workflows.find((w) => w.name === 'pr.yml')!.content) as {
      concurrency: { group: string; 'cancel-in-progress': string };
      jobs: Record<string, { strategy?: { 'fail-fast': boolean; matrix: string }; if?: string; needs?: string[] }>;
    };
    assert.equal(doc.jobs.experiment!.strategy!['fail-fast'], false);
    assert.match(doc.jobs.experiment!.strategy!.matrix, /fromJSON\(needs\.plan\.outputs\.matrix\)/);
    assert.match(doc.jobs.report!.if!, /!cancelled\(\)/);
    assert.match(doc.concurrency.group, /pull_request\.number/);
    // Behaviour change (issue 12): back-to-back merges must not cancel main's baseline run.
    assert.equal(doc.concurrency['cancel-in-progress'], "${{ github.event_name == 'pull_request' }}");
  });

  it('pr-comment.yml posts one at a time per head repository and branch', () => {
    const doc = parse(workflows.find((w) => w.name === 'pr-comment.yml')!.content) as { concurrency: { group: string; 'cancel-in-progress': boolean } };
    assert.match(doc.concurrency.group, /workflow_run\.head_repository\.full_name.*workflow_run\.head_branch/);
    assert.equal(doc.concurrency['cancel-in-progress'], false);
  });

  it("lets npm run @tensorflow/tfjs-node's install script, which the lock file says it has, and no other", async () => {
    const lock = JSON.parse(await readFile('package-lock.json', 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean; optional?: boolean }> };
    assert.equal(lock.packages['node_modules/@tensorflow/tfjs-node']?.hasInstallScript, true);
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
    assert.deepEqual(pkg.allowScripts, { '@tensorflow/tfjs-node': true });
    const install = actions.find((a) => a.name === 'install')!;
    const commands = (install.doc.runs.steps ?? []).map((s) => (s as { run?: string }).run ?? '').join('\n');
    // npm 11.16+ rejects the flag in a project install (EALLOWSCRIPTS); the policy lives in package.json.
    assert.match(commands, /^npm ci /m);
    assert.doesNotMatch(commands, /--allow-scripts/);
    for (const workflow of workflows) assert.ok(!/npm (ci|install)/.test(workflow.content), `${workflow.name} installs without the install action`);
  });

  it('pins every third-party action to a full commit SHA with its release in a comment, at the current majors, and asks for Node 24', () => {
    const majors: Record<string, string> = {
      checkout: 'v6',
      'setup-node': 'v6',
      cache: 'v5',
      'upload-artifact': 'v7',
      'download-artifact': 'v8',
      'upload-pages-artifact': 'v5',
      'deploy-pages': 'v5',
    };
    const all = [...workflows.map((w) => w.content), ...actions.map((a) => a.content)].join('\n');
    const uses = [...all.matchAll(/uses: (?!\.\/)(.+)$/gm)].map((m) => m[1]!);
    assert.ok(uses.length >= 20, `only ${uses.length} third-party uses found`);
    for (const line of uses) {
      const pin = /^actions\/([a-z-]+)@([0-9a-f]{40}) # (v\d+)\.\d+\.\d+$/.exec(line);
      assert.ok(pin, `"${line}" is not pinned as actions/<name>@<40-hex sha> # vX.Y.Z`);
      assert.equal(pin[3], majors[pin[1]!], `${line}: expected ${majors[pin[1]!]}`);
    }
    assert.match(actions.find((a) => a.name === 'install')!.content, /node-version: 24/);
  });
});

describe('action.yml files', () => {
  for (const action of actions) {
    it(`actions/${action.name}/action.yml validates against GitHub's action schema`, () => {
      assert.deepEqual(actionErrors(action.path, action.content), []);
    });
  }

  for (const [name, names] of Object.entries(ACTIONS)) {
    it(`actions/${name} runs its compiled shell on node24 and declares exactly the names in constants.ts`, async () => {
      const action = actions.find((a) => a.name === name);
      assert.ok(action, `actions/${name}/action.yml is missing`);
      assert.equal(action.doc.runs.using, 'node24');
      assert.equal(action.doc.runs.main, `../../dist/src/actions/${name}.js`);
      await access(resolve(ACTIONS_DIR, name, action.doc.runs.main!));
      assert.deepEqual(Object.keys(action.doc.inputs ?? {}).sort(), Object.values(names.inputs).sort());
      assert.deepEqual(Object.keys(action.doc.outputs ?? {}).sort(), Object.values(names.outputs).sort());
    });
  }

  it('every local `uses: ./actions/x` passes only inputs x declares, and all of its required ones', () => {
    const files = [
      ...workflows.map((w) => ({ name: w.name, doc: parse(w.content) as unknown })),
      ...actions.map((a) => ({ name: `actions/${a.name}`, doc: a.doc })),
    ];
    let checked = 0;
    for (const file of files) {
      for (const step of stepsOf(file.doc)) {
        const local = /^\.\/actions\/([a-z-]+)$/.exec(step.uses ?? '');
        if (!local) continue;
        const target = actions.find((a) => a.name === local[1]);
        assert.ok(target, `${file.name}: ${step.uses} does not exist`);
        const declared = target.doc.inputs ?? {};
        for (const key of Object.keys(step.with ?? {})) assert.ok(key in declared, `${file.name}: ${step.uses} has no input "${key}"`);
        for (const [key, spec] of Object.entries(declared)) {
          if (spec.required && spec.default === undefined) assert.ok(key in (step.with ?? {}), `${file.name}: ${step.uses} needs input "${key}"`);
        }
        checked++;
      }
    }
    assert.ok(checked >= 15, `only ${checked} local action steps found`);
  });

  it('the lint helpers catch a wrong input key, so the checks above can fail', async () => {
    assert.notDeepEqual(await workflowErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n'), []);
    assert.notDeepEqual(actionErrors('bad/action.yml', 'name: x\ndescription: y\nruns:\n  using: node24\n'), []);
    assert.match(lint['bad.yml']![0]!.message, /property "nope" is not defined/);
  });
});
