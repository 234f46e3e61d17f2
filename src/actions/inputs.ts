/**
 * How messages name an action input: `actions/plan input "full-seeds"`, or `input "full-seeds"`
 * where the action is plain from the context. Inputs are read and checked by the schemas of
 * input-schemas.ts (built with input-fields.ts).
 */
export const inputSource = (name: string, action?: string): string => (action ? `actions/${action} input "${name}"` : `input "${name}"`);
