/**
 * The GCS destination's upload(), presign() and delete() against a loopback double of the GCS JSON API
 * (test/helpers/gcs-double.ts). No GCS emulator installs offline on these machines
 * (fake-gcs-server needs Go modules; the Firebase emulator needs Java and a download), so
 * the double stands in: it verifies the self-signed service-account JWT on every request
 * and the RSA signature of V4 signed URLs with the public half of a key generated per run.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGcsDestination } from '../../src/storage/providers/gcs.js';
import { GcsDouble } from '../helpers/gcs-double.js';
import {
  adminStorage,
  gcsConfig,
  makeServiceAccount,
  makeTempDir,
  rejection,
  sha256Hex,
  writeRandomFile,
} from './gcs-support.js';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const account = makeServiceAccount();
let double: GcsDouble;
let dir: string;

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
  dir = await makeTempDir();
});

afterAll(async () => {
  await double.close();
  await fs.rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  double.requests.length = 0;
  double.faults.length = 0;
  double.corruptChecksums = false;
});

describe('createGcsDestination() upload, presign, delete', () => {
  it('uploads a 20 MB file through one resumable session in several chunks, bytes and metadata intact', async () => {
    const file = path.join(dir, 'call.mka');
    const size = 20 * 1024 * 1024 + 12345;
    const sha256 = await writeRandomFile(file, size);
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
      chunkSizeBytes: 4 * 1024 * 1024,
    });
    const progress: number[] = [];
    const result = await dest.upload({
      key: 'calls/c1/audio.mka',
      file,
      sizeBytes: size,
      contentType: 'audio/x-matroska',
      sha256,
      onProgress: (n) => progress.push(n),
    });
    expect(result.uri).toBe('gs://recordings/calls/c1/audio.mka');
    expect(result.key).toBe('calls/c1/audio.mka');
    const initiations = double.requests.filter(
      (r) => r.method === 'POST' && r.query['uploadType'] === 'resumable',
    );
    expect(initiations).toHaveLength(1);
    const chunks = double.requests.filter(
      (r) => r.method === 'PUT' && r.query['upload_id'] !== undefined,
    );
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.slice(0, -1).every((r) => r.status === 308)).toBe(true);
    expect(chunks.at(-1)?.status).toBe(200);
    const stored = double.objects('recordings').get('calls/c1/audio.mka');
    expect(stored?.bytes.length).toBe(size);
    expect(sha256Hex(stored!.bytes)).toBe(sha256);
    expect(stored?.contentType).toBe('audio/x-matroska');
    expect(stored?.metadata['sha256']).toBe(sha256);
    expect(progress.at(-1)).toBe(size);
    const [downloaded] = await adminStorage(double.url, account)
      .bucket('recordings')
      .file('calls/c1/audio.mka')
      .download();
    expect(sha256Hex(downloaded)).toBe(sha256);
  });

  it('an upload aborted through its signal fails with ABORTED', async () => {
    const file = path.join(dir, 'abort.bin');
    await writeRandomFile(file, 2 * 1024 * 1024);
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
      chunkSizeBytes: 256 * 1024,
    });
    const controller = new AbortController();
    const error = await rejection(
      dest.upload({
        key: 'abort.bin',
        file,
        sizeBytes: 2 * 1024 * 1024,
        contentType: 'application/octet-stream',
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(double.objects('recordings').has('abort.bin')).toBe(false);
  });

  it('a stored object whose checksums differ from the bytes sent fails with DESTINATION_INTEGRITY_FAILED', async () => {
    const file = path.join(dir, 'small.bin');
    await writeRandomFile(file, 300_000);
    double.corruptChecksums = true;
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    const error = await rejection(
      dest.upload({
        key: 'bad.bin',
        file,
        sizeBytes: 300_000,
        contentType: 'application/octet-stream',
      }),
    );
    expect(error.code).toBe('DESTINATION_INTEGRITY_FAILED');
    expect(error.message).toContain('"recordings"');
  });

  it('a 503 on one chunk is retried and the upload completes', async () => {
    const file = path.join(dir, 'retry.bin');
    const size = 1024 * 1024 + 7;
    const sha256 = await writeRandomFile(file, size);
    double.faults.push({
      match: (r) => r.method === 'PUT' && r.bodyBytes > 0,
      status: 503,
      times: 1,
    });
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
      chunkSizeBytes: 512 * 1024,
    });
    await dest.upload({
      key: 'retry.bin',
      file,
      sizeBytes: size,
      contentType: 'application/octet-stream',
    });
    expect(double.requests.some((r) => r.status === 503)).toBe(true);
    expect(sha256Hex(double.objects('recordings').get('retry.bin')!.bytes)).toBe(sha256);
  });

  it('chunks that keep failing with 503 end in DESTINATION_UNAVAILABLE', async () => {
    const file = path.join(dir, 'down.bin');
    await writeRandomFile(file, 600_000);
    double.faults.push({ match: (r) => r.method === 'PUT', status: 503, times: 100 });
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
      chunkSizeBytes: 256 * 1024,
    });
    const error = await rejection(
      dest.upload({
        key: 'down.bin',
        file,
        sizeBytes: 600_000,
        contentType: 'application/octet-stream',
      }),
    );
    expect(error.code).toBe('DESTINATION_UNAVAILABLE');
  });

  it('upload() of a local file that does not exist fails with INPUT_NOT_FOUND, not a destination code', async () => {
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    const error = await rejection(
      dest.upload({
        key: 'k',
        file: path.join(dir, 'missing.bin'),
        sizeBytes: 1,
        contentType: 'a/b',
      }),
    );
    expect(error.code).toBe('INPUT_NOT_FOUND');
    expect(double.requests).toHaveLength(0);
  });

  it('presign() makes a V4 signed URL that the double verifies with the public key; a tampered one is refused', async () => {
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    double.objects('recordings').set('calls/c2/a b.txt', {
      bytes: Buffer.from('hello signed world'),
      contentType: 'text/plain',
      metadata: {},
      generation: '1',
    });
    const before = Math.floor(Date.now() / 1000);
    const signed = await dest.presign('calls/c2/a b.txt', 600);
    const url = new URL(signed.url);
    expect(url.origin).toBe(double.url);
    expect(url.pathname).toBe('/recordings/calls/c2/a%20b.txt');
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Credential')).toMatch(
      new RegExp(`^${account.credentials.client_email}/\\d{8}/auto/storage/goog4_request$`),
    );
    expect(url.searchParams.get('X-Goog-Expires')).toBe('600');
    expect(signed.expiresAt).toBeGreaterThanOrEqual(before + 600);
    const ok = await fetch(signed.url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello signed world');
    url.searchParams.set('X-Goog-Expires', '6000');
    const tampered = await fetch(url);
    expect(tampered.status).toBe(403);
  });

  it('delete() removes the object and is quiet when it is already gone; uri() is gs://bucket/key', async () => {
    const dest = createGcsDestination(gcsConfig('recordings', double.url), {
      credentials: account.credentials,
    });
    double.objects('recordings').set('old.bin', {
      bytes: Buffer.from('x'),
      contentType: 'x/y',
      metadata: {},
      generation: '1',
    });
    await dest.delete('old.bin');
    expect(double.objects('recordings').has('old.bin')).toBe(false);
    await dest.delete('old.bin');
    expect(dest.uri('a/b.mka')).toBe('gs://recordings/a/b.mka');
    await dest.close();
  });
});
