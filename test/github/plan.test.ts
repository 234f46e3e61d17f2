import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSeedList, parseVersionList } from '../../src/experiments/matrix.js';
import { detectableShift, powerAt } from '../../src/experiments/welch.js';
import { detectableNote, parseEpochs, planMatrix } from '../../src/github/plan.js';

const defaults = { full: { seeds: [42, 100, 2025], versions: ['v1', 'v1+v2'], epochs: 20 }, quick: { seeds: [1, 2], versions: ['v1'], epochs: 2 } };

describe('planMatrix', () => {
  it('gives pushes and merge queues the quick plan, so main runs are the PR baseline', () => {
    for (const event of ['push', 'merge_group', 'pull_request']) {
      const plan = planMatrix(event, {}, defaults);
      assert.equal(plan.kind, 'quick');
      assert.deepEqual(
        plan.cells.map((c) => c.cell),
        ['s1-v1', 's2-v1'],
      );
    }
  });

  it('fills empty workflow_dispatch inputs from the full defaults, one by one', () => {
    const plan = planMatrix('workflow_dispatch', { inputs: { seeds: '', versions: 'v2', epochs: '' } }, defaults);
    assert.deepEqual(plan.cells, [
      { cell: 's42-v2', seed: 42, versions: 'v2', epochs: 20 },
      { cell: 's100-v2', seed: 100, versions: 'v2', epochs: 20 },
      { cell: 's2025-v2', seed: 2025, versions: 'v2', epochs: 20 },
    ]);
  });

  it('refuses an event it has no plan for, naming the events it knows', () => {
    assert.throws(() => planMatrix('issues', {}, defaults), /does not know the event "issues"; run it on pull_request, push, schedule or workflow_dispatch/);
  });
});

describe('input parsing', () => {
  it('reads seed lists and ranges, and rejects backwards ranges and repeats', () => {
    assert.deepEqual(parseSeedList('1, 2 3-5', 'x'), [1, 2, 3, 4, 5]);
    assert.throws(() => parseSeedList('5-3', 'input "seeds"'), /input "seeds": range "5-3" runs backwards/);
    assert.throws(() => parseSeedList('1,1', 'x'), /appears twice/);
    assert.throws(() => parseSeedList(' ', 'x'), /no seeds given/);
  });

  it('canonicalises version specs and rejects unknown shapes', () => {
    assert.deepEqual(parseVersionList('v1 , v1+v2', 'x'), ['v1', 'v1+v2']);
    assert.throws(() => parseVersionList('v1,version2', 'x'), /"version2" in "version2" is not a partition name/);
  });

  it('accepts 1 to 1000 epochs only', () => {
    assert.equal(parseEpochs(' 7 ', 'x'), 7);
    assert.throws(() => parseEpochs('0', 'input "epochs"'), /input "epochs": "0" is not a number of epochs/);
    assert.throws(() => parseEpochs('2.5', 'x'), /whole number from 1 to 1000/);
  });
});

describe('what a number of seeds can detect', () => {
  it('is stated by the plan, and docs/github-actions.md "How many seeds" shows the same figures', async () => {
    assert.match(detectableNote(3), /^3 seeds per version: .* a change of 3\.0 sd of seed noise is detected 80% of the time/);
    assert.match(detectableNote(1), /no comparison with main can be judged/);
    const doc = await readFile(fileURLToPath(new URL('../../../docs/github-actions.md', import.meta.url)), 'utf8');
    for (const n of [2, 3, 4, 5]) {
      const row = `| ${n} | ${detectableShift(n).toFixed(1)} sd | ${(powerAt(n, 3) * 100).toFixed(0)}% | ${n} |`;
      assert.ok(doc.includes(row), `docs/github-actions.md lacks the row ${row}`);
    }
  });
});
