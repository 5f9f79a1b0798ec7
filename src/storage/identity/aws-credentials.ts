/**
 * AWS credentials for an S3 destination, from the most to the least explicit:
 *
 * ```text
 * s3AccessKeyId + s3SecretAccessKey            → those keys (static)
 *   … + roleArn                                → sts:AssumeRole signed with those keys (+ ExternalId)
 * roleArn + externalId                         → sts:AssumeRole from the server's own identity
 *                                                (default chain, or opts.baseCredentials)
 * roleArn                                      → sts:AssumeRoleWithWebIdentity with a fresh
 *                                                tapedeck OIDC token (aud sts.amazonaws.com)
 * nothing                                      → undefined: the SDK's default chain
 * ```
 * Temporary credentials are cached and fetched again five minutes before they expire (as
 * the SDK's own memoized providers do), so an upload that outlives one session keeps
 * signing with valid keys. Every STS failure becomes a one-line `DESTINATION_*` error.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import { fromTemporaryCredentials, fromWebToken } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { TapedeckError } from '../../errors.js';
import type { S3Settings, StorageSecrets } from '../types.js';
import { isTransientStatus, networkErrorCode, safeDetail, unreachable } from './exchange-error.js';
import type { FederationDeps } from './federation-deps.js';
import { AWS_TOKEN_AUDIENCE } from './oidc-issuer.js';

export type { FederationDeps } from './federation-deps.js';

export const DEFAULT_AWS_SESSION_SECONDS = 3600;
export const MAX_AWS_SESSION_SECONDS = 43_200;
export const MIN_AWS_SESSION_SECONDS = 900;
/** Credentials this close to expiry are fetched again (the SDK uses the same window). */
export const AWS_REFRESH_WINDOW_MS = 5 * 60 * 1000;

export type AwsCredentialsOptions = {
  /** Session length asked of STS, 900–43200 s. Default 3600. */
  readonly durationSeconds?: number;
  /** Signs AssumeRole (roleArn + externalId); default the SDK's default chain. */
  readonly baseCredentials?: AwsCredentialIdentityProvider;
};

/** Credentials for `s3` (see the table above); undefined means the SDK's default chain. */
export function awsCredentials(
  s3: S3Settings,
  secrets: StorageSecrets,
  deps: FederationDeps,
  opts: AwsCredentialsOptions = {},
): AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined {
  const durationSeconds = opts.durationSeconds ?? DEFAULT_AWS_SESSION_SECONDS;
  if (
    !Number.isInteger(durationSeconds) ||
    durationSeconds < MIN_AWS_SESSION_SECONDS ||
    durationSeconds > MAX_AWS_SESSION_SECONDS
  ) {
    throw new RangeError(
      `opts.durationSeconds must be an integer from ${MIN_AWS_SESSION_SECONDS} to ${MAX_AWS_SESSION_SECONDS}`,
    );
  }
  const staticKeys = staticCredentials(secrets);
  const roleArn = s3.roleArn;
  if (roleArn === undefined || roleArn === '') return staticKeys;

  const clientConfig = {
    region: s3.region,
    ...(deps.endpoints.awsStsEndpoint !== undefined
      ? { endpoint: deps.endpoints.awsStsEndpoint }
      : {}),
  };
  const roleSessionName = sessionName(deps.tokens.subject);
  const stsEndpoint = deps.endpoints.awsStsEndpoint ?? `https://sts.${s3.region}.amazonaws.com`;

  if (staticKeys !== undefined || (s3.externalId !== undefined && s3.externalId !== '')) {
    const assumeRole = fromTemporaryCredentials({
      params: {
        RoleArn: roleArn,
        RoleSessionName: roleSessionName,
        DurationSeconds: durationSeconds,
        ...(s3.externalId !== undefined && s3.externalId !== ''
          ? { ExternalId: s3.externalId }
          : {}),
      },
      ...(staticKeys !== undefined
        ? { masterCredentials: staticKeys }
        : opts.baseCredentials !== undefined
          ? { masterCredentials: opts.baseCredentials }
          : {}),
      clientConfig,
    });
    return memoizeUntilExpiry(() =>
      exchange('AssumeRole', roleArn, stsEndpoint, () => assumeRole()),
    );
  }

  return memoizeUntilExpiry(() =>
    exchange('AssumeRoleWithWebIdentity', roleArn, stsEndpoint, async () => {
      const webIdentityToken = await deps.tokens.token(AWS_TOKEN_AUDIENCE);
      return fromWebToken({
        roleArn,
        roleSessionName,
        webIdentityToken,
        durationSeconds,
        clientConfig,
      })();
    }),
  );
}

function staticCredentials(secrets: StorageSecrets): AwsCredentialIdentity | undefined {
  const { s3AccessKeyId: accessKeyId, s3SecretAccessKey: secretAccessKey } = secrets;
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (
    accessKeyId === undefined ||
    accessKeyId === '' ||
    secretAccessKey === undefined ||
    secretAccessKey === ''
  ) {
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      's3AccessKeyId and s3SecretAccessKey must be given together',
    );
  }
  return { accessKeyId, secretAccessKey };
}

/** `tapedeck-<workspace>`, limited to what STS accepts (`[\w+=,.@-]`, 2–64 characters). */
function sessionName(workspace: string): string {
  return `tapedeck-${workspace}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * Caches the credentials until they come within AWS_REFRESH_WINDOW_MS of `expiration`;
 * concurrent callers share one fetch. `{ forceRefresh: true }` fetches regardless.
 */
export function memoizeUntilExpiry(
  fetch: () => Promise<AwsCredentialIdentity>,
  now: () => number = Date.now,
): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (c: AwsCredentialIdentity): boolean =>
    c.expiration === undefined || c.expiration.getTime() - now() > AWS_REFRESH_WINDOW_MS;
  return async (properties?: Record<string, unknown>) => {
    if (cached !== undefined && properties?.['forceRefresh'] !== true && fresh(cached))
      return cached;
    pending ??= fetch()
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

type StsAction = 'AssumeRole' | 'AssumeRoleWithWebIdentity';

async function exchange(
  action: StsAction,
  roleArn: string,
  endpoint: string,
  run: () => Promise<AwsCredentialIdentity>,
): Promise<AwsCredentialIdentity> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TapedeckError) throw error;
    throw stsError(action, roleArn, endpoint, error);
  }
}

function stsError(
  action: StsAction,
  roleArn: string,
  endpoint: string,
  error: unknown,
): TapedeckError {
  const what = `AWS STS ${action} for role ${roleArn}`;
  const network = networkErrorCode(error);
  if (network !== undefined) return unreachable(what, endpoint, network, error);
  const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : 'Error';
  const detail = safeDetail(e.message);
  const suffix = detail !== '' && detail !== name ? ` (${detail})` : '';
  if (isTransientStatus(status)) {
    return new TapedeckError(
      'DESTINATION_UNAVAILABLE',
      `${what} failed: ${name}, HTTP ${status ?? '?'}${suffix}`,
      { cause: error },
    );
  }
  return new TapedeckError(
    'DESTINATION_AUTH_FAILED',
    `AWS STS refused ${action} for role ${roleArn}: ${name}${suffix}`,
    {
      cause: error,
    },
  );
}
