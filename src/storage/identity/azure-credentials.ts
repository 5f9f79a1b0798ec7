/**
 * Azure credentials for a Blob destination:
 *
 * ```text
 * secrets.absAccountKey                          → { accountKey } (shared key)
 * clientId + tenantId + secrets.absClientSecret  → ClientSecretCredential
 * abs.federation { tenantId, clientId }          → ClientAssertionCredential whose assertion
 *                                                  is a fresh tapedeck token
 *                                                  (aud api://AzureADTokenExchange)
 *
 *   POST {authorityHost}/{tenant}/oauth2/v2.0/token
 *        grant_type=client_credentials  client_id=…  scope=https://storage.azure.com/.default
 *        client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
 *        client_assertion=<tapedeck token>
 * ```
 * With an `endpoints.azureAuthorityHost` override, Entra instance discovery is turned off
 * (the authority is taken as given and its metadata read from the host itself).
 * The credential returned maps every failure to a one-line `DESTINATION_*` error.
 * @see https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 */
import {
  AuthenticationError,
  ClientAssertionCredential,
  ClientSecretCredential,
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
  type TokenCredentialOptions,
} from '@azure/identity';
import { TapedeckError } from '../../errors.js';
import type { AbsSettings, StorageSecrets } from '../types.js';
import {
  isTransientStatus,
  networkErrorCode,
  origin,
  safeDetail,
  unreachable,
} from './exchange-error.js';
import type { FederationDeps } from './federation-deps.js';
import { AZURE_TOKEN_AUDIENCE } from './oidc-issuer.js';

export const AZURE_DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const AZURE_STORAGE_SCOPE = 'https://storage.azure.com/.default';

export type AzureAuthOptions = {
  /**
   * Extra client options for the Entra credential (for example `tlsOptions.ca` for an
   * authority behind a private CA, proxy or retry settings). Default none.
   */
  readonly credentialOptions?: TokenCredentialOptions;
};

export type AzureAuth = { accountKey: string } | { credential: TokenCredential };

/** Credentials for `abs` (see the table above); STORAGE_CONFIG_INVALID when none is configured. */
export function azureAuth(
  abs: AbsSettings,
  secrets: StorageSecrets,
  deps: FederationDeps,
  opts: AzureAuthOptions = {},
): AzureAuth {
  if (secrets.absAccountKey !== undefined && secrets.absAccountKey !== '') {
    return { accountKey: secrets.absAccountKey };
  }
  const authorityHost = deps.endpoints.azureAuthorityHost;
  const host = authorityHost ?? AZURE_DEFAULT_AUTHORITY_HOST;
  const probe = new TransportProbe();
  const options: TokenCredentialOptions & { disableInstanceDiscovery?: boolean } = {
    ...opts.credentialOptions,
    ...(authorityHost !== undefined ? { authorityHost, disableInstanceDiscovery: true } : {}),
    additionalPolicies: [
      ...(opts.credentialOptions?.additionalPolicies ?? []),
      { policy: probe.policy, position: 'perRetry' },
    ],
  };
  if (
    abs.clientId !== undefined &&
    abs.tenantId !== undefined &&
    secrets.absClientSecret !== undefined &&
    secrets.absClientSecret !== ''
  ) {
    const inner = new ClientSecretCredential(
      abs.tenantId,
      abs.clientId,
      secrets.absClientSecret,
      options,
    );
    const context = {
      kind: 'client secret',
      tenantId: abs.tenantId,
      clientId: abs.clientId,
      host,
    } as const;
    return { credential: new MappedCredential(inner, context, probe) };
  }
  if (abs.federation !== undefined) {
    const { tenantId, clientId } = abs.federation;
    const inner = new ClientAssertionCredential(
      tenantId,
      clientId,
      () => deps.tokens.token(AZURE_TOKEN_AUDIENCE),
      options,
    );
    const context = { kind: 'client assertion', tenantId, clientId, host } as const;
    return { credential: new MappedCredential(inner, context, probe) };
  }
  throw new TapedeckError(
    'STORAGE_CONFIG_INVALID',
    'abs needs absAccountKey, clientId + tenantId + absClientSecret, or federation',
  );
}

type PipelinePolicy = NonNullable<TokenCredentialOptions['additionalPolicies']>[number]['policy'];

/**
 * Watches the credential's HTTP pipeline: @azure/identity folds MSAL's failures into
 * message text (and a dead authority into "endpoints_resolution_error"), so the transport
 * outcome is kept here to tell "unreachable" and "server error" from "refused".
 */
class TransportProbe {
  networkError: unknown;
  lastStatus: number | undefined;
  readonly policy: PipelinePolicy = {
    name: 'tapedeckTransportProbe',
    sendRequest: async (request, next) => {
      try {
        const response = await next(request);
        this.lastStatus = response.status;
        return response;
      } catch (error) {
        if (networkErrorCode(error) !== undefined) this.networkError = error;
        throw error;
      }
    },
  };

  reset(): void {
    this.networkError = undefined;
    this.lastStatus = undefined;
  }
}

type CredentialContext = {
  readonly kind: 'client secret' | 'client assertion';
  readonly tenantId: string;
  readonly clientId: string;
  readonly host: string;
};

/** A TokenCredential whose failures are `DESTINATION_*` TapedeckErrors. */
class MappedCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  readonly #context: CredentialContext;
  readonly #probe: TransportProbe;

  constructor(inner: TokenCredential, context: CredentialContext, probe: TransportProbe) {
    this.#inner = inner;
    this.#context = context;
    this.#probe = probe;
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.#probe.reset();
    try {
      const token = await this.#inner.getToken(scopes, options);
      if (token === null) throw new Error('no token returned');
      return token;
    } catch (error) {
      if (error instanceof TapedeckError) throw error;
      throw entraError(this.#context, this.#probe, error);
    }
  }
}

const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

function entraError(
  context: CredentialContext,
  probe: TransportProbe,
  error: unknown,
): TapedeckError {
  const { kind, clientId, tenantId, host } = context;
  const what = `Entra ${kind} token for app ${clientId} in tenant ${tenantId}`;
  const network = networkErrorCode(probe.networkError) ?? networkErrorCode(error);
  if (network !== undefined) return unreachable(what, host, network, error);

  const { code, description, status } = entraReason(error);
  const httpStatus = status ?? probe.lastStatus;
  const reason = description !== '' ? `${code} (${description})` : code;
  if (isTransientStatus(httpStatus) || TRANSIENT_OAUTH_ERRORS.has(code)) {
    return new TapedeckError(
      'DESTINATION_UNAVAILABLE',
      `${what} failed: HTTP ${httpStatus ?? '?'} ${reason}`,
      {
        cause: error,
      },
    );
  }
  if (code === 'endpoints_resolution_error') {
    return new TapedeckError(
      'DESTINATION_AUTH_FAILED',
      `Entra authority ${origin(host)} has no usable metadata for tenant ${tenantId} (HTTP ${httpStatus ?? '?'})`,
      { cause: error },
    );
  }
  return new TapedeckError(
    'DESTINATION_AUTH_FAILED',
    `Entra refused the ${kind} for app ${clientId} in tenant ${tenantId}: ${reason}`,
    { cause: error },
  );
}

/**
 * The OAuth error code and description: from an AuthenticationError's parsed body, or from
 * MSAL's text `invalid_client: Error(s): 700213 - Timestamp: … - Description: AADSTS700213: …`.
 */
function entraReason(error: unknown): { code: string; description: string; status?: number } {
  if (error instanceof AuthenticationError) {
    return {
      code: error.errorResponse.error,
      description: safeDetail(error.errorResponse.errorDescription),
      status: error.statusCode,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const code =
    /^([a-z][a-z0-9_]*):/.exec(message)?.[1] ?? (error instanceof Error ? error.name : 'error');
  const described = /Description: (.*?)(?: - Correlation ID:| - Trace ID:|$)/s.exec(message)?.[1];
  const fallback = message.slice(code.length + 1).replace(/See https:\/\/aka\.ms\S*/, '');
  return { code, description: safeDetail(described ?? fallback) };
}
