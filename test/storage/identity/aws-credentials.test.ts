/**
 * awsCredentials() driven through the real AWS SDK (@aws-sdk/credential-providers and its
 * STS client) against a loopback STS double. No real AWS endpoint is reachable from the
 * test machines; the double verifies tapedeck's token against the issuer's JWKS (fetched
 * over HTTP) and AssumeRole's SigV4 signature, as STS would.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../../src/errors.js';
import {
  awsCredentials,
  memoizeUntilExpiry,
} from '../../../src/storage/identity/aws-credentials.js';
import type { S3Settings } from '../../../src/storage/types.js';
import { startAwsStsDouble, type AwsStsDouble } from '../../helpers/token-service-doubles.js';
import { startIssuer, type RunningIssuer } from './issuer-fixture.js';
import { freeLoopbackPort } from '../../helpers/free-port.js';

const ROLE = 'arn:aws:iam::123456789012:role/tapedeck-writer';
const base = {
  accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: randomBytes(30).toString('base64url'),
};

let running: RunningIssuer;
let sts: AwsStsDouble;

beforeAll(async () => {
  running = await startIssuer();
  sts = await startAwsStsDouble({ trustedIssuer: running.url, signingKeys: [base] });
});

afterAll(async () => {
  await sts.close();
  await running.close();
});

beforeEach(() => {
  sts.requests.length = 0;
  sts.issued.length = 0;
  sts.expiresInSeconds = 3600;
  sts.refusal = undefined;
});

function deps() {
  return { tokens: running.issuer, endpoints: { awsStsEndpoint: sts.url } };
}

function provider(s3: S3Settings, opts?: Parameters<typeof awsCredentials>[3]) {
  const result = awsCredentials(s3, {}, deps(), opts);
  if (typeof result !== 'function') throw new Error('expected a credential provider');
  return result;
}

async function failure(promise: Promise<unknown>): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  return error as TapedeckError;
}

describe('awsCredentials() without a role', () => {
  it('static keys are returned as they are; nothing configured means the SDK default chain (undefined)', () => {
    expect(
      awsCredentials(
        { region: 'eu-west-1' },
        { s3AccessKeyId: 'AKIDEXAMPLE', s3SecretAccessKey: 's' },
        deps(),
      ),
    ).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's' });
    expect(awsCredentials({ region: 'eu-west-1' }, {}, deps())).toBeUndefined();
  });

  it('half a key pair is STORAGE_CONFIG_INVALID; durationSeconds outside 900–43200 is a RangeError naming it', () => {
    expect(() =>
      awsCredentials({ region: 'eu-west-1' }, { s3AccessKeyId: 'AKID' }, deps()),
    ).toThrow(expect.objectContaining({ code: 'STORAGE_CONFIG_INVALID' }) as Error);
    expect(() =>
      awsCredentials({ region: 'eu-west-1', roleArn: ROLE }, {}, deps(), {
        durationSeconds: 43_201,
      }),
    ).toThrow(/opts\.durationSeconds/);
    expect(() =>
      awsCredentials({ region: 'eu-west-1', roleArn: ROLE }, {}, deps(), { durationSeconds: 899 }),
    ).toThrow(RangeError);
  });
});

describe('awsCredentials() with roleArn alone: AssumeRoleWithWebIdentity', () => {
  it('sends a fresh tapedeck token (aud sts.amazonaws.com, sub = workspace) with RoleArn, RoleSessionName tapedeck-<workspace> and DurationSeconds; returns the credentials STS issued', async () => {
    const credentials = await provider(
      { region: 'eu-west-1', roleArn: ROLE },
      { durationSeconds: 43_200 },
    )();

    expect(sts.requests).toHaveLength(1);
    const request = sts.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.params).toMatchObject({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: `tapedeck-${running.issuer.subject}`,
      DurationSeconds: '43200',
    });
    expect(request.tokenError).toBeUndefined();
    expect(request.claims).toMatchObject({
      iss: running.url,
      sub: running.issuer.subject,
      aud: 'sts.amazonaws.com',
    });
    // The web-identity call is unsigned: the token is the proof.
    expect(request.headers.authorization).toBeUndefined();

    const issued = sts.issued[0]!;
    expect(credentials).toMatchObject({
      accessKeyId: issued.accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      sessionToken: issued.sessionToken,
    });
    expect(credentials.expiration?.getTime()).toBe(issued.expiration.getTime());
  });

  it('DurationSeconds defaults to 3600', async () => {
    await provider({ region: 'eu-west-1', roleArn: ROLE })();
    expect(sts.requests[0]!.params['DurationSeconds']).toBe('3600');
  });

  it('keeps credentials while they are far from expiry, and fetches new ones (with a new token) once they are within five minutes of it', async () => {
    const get = provider({ region: 'eu-west-1', roleArn: ROLE });
    const first = await get();
    const again = await get();
    expect(again).toBe(first);
    expect(sts.requests).toHaveLength(1);

    // The next session is short: it is already inside the refresh window when it arrives.
    sts.expiresInSeconds = 60;
    const forced = await get({ forceRefresh: true });
    expect(forced.accessKeyId).toBe(sts.issued[1]!.accessKeyId);
    const renewed = await get();
    expect(sts.requests).toHaveLength(3);
    expect(renewed.accessKeyId).toBe(sts.issued[2]!.accessKeyId);
    expect(new Set(sts.issued.map((c) => c.accessKeyId)).size).toBe(3);
    const jtis = sts.requests.map((r) => r.claims?.jti);
    expect(new Set(jtis).size).toBe(3);
  });

  it('concurrent callers share one STS call', async () => {
    const get = provider({ region: 'eu-west-1', roleArn: ROLE });
    const [a, b, c] = await Promise.all([get(), get(), get()]);
    expect(sts.requests).toHaveLength(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('STS answering 403 AccessDenied is DESTINATION_AUTH_FAILED naming the action, role and code, without the token', async () => {
    sts.refusal = {
      status: 403,
      code: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    };
    const error = await failure(provider({ region: 'eu-west-1', roleArn: ROLE })());
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      new RegExp(
        `^AWS STS refused AssumeRoleWithWebIdentity for role ${ROLE.replace(/[/]/g, '\\/')}: AccessDenied`,
      ),
    );
    expect(error.message).not.toContain('\n');
    const sentToken = sts.requests.at(-1)!.params['WebIdentityToken']!;
    expect(sentToken.length).toBeGreaterThan(100);
    expect(error.message).not.toContain(sentToken);
    expect(error.message).not.toMatch(/eyJ/);
  });

  it('a token STS cannot verify (issuer not trusted) is DESTINATION_AUTH_FAILED: InvalidIdentityToken', async () => {
    const other = await startAwsStsDouble({ trustedIssuer: 'http://127.0.0.1:1' });
    try {
      const get = awsCredentials(
        { region: 'eu-west-1', roleArn: ROLE },
        {},
        {
          tokens: running.issuer,
          endpoints: { awsStsEndpoint: other.url },
        },
      );
      const error = await failure((get as () => Promise<unknown>)());
      expect(error.code).toBe('DESTINATION_AUTH_FAILED');
      expect(error.message).toMatch(/InvalidIdentityToken/);
      expect(other.requests[0]!.tokenError).toMatch(/untrusted issuer/);
    } finally {
      await other.close();
    }
  });

  it('STS answering 503 is DESTINATION_UNAVAILABLE (retryable)', async () => {
    sts.refusal = { status: 503, code: 'ServiceUnavailable', message: 'try later' };
    const error = await failure(provider({ region: 'eu-west-1', roleArn: ROLE })());
    expect(error.code).toBe('DESTINATION_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('an STS endpoint nobody listens on is DESTINATION_UNREACHABLE naming the endpoint', async () => {
    const closedPort = await freeLoopbackPort();
    const get = awsCredentials(
      { region: 'eu-west-1', roleArn: ROLE },
      {},
      {
        tokens: running.issuer,
        endpoints: { awsStsEndpoint: `http://127.0.0.1:${closedPort}` },
      },
    );
    const error = await failure((get as () => Promise<unknown>)());
    expect(error.code).toBe('DESTINATION_UNREACHABLE');
    expect(error.message).toContain(`http://127.0.0.1:${closedPort}`);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('awsCredentials() with roleArn + externalId: AssumeRole from base credentials', () => {
  it('signs AssumeRole (SigV4, verified by the double) with the base credentials and sends ExternalId, RoleSessionName and DurationSeconds', async () => {
    const externalId = `ext-${randomBytes(6).toString('hex')}`;
    const get = provider(
      { region: 'eu-west-1', roleArn: ROLE, externalId },
      { baseCredentials: () => Promise.resolve(base), durationSeconds: 7200 },
    );
    const credentials = await get();

    expect(sts.requests).toHaveLength(1);
    const request = sts.requests[0]!;
    expect(request.params).toMatchObject({
      Action: 'AssumeRole',
      RoleArn: ROLE,
      ExternalId: externalId,
      RoleSessionName: `tapedeck-${running.issuer.subject}`,
      DurationSeconds: '7200',
    });
    expect(request.params['WebIdentityToken']).toBeUndefined();
    expect(request.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${base.accessKeyId}/\\d{8}/eu-west-1/sts/aws4_request`,
      ),
    );
    expect(request.tokenError).toBeUndefined(); // the double checked the signature
    expect(credentials.accessKeyId).toBe(sts.issued[0]!.accessKeyId);
    expect(credentials.sessionToken).toBe(sts.issued[0]!.sessionToken);
  });

  it('static keys with a role assume it signed with those keys', async () => {
    const get = awsCredentials(
      { region: 'eu-west-1', roleArn: ROLE },
      { s3AccessKeyId: base.accessKeyId, s3SecretAccessKey: base.secretAccessKey },
      deps(),
    );
    const credentials = await (get as () => Promise<{ accessKeyId: string }>)();
    expect(sts.requests[0]!.params['Action']).toBe('AssumeRole');
    expect(sts.requests[0]!.params['ExternalId']).toBeUndefined();
    expect(credentials.accessKeyId).toBe(sts.issued[0]!.accessKeyId);
  });

  it('refreshes before expiry too', async () => {
    sts.expiresInSeconds = 120;
    const get = provider(
      { region: 'eu-west-1', roleArn: ROLE, externalId: 'x-1' },
      { baseCredentials: () => Promise.resolve(base) },
    );
    const first = await get();
    const second = await get();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(sts.requests.map((r) => r.params['Action'])).toEqual(['AssumeRole', 'AssumeRole']);
  });

  it('a refused AssumeRole (403 AccessDenied) is DESTINATION_AUTH_FAILED naming AssumeRole and the role', async () => {
    sts.refusal = { status: 403, code: 'AccessDenied', message: 'not allowed' };
    const error = await failure(
      provider(
        { region: 'eu-west-1', roleArn: ROLE, externalId: 'x-2' },
        { baseCredentials: () => Promise.resolve(base) },
      )(),
    );
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toMatch(
      /^AWS STS refused AssumeRole for role arn:aws:iam::123456789012:role\/tapedeck-writer: AccessDenied/,
    );
    expect(error.message).not.toContain(base.secretAccessKey);
  });

  it('wrong base keys (the double rejects the signature) are DESTINATION_AUTH_FAILED: SignatureDoesNotMatch', async () => {
    const wrong = {
      accessKeyId: base.accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64url'),
    };
    const error = await failure(
      provider(
        { region: 'eu-west-1', roleArn: ROLE, externalId: 'x-3' },
        { baseCredentials: () => Promise.resolve(wrong) },
      )(),
    );
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toMatch(/SignatureDoesNotMatch/);
    expect(error.message).not.toContain(wrong.secretAccessKey);
  });
});

describe('memoizeUntilExpiry()', () => {
  it('fetches again exactly when the cached credentials come within five minutes of expiry (injected clock)', async () => {
    let nowMs = 1_000_000_000_000;
    let fetches = 0;
    const get = memoizeUntilExpiry(
      () => {
        fetches += 1;
        return Promise.resolve({
          accessKeyId: `K${fetches}`,
          secretAccessKey: 's',
          expiration: new Date(nowMs + 3600_000),
        });
      },
      () => nowMs,
    );
    expect((await get()).accessKeyId).toBe('K1');
    nowMs += 3600_000 - 300_001;
    expect((await get()).accessKeyId).toBe('K1');
    nowMs += 1;
    expect((await get()).accessKeyId).toBe('K2');
    expect(fetches).toBe(2);
  });

  it('does not cache a failure', async () => {
    let fetches = 0;
    const get = memoizeUntilExpiry(() => {
      fetches += 1;
      return fetches === 1
        ? Promise.reject(new Error('first fails'))
        : Promise.resolve({ accessKeyId: 'K', secretAccessKey: 's' });
    });
    await expect(get()).rejects.toThrow('first fails');
    expect((await get()).accessKeyId).toBe('K');
  });
});
