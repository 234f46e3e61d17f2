import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeGitHub } from '../github/fake-github.js';
import { pushEvent, pullRequestEvent } from './events.js';
import { jobsNamed, runWorkflow, RunnerPool, type WorkflowRunOptions } from './executor.js';
import { WorkflowError } from './expressions.js';
import type { JobResult } from './job.js';
import { expandStrategy } from './matrix.js';
import { Repository, run } from './repository.js';

/**
 * The executor's own specification, on small workflows whose steps only echo: what GitHub does
 * with needs, if/status functions, continue-on-error, matrices, outputs, the runner's files and
 * commands, local actions, the stand-ins, and what it refuses.
 */

const FLOW = `name: Flow
on:
  push:
    branches: [main]
permissions: {}
jobs:
  plan:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      matrix: \${{ steps.m.outputs.matrix }}
    steps:
      - id: m
        run: echo 'matrix={"n":[1,2],"include":[{"n":2,"extra":"x"},{"n":3}]}' >> "$GITHUB_OUTPUT"
  cells:
    name: Cell \${{ matrix.n }}
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix: \${{ fromJSON(needs.plan.outputs.matrix) }}
    steps:
      - run: echo "cell \${{ matrix.n }} extra=\${{ matrix.extra }}"
      - if: \${{ matrix.n == 2 }}
        run: exit 3
      - name: on failure
        if: failure()
        run: echo "saw the failure"
      - name: default success
        run: echo "after"
      - name: always
        if: always()
        run: echo always
  report:
    needs: [plan, cells]
    if: \${{ !cancelled() }}
    runs-on: ubuntu-latest
    steps:
      - run: echo "cells \${{ needs.cells.result }}, plan \${{ needs.plan.result }}"
  dependent:
    needs: cells
    runs-on: ubuntu-latest
    steps:
      - run: echo "never"
  fast:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        k: [a, b]
    steps:
      - if: \${{ matrix.k == 'a' }}
        run: exit 1
      - if: \${{ matrix.k == 'b' }}
        run: sleep 20
`;

const STEPS = `name: Steps
on: [push, pull_request]
permissions: {}
env:
  WORKFLOW_VAR: workflow
jobs:
  one:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    env:
      JOB_VAR: job-\${{ github.event_name }}
    outputs:
      greeting: \${{ steps.greet.outputs.greeting }}
      echoed: \${{ steps.node.outputs.echoed }}
    steps:
      - uses: actions/checkout@v6
        with:
          persist-credentials: false
      - id: a
        env:
          STEP_VAR: step-\${{ env.JOB_VAR }}
        run: |
          echo "FROM_FILE=file" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
          echo "## summary of a" >> "$GITHUB_STEP_SUMMARY"
          echo "::notice::hello $STEP_VAR $WORKFLOW_VAR"
          echo "::warning::careful"
          { echo 'multi<<EOF'; echo 'line 1'; echo 'line 2'; echo 'EOF'; } >> "$GITHUB_OUTPUT"
          echo "secret is \${{ secrets.MY_SECRET }}"
          echo "token is \${{ github.token }}"
      - id: b
        run: echo "v=$FROM_FILE $(mytool) \${{ env.FROM_FILE }} \${{ contains(steps.a.outputs.multi, 'line 1') && endsWith(steps.a.outputs.multi, 'line 2') }}" >> "$GITHUB_OUTPUT"
      - id: pipe-default
        run: false | true
      - id: pipe-bash
        shell: bash
        continue-on-error: true
        run: false | true
      - run: echo "\${{ steps.pipe-bash.outcome }}/\${{ steps.pipe-bash.conclusion }} job \${{ job.status }} \${{ steps.pipe-default.outcome }}"
      - id: greet
        uses: ./actions/greet
        with:
          who: \${{ github.event_name }}
      - id: node
        uses: ./actions/node-echo
        with:
          text: hi
      - run: git -C "$GITHUB_WORKSPACE" config --get-regexp 'extraheader' || echo "no credentials persisted"
  two:
    needs: one
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ needs.one.outputs.greeting }} \${{ needs.one.outputs.echoed }} \${{ env.JOB_VAR }}"
      - uses: actions/checkout@v6
      - run: git -C "$GITHUB_WORKSPACE" config --get-regexp 'extraheader' | wc -l
`;

const STORE = `name: Store
on: push
permissions: {}
jobs:
  produce:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
        with:
          persist-credentials: false
      - id: c
        uses: actions/cache@v5
        with:
          path: stuff
          key: stuff-\${{ hashFiles('key.txt') }}
      - if: steps.c.outputs.cache-hit != 'true'
        run: mkdir -p stuff && date +%s%N > stuff/made
      - run: echo "hit=\${{ steps.c.outputs.cache-hit }} $(cat stuff/made)"
      - run: mkdir -p out/a out/b && echo 1 > out/a/x && echo 2 > out/b/y && echo h > out/a/.hidden
      - uses: actions/upload-artifact@v7
        with:
          name: part-a
          path: out/a
      - uses: actions/upload-artifact@v7
        with:
          name: part-b
          path: out/b
          retention-days: 5
      - uses: actions/upload-artifact@v7
        with:
          name: other
          path: out/b/y
      - id: again
        continue-on-error: true
        uses: actions/upload-artifact@v7
        with:
          name: other
          path: out/b/y
  consume:
    needs: produce
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v8
        with:
          pattern: part-*
          path: many
      - uses: actions/download-artifact@v8
        with:
          pattern: part-a
          path: one
      - uses: actions/download-artifact@v8
        with:
          pattern: part-*
          path: merged
          merge-multiple: true
      - uses: actions/download-artifact@v8
        with:
          name: other
          path: named
      - run: find many one merged named -type f | sort | tr '\\n' ' '
      - id: missing
        continue-on-error: true
        uses: actions/download-artifact@v8
        with:
          name: missing
`;

const GREET = `name: greet
description: a composite action
inputs:
  who:
    description: who
    required: true
  token:
    description: token
    default: \${{ github.token }}
outputs:
  greeting:
    description: the greeting
    value: \${{ steps.g.outputs.greeting }}
runs:
  using: composite
  steps:
    - id: g
      shell: bash
      run: echo "greeting=hello \${{ inputs.who }} (token \${{ inputs.token != '' }}) from $GITHUB_ACTION_PATH" >> "$GITHUB_OUTPUT"
`;

const NODE_ECHO = `name: node-echo
description: a node action
inputs:
  text:
    description: text
    required: true
  fallback:
    description: a default
    default: from-default
outputs:
  echoed:
    description: what it echoed
runs:
  using: node24
  main: index.mjs
`;

const NODE_MAIN = `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.GITHUB_OUTPUT, \`echoed=\${process.env.INPUT_TEXT}+\${process.env.INPUT_FALLBACK}\\n\`);
`;

async function commitRepo(dir: string, files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await run('git', ['init', '--quiet', '--initial-branch=main', dir]);
  await run('git', ['-C', dir, 'add', '--all']);
  await run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '--quiet', '-m', 'fixture']);
  return (await run('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
}

const logOf = (job: JobResult) => job.steps.map((s) => s.log).join('\n');

describe('the workflow executor', () => {
  const github = new FakeGitHub();
  let root: string;
  let sha: string;
  let repository: Repository;
  const pool = new RunnerPool(2);
  const start = (workflow: string, extra: Partial<WorkflowRunOptions> = {}) =>
    runWorkflow({ repository, workflow, eventName: 'push', event: pushEvent(repository.fullName, sha), sha, pool, workRoot: join(root, 'runners'), ...extra });

  before(async () => {
    await github.start();
    root = await mkdtemp(join(tmpdir(), 'executor-'));
    sha = await commitRepo(join(root, 'origin'), {
      '.github/workflows/flow.yml': FLOW,
      '.github/workflows/steps.yml': STEPS,
      '.github/workflows/store.yml': STORE,
      '.github/workflows/unknown-action.yml':
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: someone/thing@v1\n      - run: echo after\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gh run list\n',
      '.github/workflows/unknown-function.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ frobnicate(1) }}\n',
      '.github/workflows/unknown-key.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    container: node:20\n    steps:\n      - run: echo hi\n',
      '.github/workflows/bad-pin.yml':
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@0123456789012345678901234567890123456789 # v6.1.0\n',
      '.github/workflows/timeout.yml':
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - timeout-minutes: 0.01\n        run: sleep 30\n      - if: failure()\n        run: echo after the timeout\n',
      'actions/greet/action.yml': GREET,
      'actions/node-echo/action.yml': NODE_ECHO,
      'actions/node-echo/index.mjs': NODE_MAIN,
      'key.txt': 'cache key material\n',
    });
    repository = new Repository({ github, origin: join(root, 'origin'), storage: join(root, 'storage') });
  });
  after(async () => {
    await github.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('orders jobs by needs, expands a fromJSON matrix with include, and applies if/status functions as GitHub does', async () => {
    const result = await start('flow.yml');
    const cells = jobsNamed(result, 'cells').sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      cells.map((c) => [c.name, c.matrix, c.result]),
      [
        ['Cell 1', { n: 1 }, 'success'],
        ['Cell 2', { n: 2, extra: 'x' }, 'failure'],
        ['Cell 3', { n: 3 }, 'success'],
      ],
    );
    const failed = cells[1]!;
    assert.deepEqual(
      failed.steps.map((s) => [s.name, s.conclusion]),
      [
        ['Run echo "cell 2 extra=x"', 'success'],
        ['Run exit 3', 'failure'],
        ['on failure', 'success'],
        ['default success', 'skipped'],
        ['always', 'success'],
      ],
    );
    assert.match(failed.steps[1]!.log, /Process completed with exit code 3/);
    assert.equal(cells[0]!.steps[2]!.conclusion, 'skipped', 'failure() is false in a cell that did not fail');
    assert.match(logOf(jobsNamed(result, 'report')[0]!), /cells failure, plan success/);
    assert.equal(result.results.dependent, 'skipped', 'a job needing a failed job is skipped by the default success()');
    assert.equal(result.conclusion, 'failure');
    // fail-fast (the default) cancels the other cell of `fast` when one fails.
    assert.deepEqual(
      jobsNamed(result, 'fast')
        .map((j) => j.result)
        .sort(),
      ['cancelled', 'failure'],
    );
    assert.equal(result.results.fast, 'failure');
  });

  it('passes env, GITHUB_ENV, GITHUB_PATH, outputs and summaries between steps, masks secrets, and runs local composite and node actions', async () => {
    const result = await start('steps.yml', { secrets: { MY_SECRET: 'sekrit-value-42' } });
    assert.equal(result.conclusion, 'success', JSON.stringify(result.jobs.map((j) => j.annotations)));
    const one = jobsNamed(result, 'one')[0]!;
    const log = logOf(one);
    assert.equal(one.steps.find((s) => s.id === 'b')!.outputs.v, 'file tool-ran file true');
    assert.deepEqual(
      one.annotations.map((a) => `${a.level}: ${a.message}`).filter((a) => !a.includes('setup-node')),
      ['notice: hello step-job-push workflow', 'warning: careful', 'error: Process completed with exit code 1.'],
    );
    assert.equal(one.annotations.at(-1)!.step, 'Run false | true', "continue-on-error keeps the step's error annotation, as GitHub does");
    assert.match(log, /secret is \*\*\*/);
    assert.match(log, /token is \*\*\*/);
    assert.ok(!log.includes('sekrit-value-42'));
    assert.match(
      log,
      /failure\/success job success success/,
      'bash -e ignores a failing pipe head; shell: bash has pipefail; continue-on-error keeps the job green',
    );
    assert.match(one.outputs.greeting!, /^hello push \(token true\) from .*\/actions\/greet$/);
    assert.equal(one.outputs.echoed, 'hi+from-default');
    assert.match(log, /no credentials persisted/);
    assert.equal(one.summary, '## summary of a\n');
    assert.deepEqual(one.permissions, { contents: 'read', 'pull-requests': 'write', metadata: 'read' });
    const two = jobsNamed(result, 'two')[0]!;
    assert.match(two.steps[0]!.log, /^hello push .* hi\+from-default $/m, 'job outputs reach needs; job env does not leak into another job');
    assert.equal(two.steps[2]!.log.trim(), '1', 'persist-credentials (default true) leaves the token header in the clone');
  });

  it("gives a fork's pull request a read-only token and no secrets", async () => {
    const event = pullRequestEvent(repository.fullName, { number: 3, sha, branch: 'feature', headRepository: 'eve/cifar' });
    const result = await start('steps.yml', {
      eventName: 'pull_request',
      event,
      ref: 'refs/pull/3/merge',
      fork: true,
      secrets: { MY_SECRET: 'sekrit-value-42' },
    });
    const one = jobsNamed(result, 'one')[0]!;
    assert.equal(one.permissions['pull-requests'], 'read');
    assert.match(logOf(one), /secret is $/m);
  });

  it('keeps artifacts and caches as the actions document: one match unpacks into path, several into path/<name>/', async () => {
    const first = await start('store.yml');
    assert.equal(first.conclusion, 'success', JSON.stringify(first.jobs.map((j) => j.annotations)));
    const produce = jobsNamed(first, 'produce')[0]!;
    assert.match(logOf(produce), /hit= \d+/);
    assert.match(produce.steps.find((s) => s.id === 'again')!.log, /409\) Conflict/);
    const consume = jobsNamed(first, 'consume')[0]!;
    assert.match(logOf(consume), /many\/part-a\/x many\/part-b\/y merged\/x merged\/y named\/y one\/x $/m);
    assert.match(consume.steps.find((s) => s.id === 'missing')!.log, /Artifact 'missing' not found/);
    const artifacts = repository.artifactsOf(first.id);
    assert.deepEqual(artifacts.map((a) => [a.name, Math.round((a.expires - a.created) / 86_400_000)]).sort(), [
      ['other', 90],
      ['part-a', 90],
      ['part-b', 5],
    ]);

    const second = await start('store.yml');
    const made = /hit=(\S*) (\d+)/.exec(logOf(jobsNamed(first, 'produce')[0]!))!;
    const again = /hit=(\S*) (\d+)/.exec(logOf(jobsNamed(second, 'produce')[0]!))!;
    assert.deepEqual([again[1], again[2]], ['true', made[2]], 'the second run restores what the first saved');
    assert.match(logOf(jobsNamed(second, 'produce')[0]!), /Cache hit occurred on the primary key/);
  });

  it('fails loudly on what it does not implement or GitHub would refuse', async () => {
    const unknown = await start('unknown-action.yml');
    assert.equal(unknown.conclusion, 'failure');
    assert.match(jobsNamed(unknown, 'a')[0]!.steps[0]!.log, /someone\/thing has no stand-in/);
    assert.equal(jobsNamed(unknown, 'a')[0]!.steps[1]!.conclusion, 'skipped');
    assert.match(jobsNamed(unknown, 'b')[0]!.steps[0]!.log, /gh is not available in the workflow executor/);
    await assert.rejects(start('unknown-function.yml'), (e: Error) => e instanceof WorkflowError && /frobnicate/i.test(e.message));
    await assert.rejects(start('unknown-key.yml'), /key "container" is not implemented/);
    const pin = await start('bad-pin.yml');
    assert.match(jobsNamed(pin, 'a')[0]!.steps[0]!.log, /not a commit the stand-in was checked against/);
    await assert.rejects(
      start('flow.yml', {
        eventName: 'pull_request',
        event: pullRequestEvent(repository.fullName, { number: 1, sha, branch: 'x', headRepository: repository.fullName }),
      }),
      /flow.yml does not run on pull_request/,
    );
  });

  it('kills a step past its timeout-minutes and fails it, and the job goes on to failure() steps', async () => {
    const result = await start('timeout.yml');
    const [killed, after] = jobsNamed(result, 'a')[0]!.steps;
    assert.equal(killed!.conclusion, 'failure');
    assert.match(killed!.log, /timed out after 0\.01 minutes/);
    assert.match(after!.log, /after the timeout/);
  });

  it("expands matrices by GitHub's rules: product, exclude, include extending or appending", () => {
    const strategy = expandStrategy(
      {
        matrix: {
          os: ['a', 'b'],
          v: [1, 2],
          exclude: [{ os: 'b', v: 2 }],
          include: [
            { v: 1, extra: 'e' },
            { os: 'c', v: 9 },
            { os: 'a', v: 2, os2: 'no' },
          ],
        },
      },
      'test',
    )!;
    assert.deepEqual(strategy.cells, [
      { os: 'a', v: 1, extra: 'e' },
      { os: 'a', v: 2, os2: 'no' },
      { os: 'b', v: 1, extra: 'e' },
      { os: 'c', v: 9 },
    ]);
    assert.equal(strategy.failFast, true);
    assert.throws(() => expandStrategy({ matrix: { include: [] } }, 'test'), /no cells/);
  });
});
