/**
 * Google Cloud credentials for a GCS destination:
 *
 * ```text
 * secrets.gcsCredentials (service-account JSON) → { credentials: { client_email, private_key } }
 * gcs.federation                                → { authClient } — workload identity federation:
 *
 *   tapedeck token (aud = federation.audience)
 *      │ POST token_url  grant_type=urn:ietf:params:oauth:grant-type:token-exchange
 *      ▼                 subject_token_type=urn:ietf:params:oauth:token-type:jwt
 *   Google STS access token (federated)
 *      │ POST {iam}/v1/projects/-/serviceAccounts/{email}:generateAccessToken   (only when
 *      ▼      Authorization: Bearer <STS token>                                  serviceAccountEmail is set)
 *   service-account access token (scope devstorage.read_write)
 * nothing                                       → undefined (Application Default Credentials)
 * ```
 * The client is google-auth-library's own identity-pool client with tapedeck as the subject
 * token supplier; it caches the access token and exchanges again before it expires.
 * @see https://cloud.google.com/iam/docs/workload-identity-federation-with-other-providers
 * @see RFC 8693 (OAuth 2.0 token exchange)
 */
import { IdentityPoolClient, type AuthClient } from 'google-auth-library';
import { TapedeckError } from '../../errors.js';
import type { GcsFederation, GcsSettings, StorageSecrets } from '../types.js';
import { isTransientStatus, networkErrorCode, safeDetail, unreachable } from './exchange-error.js';
import type { FederationDeps } from './federation-deps.js';

export const GCP_STS_DEFAULT_ENDPOINT = 'https://sts.googleapis.com/v1/token';
export const GCP_IAM_CREDENTIALS_DEFAULT_ENDPOINT = 'https://iamcredentials.googleapis.com';
export const GCS_READ_WRITE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
export const JWT_SUBJECT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export type GcpServiceAccountCredentials = {
  client_email: string;
  private_key: string;
  project_id?: string;
};

export type GcpAuth = { authClient: AuthClient } | { credentials: GcpServiceAccountCredentials };

/** Credentials for `gcs` (see the table above); undefined means Application Default Credentials. */
export function gcpAuth(
  gcs: GcsSettings,
  secrets: StorageSecrets,
  deps: FederationDeps,
): GcpAuth | undefined {
  if (secrets.gcsCredentials !== undefined) {
    return { credentials: parseServiceAccount(secrets.gcsCredentials) };
  }
  if (gcs.federation !== undefined) return { authClient: federatedClient(gcs.federation, deps) };
  return undefined;
}

function parseServiceAccount(text: string): GcpServiceAccountCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message would quote the text: say only that it is not JSON.
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      'gcsCredentials is not JSON (a service-account key file is expected)',
    );
  }
  const { client_email, private_key, project_id } = (value ?? {}) as Record<string, unknown>;
  if (
    typeof client_email !== 'string' ||
    client_email === '' ||
    typeof private_key !== 'string' ||
    private_key === ''
  ) {
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      'gcsCredentials must be a service-account key with client_email and private_key',
    );
  }
  return {
    client_email,
    private_key,
    ...(typeof project_id === 'string' && project_id !== '' ? { project_id } : {}),
  };
}

function federatedClient(federation: GcsFederation, deps: FederationDeps): AuthClient {
  const { audience, serviceAccountEmail } = federation;
  if (typeof audience !== 'string' || audience === '')
    throw new TapedeckError('STORAGE_CONFIG_INVALID', 'gcs.federation.audience must be set');
  if (serviceAccountEmail !== undefined && !/^[^\s/:?#@]+@[^\s/:?#@]+$/.test(serviceAccountEmail))
    throw new TapedeckError(
      'STORAGE_CONFIG_INVALID',
      'gcs.federation.serviceAccountEmail is not an email address',
    );
  const tokenUrl = deps.endpoints.gcpStsEndpoint ?? GCP_STS_DEFAULT_ENDPOINT;
  const iamBase = (
    deps.endpoints.gcpIamCredentialsEndpoint ?? GCP_IAM_CREDENTIALS_DEFAULT_ENDPOINT
  ).replace(/\/+$/, '');
  const impersonationUrl =
    serviceAccountEmail !== undefined && serviceAccountEmail !== ''
      ? `${iamBase}/v1/projects/-/serviceAccounts/${serviceAccountEmail}:generateAccessToken`
      : undefined;
  return new FederatedIdentityPoolClient(
    {
      type: 'external_account',
      audience,
      subject_token_type: JWT_SUBJECT_TOKEN_TYPE,
      token_url: tokenUrl,
      subject_token_supplier: { getSubjectToken: () => deps.tokens.token(audience) },
      scopes: [GCS_READ_WRITE_SCOPE],
      ...(impersonationUrl !== undefined
        ? { service_account_impersonation_url: impersonationUrl }
        : {}),
    },
    { audience, tokenUrl, ...(serviceAccountEmail !== undefined ? { serviceAccountEmail } : {}) },
  );
}

type ExchangeContext = {
  readonly audience: string;
  readonly tokenUrl: string;
  readonly serviceAccountEmail?: string;
};

/** google-auth-library's identity-pool client whose exchange failures are `DESTINATION_*` errors. */
class FederatedIdentityPoolClient extends IdentityPoolClient {
  readonly #context: ExchangeContext;

  constructor(
    options: ConstructorParameters<typeof IdentityPoolClient>[0],
    context: ExchangeContext,
  ) {
    super(options);
    this.#context = context;
  }

  // The return type (the library's internal CredentialsWithResponse) is inferred from super.
  protected override async refreshAccessTokenAsync() {
    try {
      return await super.refreshAccessTokenAsync();
    } catch (error) {
      if (error instanceof TapedeckError) throw error;
      throw gcpExchangeError(this.#context, error);
    }
  }
}

function gcpExchangeError(context: ExchangeContext, error: unknown): TapedeckError {
  const e = error as {
    config?: { url?: unknown };
    response?: { status?: number; data?: unknown };
    status?: number;
    message?: unknown;
  };
  const rawUrl = e.config?.url;
  const url = typeof rawUrl === 'string' ? rawUrl : rawUrl instanceof URL ? rawUrl.href : '';
  const iamStep = url.includes(':generateAccessToken');
  const what = iamStep
    ? `Google IAM credentials generateAccessToken for service account ${context.serviceAccountEmail ?? '?'}`
    : `Google STS token exchange for audience ${context.audience}`;
  const network = networkErrorCode(error);
  if (network !== undefined)
    return unreachable(what, url !== '' ? url : context.tokenUrl, network, error);
  const status = e.response?.status ?? e.status;
  const reason = googleErrorReason(e.response?.data) ?? safeDetail(e.message);
  if (isTransientStatus(status)) {
    return new TapedeckError(
      'DESTINATION_UNAVAILABLE',
      `${what} failed: HTTP ${status ?? '?'} ${reason}`.trim(),
      {
        cause: error,
      },
    );
  }
  const refused = iamStep
    ? `Google IAM credentials refused generateAccessToken for service account ${context.serviceAccountEmail ?? '?'}`
    : `Google STS refused the token exchange for audience ${context.audience}`;
  return new TapedeckError(
    'DESTINATION_AUTH_FAILED',
    `${refused}: ${reason || `HTTP ${status ?? '?'}`}`,
    {
      cause: error,
    },
  );
}

/** `invalid_grant (description)` from STS, `PERMISSION_DENIED (message)` from IAM. */
function googleErrorReason(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const d = data as { error?: unknown; error_description?: unknown };
  if (typeof d.error === 'string') {
    const description = safeDetail(d.error_description);
    return description !== '' ? `${d.error} (${description})` : d.error;
  }
  if (d.error !== null && typeof d.error === 'object') {
    const inner = d.error as { status?: unknown; message?: unknown; code?: unknown };
    const code =
      typeof inner.status === 'string'
        ? inner.status
        : typeof inner.code === 'number' || typeof inner.code === 'string'
          ? String(inner.code)
          : 'error';
    const message = safeDetail(inner.message);
    return message !== '' ? `${code} (${message})` : code;
  }
  return undefined;
}
