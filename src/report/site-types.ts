/**
 * What the experiment page shows (docs/history.md), as plain data: the experiments layer builds it
 * from the history (src/experiments/site-data.ts), site-charts.ts draws it and site.ts writes the page.
 */

export interface Band {
  mean: number;
  min: number;
  max: number;
}

export interface SiteData {
  title: string;
  /** ISO time the page was made. */
  generated: string;
  /** `owner/name`, for the heading's link; absent locally. */
  repository?: string;
  counts: { runs: number; matrices: number; first?: string; last?: string };
  /** Mean and seed band per matrix and version spec, in time order. */
  trend: { date: string; commit: string; versions: string; runs: number; accuracy: Band; macroF1: Band }[];
  /** Mean F1 per class and matrix, or per week (dated by its Monday) for long histories. */
  perClass: { date: string; class: string; f1: number }[];
  perClassBucket: 'matrix' | 'week';
  /** Mean per matrix and backend. */
  speed: { date: string; backend: string; trainSeconds: number; imagesPerSecond: number | null }[];
  /** The latest matrix's confusion matrices per version spec, summed over its seeds. */
  confusion: { versions: string; runs: number; classes: string[]; matrix: number[][] }[];
  hard: { id: string; class: string; wrongAs: string; errorRate: number; since: string; matrices: number }[];
  /** A picture of the hard images, copied into the page. */
  hardSheet?: string;
  /** One row per workflow run (or local day), newest first. */
  runs: { date: string; event: string; url?: string; label: string; commit: string; runs: number; versions: string[]; bestAccuracy: number }[];
  /** The history file, offered for download. */
  historyFile?: string;
}
