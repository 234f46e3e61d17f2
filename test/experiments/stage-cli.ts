/**
 * A stand-in for `cifar10 prepare|train|evaluate` with the same flags and files, for runner tests
 * that must not spend minutes in tfjs. Its "model" is a rule: images whose id hashes to 0 mod 3 are
 * always misclassified (as the next class), others wrong when (id, seed) hashes to 0 mod 4, so hard
 * images and seed noise are known in advance. Metrics and files come from the real evaluate code.
 * Env: FAKE_FAIL_SEED=<seed> makes train fail for that seed; FAKE_TRAIN_MS=<ms> makes train slow.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { testSetPartitions } from '../../src/data/recipe.js';
import { md5Bytes } from '../../src/dvc/index.js';
import { classificationMetrics } from '../../src/evaluate/metrics.js';
import { toMetricsFile, writeConfusionFiles, writeMetricsJson, writePredictionsCsv } from '../../src/evaluate/report-files.js';
import type { PredictionRow } from '../../src/evaluate/predictions.js';
import { confusionMatrix } from '../../src/evaluate/metrics.js';
import { writeTiming } from '../../src/util/timing.js';

const hash = (text: string) => parseInt(md5Bytes(text).slice(0, 8), 16);

/** Whether the fake model gets `id` wrong with `seed`: the rule the tests check against. */
export function fakeWrong(id: string, seed: number): boolean {
  return hash(id) % 3 === 0 || hash(`${id}/${seed}`) % 4 === 0;
}

/** The fake split: every image whose id hashes to 0 mod 2 is a test image (held out from every spec). */
export function fakeIsTest(id: string): boolean {
  return hash(`split/${id}`) % 2 === 0;
}

/** The two params the fake reads, of the params.yaml the runner wrote. */
const FakeParams = z.object({ data: z.object({ versions: z.string() }), train: z.object({ seed: z.number() }) });

async function params(): Promise<z.infer<typeof FakeParams>> {
  return FakeParams.parse(parseYaml(await readFile('params.yaml', 'utf8')));
}

async function main(command: string): Promise<void> {
  const p = await params();
  if (command === 'prepare') {
    // As the real prepare: the test images of every partition the recipe lists, whatever the spec.
    const test: { id: string; class: string }[] = [];
    for (const v of await testSetPartitions('data/partitions')) {
      const rows = parse(await readFile(join('data/partitions', v, 'manifest.csv'), 'utf8'), { columns: true }) as { id: string; class: string }[];
      test.push(...rows.filter((r) => fakeIsTest(r.id)));
    }
    await mkdir('data/prepared', { recursive: true });
    await writeFile('data/prepared/test.json', JSON.stringify(test));
  } else if (command === 'train') {
    if (process.env['FAKE_TRAIN_MS']) await new Promise((r) => setTimeout(r, Number(process.env['FAKE_TRAIN_MS'])));
    if (process.env['FAKE_FAIL_SEED'] === String(p.train.seed)) {
      process.stderr.write('fake training diverged\n');
      process.exit(2);
    }
    await mkdir('models/model', { recursive: true });
    await writeFile('models/model/training.json', JSON.stringify({ seed: p.train.seed }));
    await mkdir('reports', { recursive: true });
    await writeFile('reports/train_log.tsv', 'epoch\tloss\tacc\tval_loss\tval_acc\tlr\n1\t1\t0.5\t1\t0.5\t0.001\n');
    await writeTiming('reports/timing.json', {
      train: { backend: 'fake', seconds: 1, images_per_second: 100, epochs: [{ epoch: 1, seconds: 1, images_per_second: 100 }] },
    });
  } else if (command === 'evaluate') {
    const test = JSON.parse(await readFile('data/prepared/test.json', 'utf8')) as { id: string; class: string }[];
    const labels = test.map((t) => CLASS_NAMES.indexOf(t.class as (typeof CLASS_NAMES)[number]));
    const predicted = test.map((t, i) => (fakeWrong(t.id, p.train.seed) ? (labels[i]! + 1) % 10 : labels[i]!));
    const rows: PredictionRow[] = test.map((t, i) => ({
      id: t.id,
      trueClass: t.class,
      predictedClass: CLASS_NAMES[predicted[i]!]!,
      confidence: 0.9,
      top: [{ className: CLASS_NAMES[predicted[i]!]!, probability: 0.9 }],
    }));
    const metrics = classificationMetrics({ trueLabels: labels, predictedLabels: predicted, classes: CLASS_NAMES });
    await writeMetricsJson('reports/metrics.json', toMetricsFile(metrics, { backend: 'fake', data_version: p.data.versions, seed: p.train.seed }));
    await writeConfusionFiles('reports', { classes: [...CLASS_NAMES], matrix: confusionMatrix(labels, predicted, 10) });
    await writePredictionsCsv('reports/predictions.csv', rows);
  } else {
    throw new Error(`unknown command ${command}`);
  }
}

if (process.argv[1]?.endsWith('stage-cli.js')) await main(process.argv[2] ?? '');
