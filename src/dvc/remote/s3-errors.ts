import { isNetworkErrorCode } from '../../util/errno.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { safeUrl } from '../messages.js';
import { RemoteError } from './errors.js';
import type { S3RemoteSettings } from './s3-settings.js';

/** What the AWS SDK's errors mean for an S3 remote, in messages that say what to fix. */

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as AwsErrorShape).$metadata?.httpStatusCode;
}

export function isNotFound(error: unknown): boolean {
  const name = (error as AwsErrorShape).name;
  return name === 'NotFound' || name === 'NoSuchKey' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}

/** A `UserError` that says what failed on `remote` and how to fix it; never includes credentials. */
export function explainS3Error(error: unknown, what: string, remote: { url: string; settings: S3RemoteSettings }): unknown {
  if (error instanceof UserError) return error;
  const e = error as AwsErrorShape;
  const status = statusOf(error);
  const where = `${what} on ${remote.url}${remote.settings.endpoint ? ` (endpoint ${safeUrl(remote.settings.endpoint)})` : ''}`;
  const detail = [status ? `HTTP ${status}` : undefined, e.name && e.name !== 'Error' && e.name !== 'Unknown' ? e.name : undefined].filter(Boolean).join(' ');
  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? '')) {
    return new RemoteError(
      'denied',
      hinted`${where}: no AWS credentials found; set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables (workflow secrets on CI), a profile, or access_key_id/secret_access_key in .dvc/config.local (${command('remote modify', '--local', '<name>', 'access_key_id', '…')}); for a public bucket set allow_anonymous_login = true`,
      { cause: error },
    );
  }
  if (/region is missing/i.test(e.message ?? '')) {
    return new UserError(`${where}: no AWS region known; set region in the remote's section of .dvc/config or the AWS_REGION environment variable`, {
      cause: error,
    });
  }
  if (e.name === 'NoSuchBucket') {
    return new RemoteError('missing data', `${where}: bucket ${remote.settings.bucket} does not exist; create it or fix the remote URL in .dvc/config`, {
      cause: error,
    });
  }
  if (
    status === 401 ||
    status === 403 ||
    ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'].includes(e.name ?? '')
  ) {
    return new RemoteError(
      'denied',
      `${where}: access denied (${detail}); check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the profile, or .dvc/config.local) and that they may list, read and write s3://${remote.settings.bucket}`,
      { cause: error },
    );
  }
  const attempts = e.$metadata?.attempts;
  const network = isNetworkErrorCode(e.code) || e.name === 'TimeoutError' || /timed? ?out|socket hang up/i.test(e.message ?? '');
  if ((status !== undefined && (status >= 500 || status === 429)) || network) {
    return new RemoteError(
      'unreachable',
      `${where} failed after ${attempts ?? remote.settings.retries + 1} attempts (${detail || e.message}); check that the endpoint is reachable and try again, or raise \`retries\`/\`read_timeout\` for the remote in .dvc/config`,
      { cause: error },
    );
  }
  return new RemoteError(
    'unreachable',
    `${where} failed (${[detail, e.message].filter(Boolean).join(': ')}); check the remote URL and endpointurl in .dvc/config`,
    { cause: error },
  );
}
