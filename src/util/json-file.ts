import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { writeFileAtomic } from './atomic.js';
import { errnoOf } from './errno.js';
import { UserError } from './errors.js';

/**
 * The project's own JSON files (training.json, info.json, manifest.json, metrics.json, …): each has
 * one zod schema and one reader/writer pair made here, so every file is checked the same way.
 * Each carries `format_version`: a file without one is version 1 (files written before the field
 * existed keep working), a file newer than this code reads is refused with a message, never
 * misread.
 */

export const FORMAT_VERSION_KEY = 'format_version';

export interface JsonFileFormat<S extends z.ZodType> {
  /** What the file is, for messages: "a training record". */
  what: string;
  /** The version this code writes and the newest it reads. */
  version: number;
  /** The content, without `format_version`. */
  schema: S;
  /** How to get the file when it is missing or unreadable, e.g. "run `cifar10 train` first". */
  create: string;
  /** How to replace a file that does not read, e.g. "re-run `cifar10 train`". */
  repair: string;
  /** Written on one line (default: two-space indented). */
  compact?: boolean;
}

export type JsonOf<F> = F extends JsonFileFormat<infer S> ? z.output<S> : never;

/** Checks the text of a file in `format`: JSON, a version this code reads, and the schema. */
export function parseJsonFile<S extends z.ZodType>(text: string, path: string, format: JsonFileFormat<S>): z.output<S> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message}); ${format.repair}`, { cause: error });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UserError(`${path} is not ${format.what} (expected a JSON object); ${format.repair}`);
  }
  const { [FORMAT_VERSION_KEY]: version = 1, ...content } = doc as Record<string, unknown>;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new UserError(`${path}: ${FORMAT_VERSION_KEY} ${JSON.stringify(version)} is not a format version (a whole number ≥ 1); ${format.repair}`);
  }
  if (version > format.version) {
    throw new UserError(
      `${path} is ${format.what} in format_version ${version}, newer than the ${format.version} this cifar10-ci reads; update the project (git pull && npm ci), or ${format.repair}`,
    );
  }
  const parsed = format.schema.safeParse(content);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${path} is not ${format.what}: ${issue.path.join('.') || 'the file'}: ${issue.message}; ${format.repair}`);
  }
  return parsed.data;
}

/** Reads a file in `format`; a missing or unreadable one is a UserError saying how to make it. */
export async function readJsonFile<S extends z.ZodType>(path: string, format: JsonFileFormat<S>): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${path} (${(error as Error).message}); ${format.create}`, { cause: error });
  }
  return parseJsonFile(text, path, format);
}

/** Reads a file in `format`, or undefined when there is none (other read errors are UserErrors). */
export async function readJsonFileIfPresent<S extends z.ZodType>(path: string, format: JsonFileFormat<S>): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw new UserError(`cannot read ${path} (${(error as Error).message}); ${format.repair}`, { cause: error });
  }
  return parseJsonFile(text, path, format);
}

/** The bytes of a file in `format`: `format_version` first, then the content as given. */
export function formatJsonFile<S extends z.ZodType>(format: JsonFileFormat<S>, content: z.input<S>): string {
  const doc = { [FORMAT_VERSION_KEY]: format.version, ...(content as object) };
  return `${format.compact ? JSON.stringify(doc) : JSON.stringify(doc, null, 2)}\n`;
}

/** Writes a file in `format` atomically. */
export async function writeJsonFile<S extends z.ZodType>(path: string, format: JsonFileFormat<S>, content: z.input<S>): Promise<void> {
  await writeFileAtomic(path, formatJsonFile(format, content));
}
