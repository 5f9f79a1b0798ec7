/**
 * Federated identity through the service, with no customer secret: tapedeck is the OIDC
 * issuer, an S3 storage names only a role ARN, and AWS STS (a loopback double: no real
 * cloud is reachable here) trades tapedeck's token — verified against the service's own
 * JWKS over HTTP — for temporary credentials the S3 server (s3rver) accepts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckApiError, TapedeckClient } from '../../packages/client/src/index.js';
import { startTestService, type TestService } from '../calls/support.js';
import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import { startAwsStsDouble, type AwsStsDouble } from '../helpers/token-service-doubles.js';
import { testSecret } from '../helpers/test-secrets.js';
import { recordShortCall } from './support.js';
import { freeLoopbackPort } from '../helpers/free-port.js';

const ROLE = 'arn:aws:iam::123456789012:role/tapedeck-writer';
const issued = {
  accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: testSecret(),
};
let s3: RunningS3rver;
let sts: AwsStsDouble;
let svc: TestService;
let client: TapedeckClient;
let publicUrl: string;

beforeAll(async () => {
  s3 = await startS3rverWithLog(['federated'], issued);
  const port = await freeLoopbackPort();
  publicUrl = `http://127.0.0.1:${port}`;
  sts = await startAwsStsDouble({ trustedIssuer: publicUrl, issue: issued });
  svc = await startTestService(
    {
      TAPEDECK_PORT: String(port),
      TAPEDECK_PUBLIC_URL: publicUrl,
      TAPEDECK_AWS_STS_ENDPOINT: sts.url,
    },
    { delivery: { initialDelayMs: 50, pollIntervalMs: 50 } },
  );
  client = new TapedeckClient({ baseUrl: svc.service.url, apiSecret: svc.secret });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await sts?.close();
  await s3?.stop();
});

const body = () => ({
  name: 'by-role',
  storage_type: 's3' as const,
  bucket: 'federated',
  aws_s3: {
    s3_region: 'us-east-1',
    role_arn: ROLE,
    s3_custom_endpoint_url: s3.endpoint,
    s3_force_path_style: true,
  },
});

describe('federated identity (AWS web identity)', () => {
  it('publishes its discovery document and JWKS at the public URL', async () => {
    const discovery = (await (
      await fetch(`${publicUrl}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: publicUrl,
      jwks_uri: `${publicUrl}/.well-known/jwks.json`,
    });
    const jwks = (await (await fetch(`${publicUrl}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((k) => k['d'] === undefined)).toBe(true);
  });

  it('STS refusing the role makes saving fail with 400 DESTINATION_AUTH_FAILED', async () => {
    sts.refusal = {
      status: 403,
      code: 'AccessDenied',
      message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
    };
    try {
      const error = await client.createExternalStorage(body()).then(
        () => undefined,
        (e: unknown) => e as TapedeckApiError,
      );
      expect([error?.status, error?.code]).toEqual([400, 'DESTINATION_AUTH_FAILED']);
    } finally {
      sts.refusal = undefined;
    }
  });

  it('a storage with only a role ARN is validated and delivered to with credentials from AssumeRoleWithWebIdentity', async () => {
    const { external_storage: view } = await client.createExternalStorage(body());
    expect(view['aws_s3']).toMatchObject({ role_arn: ROLE });
    const exchanges = sts.requests.filter(
      (r) => r.params['Action'] === 'AssumeRoleWithWebIdentity',
    );
    expect(exchanges.length).toBeGreaterThan(0);
    expect(exchanges.at(-1)?.params).toMatchObject({ RoleArn: ROLE });

    const id = await recordShortCall(client, 'fed-1', { storage: 'by-role', packets: 100 });
    const { status } = (await client.getRecording(id)).recording;
    expect(status).toBe('ready');
    const put = s3.requests.find((r) => r.method === 'PUT' && r.url.includes(id));
    const tokens = new Set(sts.issued.map((c) => c.sessionToken));
    expect(tokens.has(String(put?.headers['x-amz-security-token']))).toBe(true);
  });
});
