import { UserError } from '../../util/errors.js';
import type { MessagePart } from '../../util/hints.js';

/**
 * Why a remote could not serve data: none is configured, it cannot be reached (network, timeouts,
 * server errors, an unreadable folder), it refused the credentials (or there were none), or it
 * lacks the objects or holds them corrupt.
 */
export type RemoteProblem = 'not configured' | 'unreachable' | 'denied' | 'missing data' | 'corrupt data';

/**
 * A transfer that failed because of the remote, not because of what the user asked for: a
 * mistake in the user's own input (a target that is not tracked, a malformed `.dvc` file or
 * remote option, a full local disk) is never one. Callers that have another way to the data (a
 * rebuild from its source) may take it on this error and only on this one.
 */
export class RemoteError extends UserError {
  constructor(
    readonly problem: RemoteProblem,
    message: string | readonly MessagePart[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RemoteError';
  }
}
