import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseVersionSpec } from '../data/versions.js';
import { UserError } from '../util/errors.js';
import { BUNDLE_FILES, listBundles, readBundle, type RunBundle } from './bundle.js';

/**
 * A set of runs for `exp diff`: a results folder (all its runs), one bundle folder, a version spec
 * (`v1+v2`: its runs over every seed) or run ids separated by commas.
 */
export async function selectRuns(selector: string, resultsDir: string): Promise<RunBundle[]> {
  const asPath = resolve(selector);
  if (await stat(join(asPath, BUNDLE_FILES.manifest)).catch(() => undefined)) return [await readBundle(asPath)];
  if ((await stat(asPath).catch(() => undefined))?.isDirectory()) {
    const found = await listBundles(asPath);
    if (found.length > 0) return found;
  }
  const all = await listBundles(resultsDir);
  if (/^v[0-9+v]+$/.test(selector)) {
    const spec = parseVersionSpec(selector, 'exp diff').join('+');
    const runs = all.filter((b) => b.manifest.versions === spec);
    if (runs.length > 0) return runs;
  }
  const ids = selector.split(',');
  const runs = all.filter((b) => ids.includes(b.runId));
  if (runs.length !== ids.length) {
    throw new UserError(
      `"${selector}" names no runs in ${resultsDir}: give a version spec (v1+v2), run ids (s42-v1,s100-v1) or a results folder; \`cifar10 exp show\` lists the runs`,
    );
  }
  return runs;
}
