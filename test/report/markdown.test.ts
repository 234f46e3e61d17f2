import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confusionTable, metricsTable, perClassTable, trainingTable, verdictLine } from '../../src/report/markdown.js';
import { runReportMarkdown } from '../../src/report/run-report.js';
import { assertGolden } from './golden.js';
import { sampleConfusion, sampleMetrics, sampleTiming, sampleTrainLog } from './fixtures.js';

/** The trimmed cells of a markdown table row. */
const cellsOf = (line: string): string[] =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
const rowOf = (table: string, first: string): string[] => cellsOf(table.split('\n').find((l) => cellsOf(l)[0] === first)!);

describe('report markdown', () => {
  const confusion = sampleConfusion();
  const metrics = sampleMetrics(confusion);

  it('renders the whole run report exactly as the golden file', async () => {
    await assertGolden(
      'run-report.md',
      runReportMarkdown({
        metrics,
        confusion,
        trainLog: sampleTrainLog(),
        timing: sampleTiming(),
        minAccuracy: 0.5,
        pictures: ['confusion.png', 'confusion_normalized.png', 'learning_curves.png', 'misclassified.png'],
      }),
    );
  });

  it('renders metrics against a baseline with signed differences (golden)', async () => {
    const baseline = sampleMetrics(sampleConfusion(2));
    await assertGolden('metrics-vs-baseline.md', `${metricsTable(metrics, baseline)}\n`);
  });

  it('gives the same bytes on every call', () => {
    const a = runReportMarkdown({ metrics, confusion, trainLog: sampleTrainLog() });
    const b = runReportMarkdown({ metrics: sampleMetrics(sampleConfusion()), confusion: sampleConfusion(), trainLog: sampleTrainLog() });
    assert.equal(a, b);
  });

  it('shades the confusion matrix so big mistakes and weak classes stand out', () => {
    const table = confusionTable(confusion);
    assert.equal(table.split('\n').length, 12);
    const cat = rowOf(table, '**cat**');
    assert.equal(cat[6], '🟥 22', 'cat → dog is 22% of the cats');
    assert.equal(cat[4], '🟨 **66**', 'the diagonal is bold, yellow between 50% and 75% recall');
    assert.equal(rowOf(table, '**automobile**')[2], '🟩 **93**');
    assert.equal(rowOf(table, '**bird**')[5], '🟨 7');
    assert.equal(rowOf(table, '**truck**')[2], '🟧 12');
    assert.ok(!/🟨 [1-4] /.test(table), 'shares under 5% stay plain');
    assert.deepEqual(cellsOf(table.split('\n')[0]!).slice(0, 3), ['true \\ predicted', 'plane', 'car']);
  });

  it('marks a weak diagonal red and leaves a row without support unshaded', () => {
    const table = confusionTable({
      classes: ['a', 'b', 'c'],
      matrix: [
        [4, 6, 0],
        [1, 1, 0],
        [0, 0, 0],
      ],
    });
    assert.deepEqual(rowOf(table, '**a**'), ['**a**', '🟥 **4**', '🟥 6', '0']);
    assert.deepEqual(rowOf(table, '**c**'), ['**c**', '0', '0', '**0**']);
  });

  it('states pass or fail against the accuracy bar in the verdict', () => {
    assert.match(
      verdictLine(metrics, { minAccuracy: 0.5, confusion }),
      /^✅ \*\*\d+\.\d%\*\* accuracy on 1,000 test images \(`v1\+v2`, seed 42\), at or above the 50\.0% bar; best \w+ \(F1 0\.\d\d\), worst cat \(F1 0\.\d\d\); most confused: cat → dog \(22\)\.$/,
    );
    assert.match(verdictLine(metrics, { minAccuracy: 0.99 }), /^❌ .* below the 99\.0% bar; /);
    assert.match(verdictLine(metrics), /^📊 /);
    assert.match(
      verdictLine(metrics, { baseline: { ...metrics, accuracy: metrics.accuracy - 0.012 } }),
      /^📊 \*\*\d+\.\d%\*\* \(\+1\.2 pp vs baseline\) accuracy/,
    );
  });

  it('names the class each class is most often mistaken for', () => {
    assert.equal(rowOf(perClassTable(metrics, confusion), 'cat')[5], 'dog (22)');
  });

  it('shows time and speed from the timing file, and leaves them out without one (report.md, which dvc.lock hashes)', () => {
    const timed = runReportMarkdown({ metrics, confusion, trainLog: sampleTrainLog(), timing: sampleTiming() });
    const untimed = runReportMarkdown({ metrics, confusion, trainLog: sampleTrainLog() });
    assert.match(timed, /\| test images \| data version \| seed \| backend \| images\/s \|/);
    assert.deepEqual(rowOf(trainingTable(sampleTrainLog(6), sampleTiming().train), '6').slice(4), ['195 s', '523']);
    assert.ok(!/images\/s|train time/.test(untimed), 'no column for a time the report does not know');
    assert.match(untimed, /\| test images \| data version \| seed \| backend \|\n/);
  });

  it('summarises training with the best validation epoch', () => {
    const table = trainingTable(sampleTrainLog(6));
    assert.deepEqual(rowOf(table, '6').slice(0, 3), ['6', '57.0% (5)', '70.0%']);
    assert.equal(trainingTable([]), '_The training log is empty._');
    const tie = sampleTrainLog(3).map((row) => ({ ...row, val_acc: 0.5 }));
    assert.equal(rowOf(trainingTable(tie), '3')[1], '50.0% (3)', 'a tie goes to the lower val_loss, as the checkpoint does');
  });
});
