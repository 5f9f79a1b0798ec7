/**
 * The GCS destination with a ready google-auth-library 10 `AuthClient` (the federated
 * path), against the loopback GCS JSON-API double (no GCS emulator installs offline; the
 * double stands in). @google-cloud/storage 7 runs on google-auth-library 9, so these tests
 * prove the bridge between the two: bearer headers reach every request, the resumable
 * upload streams through the v10 client, and URLs are signed through IAM signBlob.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcsDestination } from '../../src/storage/providers/gcs.js';
import { GcsDouble } from '../helpers/gcs-double.js';
import {
  gcsConfig,
  makeServiceAccount,
  makeTempDir,
  rejection,
  sha256Hex,
  writeRandomFile,
} from './gcs-support.js';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const TOKEN = 'ya29.test-token-for-the-double';
const account = makeServiceAccount('federated');

/** A v10 client holding a fixed access token; optionally naming the service account it acts as. */
class FixedTokenClient extends OAuth2Client {
  readonly #email: string | undefined;
  constructor(token: string, email?: string) {
    super();
    this.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    this.#email = email;
  }
  getServiceAccountEmail(): string | undefined {
    return this.#email;
  }
}

let double: GcsDouble;
let dir: string;

beforeAll(async () => {
  double = await GcsDouble.start({
    auth: { token: TOKEN },
    buckets: ['fed-bucket'],
    signingPublicKey: account.publicKey,
    signBlob: { clientEmail: account.credentials.client_email, privateKey: account.privateKey },
  });
  dir = await makeTempDir();
});

afterAll(async () => {
  await double.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('createGcsDestination() with an AuthClient', () => {
  it("check() in both modes sends the client's bearer token", async () => {
    const dest = createGcsDestination(gcsConfig('fed-bucket', double.url), {
      authClient: new FixedTokenClient(TOKEN),
    });
    await dest.check({ accessMode: 'read_write', prefixes: [] });
    await dest.check({ accessMode: 'write_only', prefixes: ['x'] });
    const authed = double.requests.filter((r) => r.headers.authorization !== undefined);
    expect(authed.length).toBeGreaterThanOrEqual(3);
    expect(
      authed.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && r.status < 300),
    ).toBe(true);
  });

  it('a token the bucket rejects fails with DESTINATION_AUTH_FAILED and no token in the message', async () => {
    const dest = createGcsDestination(gcsConfig('fed-bucket', double.url), {
      authClient: new FixedTokenClient('ya29.wrong'),
    });
    const error = await rejection(dest.check({ accessMode: 'read_write', prefixes: [] }));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).not.toContain('ya29');
  });

  it('upload() streams a resumable upload in several chunks through the v10 client', async () => {
    const file = path.join(dir, 'fed.bin');
    const size = 3 * 1024 * 1024 + 99;
    const sha256 = await writeRandomFile(file, size);
    const dest = createGcsDestination(gcsConfig('fed-bucket', double.url), {
      authClient: new FixedTokenClient(TOKEN),
      chunkSizeBytes: 1024 * 1024,
    });
    double.requests.length = 0;
    await dest.upload({
      key: 'fed/one.bin',
      file,
      sizeBytes: size,
      contentType: 'application/octet-stream',
      sha256,
    });
    const chunks = double.requests.filter((r) => r.method === 'PUT' && r.bodyBytes > 0);
    expect(chunks.length).toBeGreaterThan(1);
    const stored = double.objects('fed-bucket').get('fed/one.bin');
    expect(sha256Hex(stored!.bytes)).toBe(sha256);
    expect(stored?.metadata['sha256']).toBe(sha256);
  });

  it("presign() signs through IAM signBlob for the client's service account; the double verifies it", async () => {
    const dest = createGcsDestination(gcsConfig('fed-bucket', double.url), {
      authClient: new FixedTokenClient(TOKEN, account.credentials.client_email),
      iamCredentialsEndpoint: double.url,
    });
    double.objects('fed-bucket').set('r.txt', {
      bytes: Buffer.from('federated'),
      contentType: 'text/plain',
      metadata: {},
      generation: '1',
    });
    const signed = await dest.presign('r.txt', 120);
    expect(new URL(signed.url).searchParams.get('X-Goog-Credential')).toContain(
      account.credentials.client_email,
    );
    expect(
      double.requests.some(
        (r) => r.path.endsWith(':signBlob') && r.headers.authorization === `Bearer ${TOKEN}`,
      ),
    ).toBe(true);
    const res = await fetch(signed.url);
    expect(await res.text()).toBe('federated');
  });

  it('presign() with a client that names no service account fails with DESTINATION_AUTH_FAILED', async () => {
    const dest = createGcsDestination(gcsConfig('fed-bucket', double.url), {
      authClient: new FixedTokenClient(TOKEN),
    });
    const error = await rejection(dest.presign('r.txt', 120));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toContain('service account');
  });
});
