import * as core from '@actions/core';
import { UserError } from '../util/errors.js';

/**
 * Raw action inputs → typed values, in one place (like actions/cache's actionUtils): a bad value
 * fails early with a message naming the input. `core.getInput` already trims and treats an unset
 * input as ''.
 */

export const inputSource = (name: string): string => `input "${name}"`;

export function getText(name: string, options: { required?: boolean } = {}): string {
  const value = core.getInput(name);
  if (options.required && value === '') throw new UserError(`${inputSource(name)} is required; set it under \`with:\` in the workflow step`);
  return value;
}

export function getOptionalText(name: string): string | undefined {
  const value = core.getInput(name);
  return value === '' ? undefined : value;
}

export function getBool(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new UserError(`${inputSource(name)} is "${value}"; use true or false`);
}

export function getChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = core.getInput(name);
  if (value === '') return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UserError(`${inputSource(name)} is "${value}"; use one of ${choices.join(', ')}`);
  return value as T;
}

export function getInteger(name: string, options: { min?: number; fallback?: number } = {}): number {
  const value = core.getInput(name);
  if (value === '' && options.fallback !== undefined) return options.fallback;
  if (!/^-?\d+$/.test(value)) throw new UserError(`${inputSource(name)} is "${value}"; use a whole number`);
  const n = Number(value);
  if (options.min !== undefined && n < options.min) throw new UserError(`${inputSource(name)} is ${n}; use ${options.min} or more`);
  return n;
}
