/**
 * The tfjs backends a user can ask for. Kept apart from backend.ts, which loads tfjs, so the CLI can
 * offer the choices without paying for that import on every command.
 */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export function isBackendChoice(name: string): name is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(name);
}
