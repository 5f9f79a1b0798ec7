/**
 * azureAuth() driven through @azure/identity's real ClientAssertionCredential (MSAL
 * underneath) against a loopback Entra double. No real Entra endpoint is reachable from
 * the test machines. MSAL refuses an `http:` authority, so the double serves HTTPS with a
 * certificate made for this run, trusted through the credential's `tlsOptions.ca`; the
 * authority host override turns off instance discovery (MSAL reads the tenant's
 * openid-configuration from the double instead).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../../src/errors.js';
import { AZURE_STORAGE_SCOPE, azureAuth } from '../../../src/storage/identity/azure-credentials.js';
import type { AbsSettings, StorageSecrets } from '../../../src/storage/types.js';
import { startEntraDouble, type EntraDouble } from '../../helpers/token-service-doubles.js';
import { startIssuer, type RunningIssuer } from './issuer-fixture.js';
import { freeLoopbackPort } from '../../helpers/free-port.js';

const TENANT = randomUUID();
const CLIENT = randomUUID();

let running: RunningIssuer;
let entra: EntraDouble;

beforeAll(async () => {
  running = await startIssuer();
  entra = await startEntraDouble({
    trustedIssuer: running.url,
    tenantId: TENANT,
    clientId: CLIENT,
  });
});

afterAll(async () => {
  await entra.close();
  await running.close();
});

beforeEach(() => {
  entra.requests.length = 0;
  entra.tokenRequests.length = 0;
  entra.refusal = undefined;
});

function credential(
  abs: AbsSettings,
  secrets: StorageSecrets = {},
  authorityHost = entra.authorityHost,
) {
  const auth = azureAuth(
    abs,
    secrets,
    {
      tokens: running.issuer,
      endpoints: { azureAuthorityHost: authorityHost },
    },
    { credentialOptions: { tlsOptions: { ca: entra.caPem }, retryOptions: { maxRetries: 0 } } },
  );
  if (!('credential' in auth)) throw new Error('expected a token credential');
  return auth.credential;
}

async function failure(promise: Promise<unknown>): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  return error as TapedeckError;
}

describe('azureAuth()', () => {
  it('an account key is used as it is', () => {
    expect(
      azureAuth(
        { accountName: 'acct' },
        { absAccountKey: 'a2V5' },
        { tokens: running.issuer, endpoints: {} },
      ),
    ).toEqual({
      accountKey: 'a2V5',
    });
  });

  it('nothing usable is STORAGE_CONFIG_INVALID', () => {
    expect(() =>
      azureAuth(
        { accountName: 'acct', clientId: CLIENT },
        {},
        { tokens: running.issuer, endpoints: {} },
      ),
    ).toThrow(expect.objectContaining({ code: 'STORAGE_CONFIG_INVALID' }) as Error);
  });
});

describe('azureAuth() with federation: ClientAssertionCredential', () => {
  it('getToken() posts client_credentials with tapedeck token as the jwt-bearer client assertion (aud api://AzureADTokenExchange) and returns the access token', async () => {
    const cred = credential({
      accountName: 'acct',
      federation: { tenantId: TENANT, clientId: CLIENT },
    });
    const token = await cred.getToken(AZURE_STORAGE_SCOPE);

    expect(entra.tokenRequests).toHaveLength(1);
    const request = entra.tokenRequests[0]!;
    expect(request.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(request.params).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      scope: 'https://storage.azure.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    });
    expect(request.tokenError).toBeUndefined();
    expect(request.claims).toMatchObject({
      iss: running.url,
      sub: running.issuer.subject,
      aud: 'api://AzureADTokenExchange',
    });
    expect(token?.token).toBe(entra.issued.at(-1));
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now());
    // Instance discovery is off: nothing but the tenant's metadata and the token endpoint was asked.
    for (const r of entra.requests) expect(r.path.startsWith(`/${TENANT}/`)).toBe(true);
  });

  it('Entra refusing the assertion (invalid_client AADSTS700213) is DESTINATION_AUTH_FAILED naming app, tenant and reason, without the assertion', async () => {
    entra.refusal = {
      status: 401,
      code: 'invalid_client',
      message:
        'AADSTS700213: No matching federated identity record found for presented assertion subject.',
    };
    const cred = credential({
      accountName: 'acct',
      federation: { tenantId: TENANT, clientId: CLIENT },
    });
    const error = await failure(cred.getToken(AZURE_STORAGE_SCOPE));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toMatch(
      new RegExp(
        `^Entra refused the client assertion for app ${CLIENT} in tenant ${TENANT}: invalid_client \\(AADSTS700213`,
      ),
    );
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain(entra.tokenRequests.at(-1)!.params['client_assertion']!);
    expect(error.message).not.toMatch(/eyJ/);
  });

  it('an unknown client id is refused by the double and is DESTINATION_AUTH_FAILED', async () => {
    const cred = credential({
      accountName: 'acct',
      federation: { tenantId: TENANT, clientId: randomUUID() },
    });
    const error = await failure(cred.getToken(AZURE_STORAGE_SCOPE));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toMatch(/AADSTS700016/);
  });

  it('Entra answering 503 temporarily_unavailable is DESTINATION_UNAVAILABLE (retryable)', async () => {
    entra.refusal = {
      status: 503,
      code: 'temporarily_unavailable',
      message: 'AADSTS90033: A transient error has occurred.',
    };
    const cred = credential({
      accountName: 'acct',
      federation: { tenantId: TENANT, clientId: CLIENT },
    });
    const error = await failure(cred.getToken(AZURE_STORAGE_SCOPE));
    expect(error.code).toBe('DESTINATION_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('a tenant the authority has no metadata for (404) is DESTINATION_AUTH_FAILED naming the tenant', async () => {
    const unknownTenant = randomUUID();
    const cred = credential({
      accountName: 'acct',
      federation: { tenantId: unknownTenant, clientId: CLIENT },
    });
    const error = await failure(cred.getToken(AZURE_STORAGE_SCOPE));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toBe(
      `Entra authority ${entra.authorityHost} has no usable metadata for tenant ${unknownTenant} (HTTP 404)`,
    );
  });

  it('an authority nobody listens on is DESTINATION_UNREACHABLE', async () => {
    const port = await freeLoopbackPort();
    const cred = credential(
      { accountName: 'acct', federation: { tenantId: TENANT, clientId: CLIENT } },
      {},
      `https://127.0.0.1:${port}`,
    );
    const error = await failure(cred.getToken(AZURE_STORAGE_SCOPE));
    expect(error.code).toBe('DESTINATION_UNREACHABLE');
    expect(error.message).toContain(`https://127.0.0.1:${port}`);
  });
});

describe('azureAuth() with clientId + tenantId + absClientSecret: ClientSecretCredential', () => {
  it('a client secret the double does not take is DESTINATION_AUTH_FAILED, and the secret is not in the message', async () => {
    const secret = randomBytes(24).toString('base64url');
    const cred = credential(
      { accountName: 'acct', clientId: CLIENT, tenantId: TENANT },
      { absClientSecret: secret },
    );
    const error = await failure(cred.getToken(AZURE_STORAGE_SCOPE));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toMatch(/^Entra refused the client secret/);
    expect(error.message).not.toContain(secret);
    expect(entra.tokenRequests.at(-1)!.params).toMatchObject({
      client_id: CLIENT,
      client_secret: secret,
    });
  });
});
