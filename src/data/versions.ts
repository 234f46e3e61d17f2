import { UserError } from '../util/errors.js';

/** A partition name: `v1`, `v2`, … */
export const VERSION_PATTERN = /^v[1-9][0-9]*$/;

/**
 * Parses a version spec (`v1`, `v1+v2`, `v1+v2+v3`) into its partition names, in the order given.
 * Rejects empty parts, unknown shapes and repeats, naming where the spec came from.
 */
export function parseVersionSpec(spec: string, source = 'version spec'): string[] {
  const trimmed = spec.trim();
  if (trimmed === '') throw new UserError(`${source}: empty version spec; use e.g. v1 or v1+v2`);
  const parts = trimmed.split('+').map((part) => part.trim());
  for (const part of parts) {
    if (!VERSION_PATTERN.test(part)) {
      throw new UserError(`${source}: "${part}" in "${spec}" is not a partition name; use v1, v2, … joined by + (e.g. v1+v2)`);
    }
  }
  const seen = new Set<string>();
  for (const part of parts) {
    if (seen.has(part)) throw new UserError(`${source}: "${part}" appears twice in "${spec}"; each partition may be used once`);
    seen.add(part);
  }
  return parts;
}

/** The canonical text of a spec: parts joined by `+`. */
export function formatVersionSpec(parts: readonly string[]): string {
  return parts.join('+');
}
