import { UserError } from '../../util/errors.js';
import type { RemoteConfig } from './types.js';

/** A non-negative number from the remote's section of `.dvc/config` (or `config.local`), else `fallback`. */
export function numberOption(config: RemoteConfig, key: string, fallback: number): number {
  const raw = config.options[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new UserError(`remote "${config.name}": ${key} = ${raw} is not a non-negative number; fix it with \`cifar10 data remote modify ${config.name} ${key} <number>\` (with --local if .dvc/config.local sets it)`);
  }
  return value;
}
