import type { CommandHint, Shell } from './util/hints.js';

/** DVC's data verbs, which the `cifar10` program keeps under `cifar10 data …`; the rest are top-level (`cifar10 repro`). */
const DATA_VERBS = new Set(['init', 'add', 'status', 'fetch', 'pull', 'push', 'checkout', 'remote add', 'remote modify', 'remote list', 'remote default']);

/**
 * How the `cifar10` program spells the commands that messages name (`pull` → `cifar10 data pull`).
 * The CLI and the actions install it at start-up, so the fixes they print name commands a user of
 * this project can run.
 */
export const CIFAR10_SHELL: Shell = {
  name: 'cifar10',
  command: (hint: CommandHint) => ['cifar10', ...(DATA_VERBS.has(hint.verb) ? ['data'] : []), hint.verb, ...hint.args].join(' '),
};
