import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Saves a model in the tfjs layers format (model.json + weights.bin) with plain file writes:
 * `file://` handlers exist only in tfjs-node, which the wasm and cpu backends run without.
 * Weights are written first and model.json last, each atomically.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      const bytes =
        weightData === undefined ? new Uint8Array() : new Uint8Array(tf.io.concatenateArrayBuffers(Array.isArray(weightData) ? weightData : [weightData]));
      await writeFileAtomic(join(dir, WEIGHTS_BIN), bytes);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, MODEL_JSON), `${JSON.stringify(json)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
    }),
  );
}

/**
 * The parts of tfjs's `model.json` (its layers-model format, versioned by tfjs itself) that loading
 * reads: the topology as tfjs wrote it, and where the weights are. tfjs checks each weight entry.
 */
const ModelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({ paths: z.array(z.string()), weights: z.array(z.custom<tf.io.WeightsManifestEntry>((w) => typeof w === 'object' && w !== null)) }),
  ),
});

/** Loads a layers-format model written by `saveLayersModel` (or any single-shard tfjs export). */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  const jsonFile = join(dir, MODEL_JSON);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(jsonFile, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read the model ${jsonFile} (${(error as Error).message}); run \`cifar10 train\` first`, { cause: error });
  }
  const parsed = ModelJsonSchema.safeParse(doc);
  if (!parsed.success) {
    throw new UserError(`${jsonFile} is not a tfjs layers model (no modelTopology/weightsManifest); re-run \`cifar10 train\``);
  }
  const json = parsed.data;
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      const file = join(dir, path);
      try {
        const bytes = await readFile(file);
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      } catch (error) {
        throw new UserError(`cannot read model weights ${file} (${(error as Error).message}); re-run \`cifar10 train\``, { cause: error });
      }
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (error) {
    throw new UserError(`${jsonFile} does not load (${(error as Error).message}); re-run \`cifar10 train\``, { cause: error });
  }
}
