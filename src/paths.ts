/**
 * The project's folder layout, relative to the repository root: one place, so the CLI defaults,
 * the pipeline (dvc.yaml), `npm start`, the matrix and the actions agree on where things live.
 */
export const PROJECT_PATHS = {
  /** The 60,000 CIFAR-10 PNGs, `<class>/<id>.png`. */
  images: 'data/cifar10',
  /** Partitions `vK/` with their `vK.dvc` pointer files and the rebuild recipe. */
  partitions: 'data/partitions',
  /** The pull_data stage's stamp of the partitions' hashes. */
  pulled: 'data/pulled.json',
  prepared: 'data/prepared',
  model: 'models/model',
  reports: 'reports',
  /** One result bundle per experiment run, `<run-id>/`; the ledger `experiments.csv` sits beside it. */
  results: 'results/experiments',
  /** Scratch folders of running experiment cells, `<run-id>/`, removed when a cell succeeds. */
  experimentsWork: '.cache/experiments',
  hardImages: 'results/hard_images',
  /** `npm start`'s own local DVC remote when none is configured (docs/dvc.md, "The real DVC on a fresh clone"). */
  startRemote: '.cache/dvc-remote',
  synthTarball: '.cache/synth/cifar-10-synth.tar.gz',
} as const;
