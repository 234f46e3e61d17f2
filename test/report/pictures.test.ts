import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { IMAGE_BYTES } from '../../src/cifar/records.js';
import type { PackedSplit } from '../../src/data/packed.js';
import { predictionRows } from '../../src/evaluate/predictions.js';
import { confusionHeatmapSpec, learningCurvePoints, learningCurvesSpec } from '../../src/report/charts.js';
import { contactSheetLayout, renderContactSheet } from '../../src/report/contact-sheet.js';
import { misclassifiedImages, renderMisclassifiedGrid } from '../../src/report/misclassified.js';
import { writeRunPictures } from '../../src/report/pictures.js';
import { renderVegaLitePng, renderVegaLiteSvg } from '../../src/report/render.js';
import { sampleConfusion, sampleTrainLog } from './fixtures.js';
import { assertPicture, pixelAt } from './png-assert.js';

/** `count` solid-colour 32×32 images, image i coloured (20i, 255 − 20i, 7i): easy to find on a sheet. */
function solidSplit(count: number): PackedSplit {
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 1024; p++) pixels.set([20 * i, 255 - 20 * i, 7 * i], i * IMAGE_BYTES + 3 * p);
  }
  return { ids: Array.from({ length: count }, (_, i) => `test-${i}`), labels: new Uint8Array(count), pixels };
}
const colourOf = (i: number): [number, number, number] => [20 * i, 255 - 20 * i, 7 * i];

/** Predictions over 3 classes where image i is wrong (true 0, predicted 1) with confidence 0.5 + 0.04i for odd i. */
function sampleRows(count: number) {
  const probabilities = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    const p = 0.5 + 0.04 * i;
    probabilities.set(i % 2 === 1 ? [1 - p, p, 0] : [p, 1 - p, 0], i * 3);
  }
  return predictionRows(solidSplit(count).ids, new Uint8Array(count), probabilities, ['cat', 'dog', 'frog']);
}

describe('report pictures', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('draws the confusion heat map with class names and counts as text', async () => {
    const confusion = sampleConfusion();
    const svg = await renderVegaLiteSvg(confusionHeatmapSpec(confusion.classes, confusion.matrix));
    for (const name of CLASS_NAMES) assert.ok(svg.includes(`>${name}<`), `class name ${name} in the picture`);
    assert.ok(svg.includes('>22<'), 'the cat → dog count is printed');
    const normalised = await renderVegaLiteSvg(confusionHeatmapSpec(confusion.classes, confusion.matrix, { normalised: true }));
    assert.ok(normalised.includes('>22%<') && normalised.includes('>93%<'), 'row shares are printed as percentages');
    const facts = await assertPicture(await renderVegaLitePng(confusionHeatmapSpec(confusion.classes, confusion.matrix)), {
      minWidth: 450,
      maxWidth: 900,
      minHeight: 450,
      maxHeight: 900,
      maxBytes: 150_000,
    });
    const doubled = await renderVegaLitePng(confusionHeatmapSpec(confusion.classes, confusion.matrix), { scale: 2 });
    await assertPicture(doubled, {
      minWidth: facts.width * 2 - 2,
      maxWidth: facts.width * 2 + 2,
      minHeight: facts.height * 2 - 2,
      maxHeight: facts.height * 2 + 2,
    });
  });

  it('draws learning curves for train and validation, skipping values the log left empty', async () => {
    const log = sampleTrainLog(5);
    log[4] = { ...log[4]!, val_loss: null, val_acc: null };
    const points = learningCurvePoints(log);
    assert.equal(points.length, 5 * 4 - 2);
    assert.deepEqual(
      points.slice(0, 4).map((p) => `${p.metric}/${p.split}`),
      ['loss/train', 'loss/validation', 'accuracy/train', 'accuracy/validation'],
    );
    const svg = await renderVegaLiteSvg(learningCurvesSpec(log));
    assert.ok(svg.includes('>validation<') && svg.includes('>accuracy<'), 'legend and panel titles are drawn');
    await assertPicture(await renderVegaLitePng(learningCurvesSpec(log)), { minWidth: 700, maxWidth: 1000, minHeight: 250, maxHeight: 400, maxBytes: 150_000 });
  });

  it('lays a contact sheet out in a grid with each image upscaled in its cell', async () => {
    const split = solidSplit(5);
    const images = [0, 1, 2, 3, 4].map((i) => ({
      pixels: split.pixels.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
      caption: [`image ${i}`, { text: 'red line', color: '#ff0000' }],
    }));
    const layout = contactSheetLayout(images, { columns: 3, scale: 2 });
    const png = await renderContactSheet(images, { columns: 3, scale: 2 });
    const facts = await assertPicture(png, { minWidth: 100, maxWidth: 600, minHeight: 100, maxHeight: 600 });
    assert.deepEqual([facts.width, facts.height], [layout.width, layout.height]);
    assert.equal(layout.width, 3 * layout.cellWidth);
    assert.equal(layout.height, 2 * layout.cellHeight);
    assert.deepEqual([layout.tiles[4]!.width, layout.tiles[4]!.height], [64, 64]);
    for (const i of [0, 4]) {
      const tile = layout.tiles[i]!;
      assert.deepEqual(await pixelAt(png, tile.left + 1, tile.top + 1), colourOf(i), `image ${i} sits at its tile`);
      assert.deepEqual(await pixelAt(png, tile.left + tile.width - 2, tile.top + tile.height - 2), colourOf(i));
    }
    assert.throws(() => contactSheetLayout([{ pixels: new Uint8Array(10), caption: [] }]), /image 0: 10 bytes, expected 3072/);
  });

  it('shows the most confidently misclassified images first, pixels from the packed split', async () => {
    const rows = sampleRows(10);
    const split = solidSplit(10);
    const png = await renderMisclassifiedGrid(rows, split, { limit: 3, columns: 3 });
    await assertPicture(png, { minWidth: 200, maxWidth: 800, minHeight: 100, maxHeight: 400 });
    // Wrong images are the odd ones; the most confident are 9, 7, 5.
    const images = misclassifiedImages(rows, split, 3);
    const layout = contactSheetLayout(images, { columns: 3, title: 'x' });
    for (const [slot, image] of [9, 7, 5].entries()) {
      const tile = layout.tiles[slot]!;
      assert.deepEqual(await pixelAt(png, tile.left + 5, tile.top + 5), colourOf(image));
    }
    assert.deepEqual(
      images[0]!.caption.map((c) => (typeof c === 'string' ? c : c.text)),
      ['test-9', 'true: cat', 'pred: dog 86%'],
    );
  });

  it('still draws a picture when nothing is misclassified', async () => {
    const rows = sampleRows(4).map((row) => ({ ...row, predictedClass: row.trueClass }));
    const png = await renderMisclassifiedGrid(rows, solidSplit(4), { limit: 8 });
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.ok(
      data.some((v) => v < 128),
      'the message is drawn',
    );
  });

  it('writes every picture of a run into the reports folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pictures-'));
    dirs.push(dir);
    const written = await writeRunPictures({
      dir,
      confusion: sampleConfusion(),
      trainLog: sampleTrainLog(),
      predictions: sampleRows(6),
      split: solidSplit(6),
      misclassified: 4,
      scale: 1,
    });
    assert.deepEqual(written.map((p) => p.slice(dir.length + 1)).sort(), [
      'confusion.png',
      'confusion_normalized.png',
      'learning_curves.png',
      'misclassified.png',
    ]);
    for (const path of written) await assertPicture(await readFile(path), { minWidth: 100, maxWidth: 1200, minHeight: 60, maxHeight: 1200, maxBytes: 200_000 });
  });
});
