/**
 * The S3 destination against s3rver (in-process, 127.0.0.1): happy paths and the headers
 * the destination sends. s3rver does NOT verify SigV4 signatures (a wrong secret would be
 * accepted), so credential failures, presigned-URL tampering and real multipart ETags are
 * proved against Swift in s3-swift.test.ts.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Destination } from '../../src/storage/providers/s3.js';
import type { StorageDestination } from '../../src/storage/types.js';
import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import {
  downloadedSha256,
  expectCode,
  fetchedSha256,
  MIB,
  s3Config,
  tempDir,
  writeFile,
  type GeneratedFile,
} from './s3-support.js';

const BUCKET = 'recordings';
const credentials = {
  accessKeyId: `AK${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: randomBytes(20).toString('hex'),
};

let server: RunningS3rver;
let admin: S3Client;
let work: { dir: string; remove: () => Promise<void> };
let small: GeneratedFile;
let large: GeneratedFile;
const open: StorageDestination[] = [];

function destination(extra: { sseKmsKeyId?: string; bucket?: string } = {}): StorageDestination {
  const dest = createS3Destination(
    s3Config(extra.bucket ?? BUCKET, {
      region: 'us-east-1',
      endpointUrl: server.endpoint,
      forcePathStyle: true,
      ...(extra.sseKmsKeyId === undefined ? {} : { sseKmsKeyId: extra.sseKmsKeyId }),
    }),
    { credentials, partSizeBytes: 5 * MIB, queueSize: 2, maxAttempts: 1 },
  );
  open.push(dest);
  return dest;
}

function requestsSince(mark: number): RunningS3rver['requests'] {
  return server.requests.slice(mark);
}

beforeAll(async () => {
  server = await startS3rverWithLog([BUCKET], credentials);
  admin = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });
  work = await tempDir();
  small = await writeFile(work.dir, 'small.bin', 70_001, 7);
  large = await writeFile(work.dir, 'large.bin', 12 * MIB + 3, 11);
});

afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
  admin.destroy();
  await server.stop();
  await work.remove();
});

describe('S3 destination on s3rver', () => {
  it('check(read_write) on an existing bucket sends HeadBucket and resolves', async () => {
    const mark = server.requests.length;
    await destination().check({ accessMode: 'read_write', prefixes: [] });
    expect(requestsSince(mark).map((r) => `${r.method} ${r.url}`)).toEqual([`HEAD /${BUCKET}/`]);
  });

  it('check(read_write) on a missing bucket throws DESTINATION_NOT_FOUND naming the bucket', async () => {
    const error = await expectCode(
      destination({ bucket: 'no-such-bucket' }).check({ accessMode: 'read_write', prefixes: [] }),
      'DESTINATION_NOT_FOUND',
    );
    expect(error.message).toContain('"no-such-bucket"');
  });

  it("check(write_only) puts then deletes one probe per prefix; '' is the bucket root and no key has '//'", async () => {
    const mark = server.requests.length;
    await destination().check({
      accessMode: 'write_only',
      prefixes: ['', 'audio/2026/', '/video'],
    });
    const lines = requestsSince(mark).map((r) => `${r.method} ${r.url.split('?')[0] ?? ''}`);
    const puts = lines.filter((l) => l.startsWith('PUT '));
    expect(puts).toHaveLength(3);
    expect(puts[0]).toMatch(new RegExp(`^PUT /${BUCKET}/\\.write_probe_[0-9a-f]{16}$`));
    expect(puts[1]).toMatch(new RegExp(`^PUT /${BUCKET}/audio/2026/\\.write_probe_[0-9a-f]{16}$`));
    expect(puts[2]).toMatch(new RegExp(`^PUT /${BUCKET}/video/\\.write_probe_[0-9a-f]{16}$`));
    for (const put of puts) expect(lines).toContain(put.replace(/^PUT/, 'DELETE'));
    expect(lines.join('\n')).not.toContain('//');
  });

  it('upload() of a file under the part size is one PutObject whose ETag is the MD5, with type and sha256 metadata', async () => {
    const dest = destination();
    const progress: number[] = [];
    const result = await dest.upload({
      key: 'calls/c1/audio.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'audio/ogg',
      sha256: small.sha256,
      onProgress: (n) => progress.push(n),
    });
    expect(result).toEqual({
      key: 'calls/c1/audio.bin',
      uri: `s3://${BUCKET}/calls/c1/audio.bin`,
      etag: `"${small.md5}"`,
    });
    expect(progress.at(-1)).toBe(small.sizeBytes);
    const head = await admin.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'calls/c1/audio.bin' }),
    );
    expect({
      type: head.ContentType,
      length: head.ContentLength,
      sha256: head.Metadata?.['sha256'],
    }).toEqual({
      type: 'audio/ogg',
      length: small.sizeBytes,
      sha256: small.sha256,
    });
    expect(await downloadedSha256(admin, BUCKET, 'calls/c1/audio.bin')).toEqual({
      sha256: small.sha256,
      bytes: small.sizeBytes,
    });
  });

  it('upload() of a 12 MiB file with 5 MiB parts is a 3-part multipart upload that reads back equal', async () => {
    const mark = server.requests.length;
    const progress: number[] = [];
    const result = await destination().upload({
      key: 'calls/c1/video.bin',
      file: large.file,
      sizeBytes: large.sizeBytes,
      contentType: 'video/webm',
      onProgress: (n) => progress.push(n),
    });
    const parts = requestsSince(mark).filter(
      (r) => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.url),
    );
    expect(parts).toHaveLength(3);
    expect(
      requestsSince(mark)
        .filter((r) => r.method === 'POST')
        .map((r) => r.url.split('=')[0]),
    ).toEqual([`/${BUCKET}/calls/c1/video.bin?uploads`, `/${BUCKET}/calls/c1/video.bin?uploadId`]);
    // s3rver's multipart ETag is a plain hash, not AWS's "<md5>-<parts>" (Swift's is: s3-swift.test.ts).
    expect(result.etag).toMatch(/^"[0-9a-f]{32}(-3)?"$/);
    expect(progress.at(-1)).toBe(large.sizeBytes);
    expect(await downloadedSha256(admin, BUCKET, 'calls/c1/video.bin')).toEqual({
      sha256: large.sha256,
      bytes: large.sizeBytes,
    });
  });

  it('upload() with sseKmsKeyId sends aws:kms and the key id on PutObject and on CreateMultipartUpload', async () => {
    const dest = destination({ sseKmsKeyId: 'alias/tapedeck-test' });
    const mark = server.requests.length;
    await dest.upload({
      key: 'kms/small.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'application/octet-stream',
    });
    await dest.upload({
      key: 'kms/large.bin',
      file: large.file,
      sizeBytes: large.sizeBytes,
      contentType: 'application/octet-stream',
    });
    const seen = requestsSince(mark);
    const put = seen.find(
      (r) => r.method === 'PUT' && r.url.startsWith(`/${BUCKET}/kms/small.bin`),
    );
    const create = seen.find(
      (r) => r.method === 'POST' && r.url.startsWith(`/${BUCKET}/kms/large.bin?uploads`),
    );
    for (const request of [put, create]) {
      expect(request?.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(request?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(
        'alias/tapedeck-test',
      );
    }
  });

  it('upload() sends x-amz-checksum-sha256 on PutObject and on every UploadPart (SHA-256 of that body)', async () => {
    const mark = server.requests.length;
    const dest = destination();
    await dest.upload({
      key: 'sum/small.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'application/octet-stream',
    });
    await dest.upload({
      key: 'sum/large.bin',
      file: large.file,
      sizeBytes: large.sizeBytes,
      contentType: 'application/octet-stream',
    });
    const seen = requestsSince(mark);
    const put = seen.find(
      (r) => r.method === 'PUT' && r.url.startsWith(`/${BUCKET}/sum/small.bin`),
    );
    expect(
      Buffer.from(String(put?.headers['x-amz-checksum-sha256']), 'base64').toString('hex'),
    ).toBe(small.sha256);
    const parts = seen.filter(
      (r) => r.method === 'PUT' && r.url.startsWith(`/${BUCKET}/sum/large.bin?`),
    );
    expect(parts).toHaveLength(3);
    for (const part of parts)
      expect(part.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const create = seen.find(
      (r) => r.method === 'POST' && r.url.startsWith(`/${BUCKET}/sum/large.bin?uploads`),
    );
    expect(create?.headers['x-amz-checksum-algorithm']).toBe('SHA256');
  });

  it('upload() without sseKmsKeyId sends no server-side-encryption header', async () => {
    const mark = server.requests.length;
    await destination().upload({
      key: 'plain/small.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'application/octet-stream',
    });
    const put = requestsSince(mark).find((r) => r.method === 'PUT');
    expect(put?.headers['x-amz-server-side-encryption']).toBeUndefined();
  });

  it('presign() returns a GET URL that fetches the bytes and an expiresAt ttl seconds ahead', async () => {
    const before = Math.floor(Date.now() / 1000);
    const signed = await destination().presign('calls/c1/audio.bin', 300);
    expect(signed.expiresAt - before).toBeGreaterThanOrEqual(300);
    expect(signed.expiresAt - before).toBeLessThanOrEqual(301);
    expect(new URL(signed.url).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(await fetchedSha256(signed.url)).toEqual({
      status: 200,
      sha256: small.sha256,
      bytes: small.sizeBytes,
    });
  });

  it('delete() removes the key; uri() is s3://bucket/key', async () => {
    const dest = destination();
    await dest.delete('plain/small.bin');
    const gone = await admin
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'plain/small.bin' }))
      .then(
        () => 'present',
        (e: unknown) =>
          (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      );
    expect(gone).toBe(404);
    expect(dest.uri('a/b c.bin')).toBe(`s3://${BUCKET}/a/b c.bin`);
  });

  it('upload() aborted by its signal mid-way throws ABORTED and completes no object', async () => {
    const controller = new AbortController();
    const upload = destination().upload({
      key: 'aborted/large.bin',
      file: large.file,
      sizeBytes: large.sizeBytes,
      contentType: 'application/octet-stream',
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expectCode(upload, 'ABORTED');
    const status = await admin
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'aborted/large.bin' }))
      .then(
        () => 200,
        (e: unknown) =>
          (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      );
    expect(status).toBe(404);
  });

  it('upload() with an already aborted signal throws ABORTED before sending anything', async () => {
    const mark = server.requests.length;
    const upload = destination().upload({
      key: 'aborted/never.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'application/octet-stream',
      signal: AbortSignal.abort(),
    });
    await expectCode(upload, 'ABORTED');
    expect(requestsSince(mark)).toEqual([]);
  });

  it('upload() whose sizeBytes is not the file size throws RangeError naming sizeBytes', async () => {
    const upload = destination().upload({
      key: 'bad/size.bin',
      file: small.file,
      sizeBytes: small.sizeBytes + 1,
      contentType: 'application/octet-stream',
    });
    await expect(upload).rejects.toThrow(RangeError);
    await expect(upload).rejects.toThrow(/sizeBytes/);
  });

  it('upload() whose sha256 does not match the file throws DESTINATION_INTEGRITY_FAILED', async () => {
    const upload = destination().upload({
      key: 'bad/sha.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'application/octet-stream',
      sha256: '0'.repeat(64),
    });
    await expectCode(upload, 'DESTINATION_INTEGRITY_FAILED');
  });

  it('options.requestTimeoutMs: a server that accepts but never answers gives DESTINATION_UNREACHABLE', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const dest = createS3Destination(
        s3Config(BUCKET, {
          region: 'us-east-1',
          endpointUrl: `http://127.0.0.1:${port}`,
          forcePathStyle: true,
        }),
        {
          credentials,
          maxAttempts: 1,
          requestTimeoutMs: 300,
        },
      );
      open.push(dest);
      const error = await expectCode(
        dest.check({ accessMode: 'read_write', prefixes: [] }),
        'DESTINATION_UNREACHABLE',
      );
      expect(error.message).toContain(`"${BUCKET}"`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('createS3Destination() rejects bad options with RangeError/TypeError naming the field', () => {
    const config = s3Config(BUCKET, {
      region: 'us-east-1',
      endpointUrl: server.endpoint,
      forcePathStyle: true,
    });
    expect(() => createS3Destination(config, { partSizeBytes: 4 * MIB })).toThrow(
      /options\.partSizeBytes/,
    );
    expect(() => createS3Destination(config, { queueSize: 0 })).toThrow(RangeError);
    expect(() => createS3Destination(config, { requestTimeoutMs: -1 })).toThrow(
      /options\.requestTimeoutMs/,
    );
    expect(() => createS3Destination({ ...config, storageType: 'gcs' })).toThrow(
      /config\.storageType/,
    );
    const { s3: _s3, ...withoutS3 } = config;
    expect(() => createS3Destination(withoutS3)).toThrow(/config\.s3/);
  });
});
