import { isAbsolute, normalize } from 'node:path';
import { WorkflowError } from '../expressions.js';
import { boolInput, lines, type StandIn } from './index.js';

/**
 * actions/cache v5: restore the exact `key`, else the newest entry matching a `restore-keys`
 * prefix, from the run's ref or the default branch; `cache-hit` is 'true' only for the exact key
 * and stays unset on a miss. The post step (`post-if: success()`) saves under `key` unless the
 * key was hit; an existing key is never overwritten (a warning, as the action's "Unable to reserve
 * cache"). Paths are those inside the workspace.
 */
export const cache: StandIn = {
  action: 'actions/cache',
  major: 'v5',
  commits: { '27d5ce7f107fe9357f9df03efb73ab90386fccae': 'v5.0.5' },
  inputs: { path: '', key: '', 'restore-keys': '', 'fail-on-cache-miss': 'false', 'lookup-only': 'false' },
  async run(context) {
    const { inputs, repository } = context;
    const key = inputs.key!;
    const paths = lines(inputs.path!);
    if (!key) throw new WorkflowError('Input required and not supplied: key');
    if (paths.length === 0) throw new WorkflowError('Input required and not supplied: path');
    for (const path of paths) {
      if (isAbsolute(path) || path.startsWith('~') || normalize(path).startsWith('..') || /[*?[\]{}!]/.test(path)) {
        throw new WorkflowError(`cache stand-in: path "${path}" must be a literal path inside the workspace`);
      }
    }
    const restoreKeys = lines(inputs['restore-keys']!);
    const entry = repository.findCache(key, restoreKeys, context.ref);
    const exact = entry?.key === key;
    if (!entry) {
      if (boolInput(context, 'fail-on-cache-miss'))
        throw new WorkflowError(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
      context.log(`Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`);
    } else {
      if (!boolInput(context, 'lookup-only')) await repository.restoreCache(entry, context.workspace);
      context.setOutput('cache-hit', String(exact));
      context.log(`Cache restored from key: ${entry.key}`);
    }
    context.addPost(`save cache ${key}`, async (log) => {
      if (exact) return log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
      if (await repository.saveCache(key, context.ref, context.workspace, paths)) log(`Cache saved with key: ${key}`);
      else context.warning(`Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    });
  },
};
