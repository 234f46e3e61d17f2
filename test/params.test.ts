import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, mock, test } from 'node:test';
import { DATA_PARAMS, PREPARE_PARAMS } from '../src/data/params.js';
import { EVALUATE_PARAMS } from '../src/evaluate/params.js';
import { TRAIN_PARAMS, trainParamsFrom, TUNE_PARAMS, tuneParamsFrom } from '../src/model/params.js';
import { paramsGroup, readParamsFile } from '../src/params.js';
import { UserError } from '../src/util/errors.js';

/** The lines readParamsFile writes to stderr while reading `yaml`. */
async function warningsFor(yaml: string): Promise<{ file: string; lines: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'params-'));
  const file = join(dir, 'params.yaml');
  const lines: string[] = [];
  const write = mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await writeFile(file, yaml);
    await readParamsFile(file);
  } finally {
    write.mock.restore();
    await rm(dir, { recursive: true, force: true });
  }
  return { file, lines };
}

test('a top-level group one or two edits from a stage group is named in one warning with the group it resembles', async () => {
  const { file, lines } = await warningsFor('data:\n  versions: v1\ntrian:\n  epochs: 3\n');
  assert.deepEqual(lines, [`warning: ${file}: unknown group "trian" is ignored; did you mean "train"?\n`]);
});

test("the user's own groups, far from every stage group, are read silently", async () => {
  const { lines } = await warningsFor('data:\n  versions: v1\nplots:\n  width: 3\ncustom_notes:\n  owner: me\n');
  assert.deepEqual(lines, []);
});

describe('a params group read through its schema', () => {
  const refused = (group: string, values: Record<string, unknown>, message: string) =>
    assert.throws(
      () => {
        const schema = { data: DATA_PARAMS, prepare: PREPARE_PARAMS, train: TRAIN_PARAMS, tune: TUNE_PARAMS, evaluate: EVALUATE_PARAMS }[group]!;
        paramsGroup({ [group]: values }, group, schema, 'params.yaml');
      },
      (error: unknown) => error instanceof UserError && error.message === message,
    );

  test('fills every default, and an empty key (null) means the default', () => {
    const train = trainParamsFrom({ train: { epochs: 2, lr: null } }, 'params.yaml');
    assert.equal(train.epochs, 2);
    assert.equal(train.lr, 0.003);
    assert.equal(train.arch, 'bn');
    assert.deepEqual(tuneParamsFrom({}, 'params.yaml').lr, [0.001, 0.003, 0.01]);
    assert.deepEqual(paramsGroup({}, 'evaluate', EVALUATE_PARAMS), {
      split: 'test',
      batch_size: 500,
      misclassified: 24,
      min_accuracy: 0,
      pictures: true,
      tta: true,
    });
  });

  test('a list key takes a single value as a one-element list', () => {
    assert.deepEqual(tuneParamsFrom({ tune: { lr: 0.01, arch: 'bn' } }, 'params.yaml').lr, [0.01]);
    assert.deepEqual(tuneParamsFrom({ tune: { arch: 'bn' } }, 'params.yaml').arch, ['bn']);
  });

  test('each refusal names the source, the key, what was expected and what it got', () => {
    refused('train', { arch: 'resnet' }, 'params.yaml: train.arch: expected one of fast, deep, bn, got "resnet"');
    refused('train', { epochs: 2.5 }, 'params.yaml: train.epochs: expected an integer, got 2.5');
    refused('train', { width: 'wide' }, 'params.yaml: train.width: expected a number, got "wide"');
    refused('train', { width: 9 }, 'params.yaml: train.width: expected a value ≤ 8, got 9');
    refused('train', { flip: 'yes' }, 'params.yaml: train.flip: expected true or false, got "yes"');
    refused('data', { versions: 2 }, 'params.yaml: data.versions: expected a string, got 2');
    refused('prepare', { val: -0.1 }, 'params.yaml: prepare.val: expected a value ≥ 0, got -0.1');
    refused('tune', { arch: ['fast', 'vgg'] }, 'params.yaml: tune.arch: expected one of fast, deep, bn, got ["fast","vgg"]');
    refused('tune', { batch_size: [64, 0] }, 'params.yaml: tune.batch_size: expected a value ≥ 1, got [64,0]');
    refused('evaluate', { split: 'train' }, 'params.yaml: evaluate.split: expected one of test, val, got "train"');
  });

  test('an unknown key is refused before any value, listing the known keys; a group that is not a mapping too', () => {
    refused(
      'evaluate',
      { splt: 'test', batch_size: 0 },
      'params.yaml: unknown key "evaluate.splt"; known keys of "evaluate": split, batch_size, misclassified, min_accuracy, pictures, tta',
    );
    assert.throws(() => paramsGroup({ data: ['v1'] }, 'data', DATA_PARAMS, 'params.yaml'), /^UserError: params\.yaml: "data" must be a mapping of keys$/);
  });

  test('the key set by an override is blamed on it, the others on the file', () => {
    const source = (key: string) => (key === 'train.lr' ? '-S train.lr=0' : 'params.yaml');
    assert.throws(() => trainParamsFrom({ train: { lr: 0 } }, source), /^UserError: -S train\.lr=0: train\.lr: expected a value > 0, got 0 \(every schedule/);
    assert.throws(() => trainParamsFrom({ train: { epochs: 0 } }, source), /^UserError: params\.yaml: train\.epochs: expected a value ≥ 1, got 0$/);
  });
});
