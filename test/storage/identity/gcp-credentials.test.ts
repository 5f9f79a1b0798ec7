/**
 * gcpAuth() driven through google-auth-library's own external-account client against
 * loopback doubles of Google STS and IAM credentials. No real Google endpoint is
 * reachable from the test machines (METADATA_SERVER_DETECTION=none keeps the library
 * from probing the metadata server); the STS double verifies tapedeck's token against the
 * issuer's JWKS fetched over HTTP, and the IAM double accepts only a token STS issued.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../../src/errors.js';
import { gcpAuth, GCS_READ_WRITE_SCOPE } from '../../../src/storage/identity/gcp-credentials.js';
import type { GcsFederation } from '../../../src/storage/types.js';
import {
  startGoogleTokenDoubles,
  type GoogleTokenDoubles,
} from '../../helpers/token-service-doubles.js';
import { startIssuer, type RunningIssuer } from './issuer-fixture.js';
import { freeLoopbackPort } from '../../helpers/free-port.js';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const AUDIENCE =
  '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/tapedeck/providers/tapedeck-oidc';
const SERVICE_ACCOUNT = 'tapedeck-writer@example-project.iam.gserviceaccount.com';

let running: RunningIssuer;
let google: GoogleTokenDoubles;

beforeAll(async () => {
  running = await startIssuer();
  google = await startGoogleTokenDoubles({
    trustedIssuer: running.url,
    providerAudience: AUDIENCE,
    serviceAccountEmail: SERVICE_ACCOUNT,
  });
});

afterAll(async () => {
  await google.close();
  await running.close();
});

beforeEach(() => {
  google.stsRequests.length = 0;
  google.iamRequests.length = 0;
  google.stsRefusal = undefined;
  google.iamRefusal = undefined;
});

function deps() {
  return {
    tokens: running.issuer,
    endpoints: { gcpStsEndpoint: google.stsUrl, gcpIamCredentialsEndpoint: google.iamUrl },
  };
}

function client(federation: GcsFederation) {
  const auth = gcpAuth({ federation }, {}, deps());
  if (auth === undefined || !('authClient' in auth)) throw new Error('expected an auth client');
  return auth.authClient;
}

async function failure(promise: Promise<unknown>): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  return error as TapedeckError;
}

describe('gcpAuth() with a service-account key', () => {
  it('returns the parsed client_email, private_key and project_id', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const json = JSON.stringify({
      type: 'service_account',
      project_id: 'example-project',
      client_email: SERVICE_ACCOUNT,
      private_key: pem,
    });
    expect(gcpAuth({}, { gcsCredentials: json }, deps())).toEqual({
      credentials: {
        client_email: SERVICE_ACCOUNT,
        private_key: pem,
        project_id: 'example-project',
      },
    });
  });

  it('text that is not a key is STORAGE_CONFIG_INVALID without quoting it', () => {
    const secret = `not-json-${randomBytes(8).toString('hex')}`;
    for (const text of [secret, JSON.stringify({ client_email: SERVICE_ACCOUNT, note: secret })]) {
      let error: unknown;
      try {
        gcpAuth({}, { gcsCredentials: text }, deps());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TapedeckError);
      expect((error as TapedeckError).code).toBe('STORAGE_CONFIG_INVALID');
      expect((error as TapedeckError).message).not.toContain(secret);
    }
  });

  it('nothing configured is undefined (Application Default Credentials)', () => {
    expect(gcpAuth({}, {}, deps())).toBeUndefined();
  });
});

describe('gcpAuth() with workload identity federation', () => {
  it('getAccessToken() exchanges a tapedeck token at STS, then impersonates the service account with the STS token as Bearer', async () => {
    const auth = client({ audience: AUDIENCE, serviceAccountEmail: SERVICE_ACCOUNT });
    const { token } = await auth.getAccessToken();

    expect(google.stsRequests).toHaveLength(1);
    const sts = google.stsRequests[0]!;
    expect(sts.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(sts.params).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: AUDIENCE,
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      // IAM's generateAccessToken needs cloud-platform on the federated token.
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    });
    expect(sts.tokenError).toBeUndefined();
    expect(sts.claims).toMatchObject({
      iss: running.url,
      sub: running.issuer.subject,
      aud: AUDIENCE,
    });

    expect(google.iamRequests).toHaveLength(1);
    const iam = google.iamRequests[0]!;
    expect(iam.path).toBe(`/v1/projects/-/serviceAccounts/${SERVICE_ACCOUNT}:generateAccessToken`);
    expect(iam.headers.authorization).toBe(`Bearer ${google.stsTokens[0]}`);
    expect(iam.json).toMatchObject({ scope: [GCS_READ_WRITE_SCOPE], lifetime: '3600s' });

    expect(token).toBe(google.iamTokens[0]);
    // Cached until near expiry: no second exchange.
    expect((await auth.getAccessToken()).token).toBe(token);
    expect(google.stsRequests).toHaveLength(1);
  });

  it('without serviceAccountEmail the STS token itself is used, scoped devstorage.read_write', async () => {
    const auth = client({ audience: AUDIENCE });
    const { token } = await auth.getAccessToken();
    expect(google.stsRequests).toHaveLength(1);
    expect(google.stsRequests[0]!.params['scope']).toBe(GCS_READ_WRITE_SCOPE);
    expect(google.iamRequests).toHaveLength(0);
    expect(token).toBe(google.stsTokens.at(-1));
  });

  it('getRequestHeaders() carries the impersonated token (what @google-cloud/storage sends)', async () => {
    const auth = client({ audience: AUDIENCE, serviceAccountEmail: SERVICE_ACCOUNT });
    const headers = await auth.getRequestHeaders();
    expect(headers.get('authorization')).toBe(`Bearer ${google.iamTokens.at(-1)}`);
  });

  it('STS refusing the token (invalid_grant) is DESTINATION_AUTH_FAILED naming the audience and the reason, without the token', async () => {
    google.stsRefusal = {
      status: 400,
      code: 'invalid_grant',
      message: 'The audience in ID Token does not match the expected audience.',
    };
    const error = await failure(
      client({ audience: AUDIENCE, serviceAccountEmail: SERVICE_ACCOUNT }).getAccessToken(),
    );
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toBe(
      `Google STS refused the token exchange for audience ${AUDIENCE}: invalid_grant (The audience in ID Token does not match the expected audience.)`,
    );
    expect(error.message).not.toContain(google.stsRequests[0]!.params['subject_token']!);
    expect(google.iamRequests).toHaveLength(0);
  });

  it('a provider audience Google does not know is refused (the double checks audience and the token verifies for it)', async () => {
    const other = `${AUDIENCE}-other`;
    const error = await failure(client({ audience: other }).getAccessToken());
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toMatch(/invalid_target/);
  });

  it('IAM refusing impersonation (403 PERMISSION_DENIED) is DESTINATION_AUTH_FAILED naming the service account', async () => {
    google.iamRefusal = {
      status: 403,
      code: 'PERMISSION_DENIED',
      message: "Permission 'iam.serviceAccounts.getAccessToken' denied",
    };
    const error = await failure(
      client({ audience: AUDIENCE, serviceAccountEmail: SERVICE_ACCOUNT }).getAccessToken(),
    );
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toBe(
      `Google IAM credentials refused generateAccessToken for service account ${SERVICE_ACCOUNT}: PERMISSION_DENIED (Permission 'iam.serviceAccounts.getAccessToken' denied)`,
    );
    expect(error.message).not.toContain(google.stsTokens.at(-1)!);
  });

  it('STS answering 503 is DESTINATION_UNAVAILABLE', async () => {
    google.stsRefusal = { status: 503, code: 'unavailable', message: 'try later' };
    const error = await failure(client({ audience: AUDIENCE }).getAccessToken());
    expect(error.code).toBe('DESTINATION_UNAVAILABLE');
  });

  it('an STS endpoint nobody listens on is DESTINATION_UNREACHABLE', async () => {
    const port = await freeLoopbackPort();
    const auth = gcpAuth(
      { federation: { audience: AUDIENCE } },
      {},
      {
        tokens: running.issuer,
        endpoints: { gcpStsEndpoint: `http://127.0.0.1:${port}/v1/token` },
      },
    );
    if (auth === undefined || !('authClient' in auth)) throw new Error('expected an auth client');
    const error = await failure(auth.authClient.getAccessToken());
    expect(error.code).toBe('DESTINATION_UNREACHABLE');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
  });
});
