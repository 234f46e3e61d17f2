import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitMarkdownBudget, GITHUB_COMMENT_LIMIT, type MarkdownSection } from '../../src/report/budget.js';
import { runReportSections } from '../../src/report/run-report.js';
import { sampleConfusion, sampleMetrics, sampleTrainLog } from './fixtures.js';

const block = (char: string, length: number) => `${char.repeat(79)}\n`.repeat(Math.ceil(length / 80)).slice(0, length);

describe('markdown size budget', () => {
  it('keeps a short document open and unchanged', () => {
    const sections: MarkdownSection[] = [
      { body: 'verdict', fold: 'never' },
      { title: 'Metrics', body: '| a |\n| - |' },
    ];
    const result = fitMarkdownBudget(sections);
    assert.equal(result.markdown, 'verdict\n\n### Metrics\n\n| a |\n| - |');
    assert.deepEqual([result.folded, result.omitted], [[], []]);
  });

  it('folds sections into <details> once the open text passes the open budget', () => {
    const sections: MarkdownSection[] = [
      { title: 'One', body: block('a', 500) },
      { title: 'Two', body: block('b', 500) },
      { title: 'Three', body: block('c', 100), fold: 'always' },
    ];
    const result = fitMarkdownBudget(sections, { openBudget: 700 });
    assert.deepEqual(result.folded, ['Two', 'Three']);
    assert.match(result.markdown, /^### One\n\naaa/);
    assert.match(result.markdown, /<details><summary>Two<\/summary>\n\nbbb[\s\S]*\n\n<\/details>/);
    assert.match(result.markdown, /<details><summary>Three<\/summary>/);
  });

  it('keeps a huge report under 65,536 characters, dropping later sections first', () => {
    const sections: MarkdownSection[] = [
      { body: 'verdict line', fold: 'never' },
      { title: 'Metrics', body: block('m', 2_000), fold: 'never' },
      { title: 'Per image', body: block('x', 50_000) },
      { title: 'Hard images', body: block('y', 40_000) },
    ];
    const result = fitMarkdownBudget(sections);
    assert.ok(result.markdown.length < GITHUB_COMMENT_LIMIT, `${result.markdown.length} characters`);
    assert.deepEqual(result.omitted, ['Hard images']);
    assert.match(result.markdown, /<details><summary>Hard images<\/summary>\n\n_40,000 characters left out/);
    assert.ok(result.markdown.includes(block('x', 50_000)), 'the earlier section survives whole');
    assert.ok(result.markdown.startsWith('verdict line\n\n### Metrics'));
  });

  it('leaves room for what the caller adds around the document', () => {
    const sections: MarkdownSection[] = [
      { title: 'Big', body: block('z', 70_000) },
      { body: 'tail', fold: 'never' },
    ];
    const result = fitMarkdownBudget(sections, { reserve: 1_000 });
    assert.ok(result.markdown.length < GITHUB_COMMENT_LIMIT - 1_000);
    assert.deepEqual(result.omitted, ['Big']);
    assert.ok(result.markdown.endsWith('tail'));
  });

  it('cuts even sections that must stay open rather than exceed the limit', () => {
    const result = fitMarkdownBudget([{ body: '🟥'.repeat(40_000), fold: 'never' }], { limit: 10_001 });
    assert.ok(result.markdown.length <= 10_000);
    assert.match(result.markdown, /characters left out/);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(result.markdown), 'no emoji cut in half');
  });

  it('fits a real run report into a small budget by folding the tables', () => {
    const confusion = sampleConfusion();
    const sections = runReportSections({ metrics: sampleMetrics(confusion), confusion, trainLog: sampleTrainLog() });
    const result = fitMarkdownBudget(sections, { openBudget: 2_500 });
    assert.deepEqual(result.folded, ['Confusion matrix', 'Per class', 'Training']);
    assert.match(result.markdown, /### Metrics/);
  });
});
