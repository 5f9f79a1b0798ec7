/**
 * The GCS destination's check() against a loopback double of the GCS JSON API
 * (test/helpers/gcs-double.ts). No GCS emulator installs offline on these machines
 * (fake-gcs-server needs Go modules; the Firebase emulator needs Java and a download), so
 * the double stands in: it verifies the self-signed service-account JWT on every request
 * and the RSA signature of V4 signed URLs with the public half of a key generated per run.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGcsDestination } from '../../src/storage/providers/gcs.js';
import { GcsDouble } from '../helpers/gcs-double.js';
import { adminStorage, gcsConfig, makeServiceAccount, rejection } from './gcs-support.js';
import { freeLoopbackPort } from '../helpers/free-port.js';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const account = makeServiceAccount();
let double: GcsDouble;

beforeAll(async () => {
  double = await GcsDouble.start({
    auth: {
      serviceAccount: {
        clientEmail: account.credentials.client_email,
        publicKey: account.publicKey,
      },
    },
    buckets: ['recordings'],
    signingPublicKey: account.publicKey,
  });
});

afterAll(async () => {
  await double.close();
});

afterEach(() => {
  double.requests.length = 0;
  double.faults.length = 0;
  double.corruptChecksums = false;
});

describe('createGcsDestination() check', () => {
  it('read_write check gets the bucket with a bearer JWT signed by the service-account key', async () => {
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    await dest.check({ accessMode: 'read_write', prefixes: [] });
    const get = double.requests.find((r) => r.path === '/storage/v1/b/recordings');
    expect(get?.method).toBe('GET');
    expect(get?.status).toBe(200);
    expect(String(get?.headers.authorization)).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('write_only check writes a .write_probe_<hex> object under each prefix and deletes it', async () => {
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    await dest.check({ accessMode: 'write_only', prefixes: ['rec/audio', 'rec/video/'] });
    const uploads = double.requests.filter((r) => r.path === '/upload/storage/v1/b/recordings/o');
    expect(uploads).toHaveLength(2);
    expect(uploads.every((r) => r.query['uploadType'] === 'multipart' && r.status === 200)).toBe(
      true,
    );
    const deletes = double.requests
      .filter((r) => r.method === 'DELETE')
      .map((r) => decodeURIComponent(r.path));
    expect(deletes).toHaveLength(2);
    expect(deletes[0]).toMatch(
      /^\/storage\/v1\/b\/recordings\/o\/rec\/audio\/\.write_probe_[0-9a-f]{16}$/,
    );
    expect(deletes[1]).toMatch(
      /^\/storage\/v1\/b\/recordings\/o\/rec\/video\/\.write_probe_[0-9a-f]{16}$/,
    );
    expect(double.objects('recordings').size).toBe(0);
  });

  it('write_only check with credentials that cannot delete leaves one probe per prefix and still passes', async () => {
    double.faults.push({ match: (r) => r.method === 'DELETE', status: 403, times: 10 });
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    await dest.check({ accessMode: 'write_only', prefixes: ['wo/audio', ''] });
    const [files] = await adminStorage(double.url, account).bucket('recordings').getFiles();
    const names = files.map((f) => f.name).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^\.write_probe_[0-9a-f]{16}$/);
    expect(names[1]).toMatch(/^wo\/audio\/\.write_probe_[0-9a-f]{16}$/);
    for (const name of names) double.objects('recordings').delete(name);
  });

  it('a key the bucket does not trust fails with DESTINATION_AUTH_FAILED naming the bucket, no secret', async () => {
    const stranger = makeServiceAccount('stranger');
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: stranger.credentials,
    });
    for (const accessMode of ['read_write', 'write_only'] as const) {
      const error = await rejection(dest.check({ accessMode, prefixes: ['a'] }));
      expect(error.code).toBe('DESTINATION_AUTH_FAILED');
      expect(error.message).toContain('"recordings"');
      expect(error.message).not.toMatch(/PRIVATE KEY|Bearer [\w-]{8}/);
      expect(error.message).not.toContain('\n');
    }
    expect(double.requests.every((r) => r.status === 401)).toBe(true);
  });

  it('a bucket that does not exist fails with DESTINATION_NOT_FOUND', async () => {
    const dest = createGcsDestination(gcsConfig('no-such-bucket', double.url), {
      credentials: account.credentials,
    });
    for (const accessMode of ['read_write', 'write_only'] as const) {
      const error = await rejection(dest.check({ accessMode, prefixes: [''] }));
      expect(error.code).toBe('DESTINATION_NOT_FOUND');
      expect(error.message).toContain('"no-such-bucket"');
    }
  });

  it('a bucket that keeps answering 429 fails with DESTINATION_UNAVAILABLE', async () => {
    double.faults.push({
      match: (r) => r.path === '/storage/v1/b/recordings',
      status: 429,
      times: 10,
    });
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    const error = await rejection(dest.check({ accessMode: 'read_write', prefixes: [] }));
    expect(error.code).toBe('DESTINATION_UNAVAILABLE');
    expect(double.requests.filter((r) => r.status === 429).length).toBeGreaterThan(1);
  });

  it('a closed loopback port fails with DESTINATION_UNREACHABLE', async () => {
    const port = await freeLoopbackPort();
    const dest = createGcsDestination(gcsConfig('recordings', `http://127.0.0.1:${port}`), {
      credentials: account.credentials,
    });
    const error = await rejection(dest.check({ accessMode: 'read_write', prefixes: [] }));
    expect(error.code).toBe('DESTINATION_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('refuses a config without explicit credentials, and a chunk size off the 256 KiB grid', () => {
    const config = gcsConfig('recordings', double.url);
    expect(() => createGcsDestination(config, {})).toThrow(/service-account key or federation/);
    expect(() =>
      createGcsDestination(config, { credentials: account.credentials, chunkSizeBytes: 1000 }),
    ).toThrow(/options\.chunkSizeBytes/);
  });
});
