/**
 * Keeps a markdown document (a PR comment, a job summary) within a character budget. GitHub
 * rejects comments of 65,536 characters or more; lengths here are JavaScript string lengths
 * (UTF-16 code units), never fewer than the characters GitHub counts, so staying under the limit
 * here is staying under it there.
 */

import { formatCount } from './format.js';

export const GITHUB_COMMENT_LIMIT = 65_536;

export interface MarkdownSection {
  /** Shown as a `###` heading when open, as the `<summary>` when folded; omit for a bare paragraph. */
  title?: string;
  body: string;
  /**
   * `never`: always open (the verdict, the metrics); `always`: always folded (long detail);
   * `auto` (default): open while the open part of the document stays within `openBudget`.
   */
  fold?: 'never' | 'auto' | 'always';
}

export interface BudgetOptions {
  /** The document's length stays strictly below this (default: GitHub's comment limit). */
  limit?: number;
  /** Characters the caller adds around the result (a marker, a header), taken off the limit. */
  reserve?: number;
  /** Open (unfolded) text beyond this many characters is folded into `<details>` (default 16,000). */
  openBudget?: number;
}

export interface BudgetResult {
  markdown: string;
  /** Titles (or positions) of sections that were folded or cut short. */
  folded: string[];
  omitted: string[];
}

const SEPARATOR = '\n\n';

function open(section: MarkdownSection): string {
  return section.title ? `### ${section.title}${SEPARATOR}${section.body}` : section.body;
}

function folded(section: MarkdownSection, body = section.body): string {
  // Blank lines around the body let GitHub render markdown (tables) inside <details>.
  return `<details><summary>${section.title ?? 'More'}</summary>${SEPARATOR}${body}${SEPARATOR}</details>`;
}

const omittedNote = (chars: number): string =>
  `_${formatCount(chars)} characters left out to stay within GitHub's comment size limit; the full report is in the run's artifacts._`;

/**
 * Joins sections into one document within the budget: sections stay open in order while the open
 * text fits `openBudget`; from the first that does not fit on, they are folded into `<details>`.
 * If the whole is still too long, section bodies are replaced by a note from the last section
 * backwards, and as a last resort the text is cut. The result is always shorter than
 * `limit - reserve`.
 */
export function fitMarkdownBudget(sections: readonly MarkdownSection[], options: BudgetOptions = {}): BudgetResult {
  const limit = (options.limit ?? GITHUB_COMMENT_LIMIT) - (options.reserve ?? 0);
  const openBudget = options.openBudget ?? 16_000;
  const name = (section: MarkdownSection, i: number) => section.title ?? `section ${i + 1}`;
  const result: BudgetResult = { markdown: '', folded: [], omitted: [] };

  let openLength = 0;
  // Once one section overflows, later ones fold too, so the document reads open part, then details.
  let overflowed = false;
  const parts = sections.map((section, i) => {
    const asOpen = open(section);
    const fold = section.fold ?? 'auto';
    if (fold === 'auto' && !overflowed && openLength + asOpen.length > openBudget) overflowed = true;
    if (fold === 'never' || (fold === 'auto' && !overflowed)) {
      openLength += asOpen.length + SEPARATOR.length;
      return asOpen;
    }
    result.folded.push(name(section, i));
    return folded(section);
  });

  const total = () => parts.reduce((sum, part) => sum + part.length, 0) + SEPARATOR.length * Math.max(0, parts.length - 1);
  for (let i = sections.length - 1; i >= 0 && total() >= limit; i--) {
    const section = sections[i]!;
    if (section.fold === 'never') continue;
    const note = omittedNote(section.body.length);
    parts[i] = section.title ? folded(section, note) : note;
    result.omitted.push(name(section, i));
  }
  let markdown = parts.join(SEPARATOR);
  if (markdown.length >= limit) {
    const noteRoom = SEPARATOR.length + omittedNote(markdown.length).length;
    let keep = Math.max(0, limit - 1 - noteRoom);
    // Never split a surrogate pair (an emoji shade mark) in two.
    if (keep > 0 && /[\uDC00-\uDFFF]/.test(markdown[keep] ?? '')) keep--;
    markdown = `${markdown.slice(0, keep)}${SEPARATOR}${omittedNote(markdown.length - keep)}`.slice(0, limit - 1);
  }
  result.markdown = markdown;
  return result;
}
