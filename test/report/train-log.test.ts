import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTrainLog, readTrainLog } from '../../src/report/train-log.js';
import { UserError } from '../../src/util/errors.js';

describe('training log reader', () => {
  it('reads the tab-separated columns as numbers and empty or NaN cells as null', () => {
    const text = 'epoch\tloss\tacc\tval_loss\tval_acc\tlr\n1\t2.1\t0.25\t2.0\t0.3\t0.003\n2\t1.7\t0.4\t\tNaN\t0.003\n';
    assert.deepEqual(parseTrainLog(text), [
      { epoch: 1, loss: 2.1, acc: 0.25, val_loss: 2.0, val_acc: 0.3, lr: 0.003 },
      { epoch: 2, loss: 1.7, acc: 0.4, val_loss: null, val_acc: null, lr: 0.003 },
    ]);
  });

  it('ignores the seconds and images/s columns of logs written before timings moved to timing.json', () => {
    const text = 'epoch\tloss\tacc\tval_loss\tval_acc\tlr\tseconds\timages_per_s\n1\t2.1\t0.25\t2.0\t0.3\t0.003\t31.5\t512\n';
    assert.deepEqual(parseTrainLog(text), [{ epoch: 1, loss: 2.1, acc: 0.25, val_loss: 2.0, val_acc: 0.3, lr: 0.003 }]);
  });

  it('accepts a log without the optional columns', () => {
    assert.deepEqual(parseTrainLog('epoch\tloss\n3\t0.5\n')[0], { epoch: 3, loss: 0.5, acc: null, val_loss: null, val_acc: null, lr: null });
  });

  it('rejects a log without an epoch column or with a non-numeric epoch, naming the file', () => {
    assert.throws(
      () => parseTrainLog('step,loss\n1,2\n', 'log.tsv'),
      (e: unknown) => e instanceof UserError && /log\.tsv: no "epoch" column/.test(e.message),
    );
    assert.throws(() => parseTrainLog('epoch\tloss\nfirst\t2\n', 'log.tsv'), /log\.tsv:2: epoch "first"/);
  });

  it('tells the user to train first when the log is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'train-log-'));
    try {
      await assert.rejects(readTrainLog(join(dir, 'train_log.tsv')), /run `cifar10 train` first/);
      await writeFile(join(dir, 'train_log.tsv'), 'epoch\tloss\n1\t1\n');
      assert.equal((await readTrainLog(join(dir, 'train_log.tsv'))).length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
