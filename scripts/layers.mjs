/**
 * The layers of src/, bottom first: the one list that the lint rule (eslint.config.js, through
 * eslint-plugin-boundaries) and the picture in docs/architecture.md (scripts/architecture.mjs) are
 * made from. A folder may import its own files, every folder of a lower layer and the folders of
 * its own layer named in `peers`, unless `only` names all it may import. Everything under test/,
 * bench/ and scripts/ may import anything.
 *
 * A new folder under src/ fails lint (boundaries/no-unknown-files) until it is placed here.
 */

/**
 * @typedef {{ name: string, paths: string[], peers?: string[], only?: string[] }} Folder
 *   `name` is what the lint rule and the picture call it; `paths` are folders (every file below)
 *   or single files, relative to the repository root.
 * @typedef {{ name: string, folders: Folder[] }} Layer
 */

/** @type {Layer[]} */
export const LAYERS = [
  {
    name: 'base',
    folders: [
      { name: 'util', paths: ['src/util'], peers: ['paths', 'params'] },
      { name: 'paths', paths: ['src/paths.ts'], peers: ['util', 'params'] },
      { name: 'params', paths: ['src/params.ts'], peers: ['util', 'paths'] },
      // How the project's program spells the commands messages name; both shells install it.
      { name: 'cifar10-shell', paths: ['src/cifar10-shell.ts'], peers: ['util'] },
    ],
  },
  { name: 'cifar', folders: [{ name: 'cifar', paths: ['src/cifar'] }] },
  {
    name: 'data and dvc',
    folders: [
      // A library that knows nothing of the project: not its layout, its data or its commands.
      { name: 'dvc', paths: ['src/dvc'], only: ['util'] },
      { name: 'data', paths: ['src/data'], peers: ['dvc'] },
    ],
  },
  { name: 'model', folders: [{ name: 'model', paths: ['src/model'] }] },
  { name: 'evaluate', folders: [{ name: 'evaluate', paths: ['src/evaluate'] }] },
  { name: 'report', folders: [{ name: 'report', paths: ['src/report'] }] },
  { name: 'stages', folders: [{ name: 'stages', paths: ['src/stages'] }] },
  { name: 'experiments', folders: [{ name: 'experiments', paths: ['src/experiments'] }] },
  { name: 'github', folders: [{ name: 'github', paths: ['src/github'] }] },
  {
    name: 'shells',
    folders: [
      { name: 'cli', paths: ['src/cli.ts', 'src/cli'] },
      { name: 'actions', paths: ['src/actions'] },
    ],
  },
];

/** Outside src/dvc, the DVC library is imported through this file only. */
export const DVC_ENTRY = 'src/dvc/index.ts';

/** Every folder with the names it may import (its own included). */
export function allowedImports() {
  const allowed = new Map();
  const below = [];
  for (const layer of LAYERS) {
    for (const folder of layer.folders) allowed.set(folder.name, [folder.name, ...(folder.only ?? [...below, ...(folder.peers ?? [])])]);
    below.push(...layer.folders.map((f) => f.name));
  }
  return allowed;
}

/** The folder (by name) a repository-relative path belongs to, or undefined outside the layers. */
export function folderOf(path) {
  for (const layer of LAYERS) {
    for (const folder of layer.folders) {
      if (folder.paths.some((p) => path === p || path.startsWith(`${p}/`))) return folder.name;
    }
  }
  return undefined;
}
