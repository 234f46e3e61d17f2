import { type MessagePart, renderMessage } from './hints.js';

/**
 * An error a user can fix. Its message says what went wrong, where (file or input) and how to fix it;
 * the CLI prints it without a stack trace and exits with status 1. A message made of parts
 * (`hinted` in hints.ts) names its commands as hints, spelled by the shell of the process
 * whenever the message is read.
 */
export class UserError extends Error {
  /** The message as text and command hints, when it was made from parts. */
  readonly parts?: readonly MessagePart[];

  constructor(message: string | readonly MessagePart[], options?: { cause?: unknown }) {
    super(typeof message === 'string' ? message : renderMessage(message), options);
    this.name = 'UserError';
    if (typeof message !== 'string') {
      this.parts = message;
      Object.defineProperty(this, 'message', { get: () => renderMessage(message), configurable: true, enumerable: false });
    }
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The message of any thrown value, for logs. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
