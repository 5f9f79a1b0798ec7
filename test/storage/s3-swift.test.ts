/**
 * The S3 destination against OpenStack Swift's S3 API (s3api + tempauth, single node on
 * 127.0.0.1; see test/helpers/swift-server.ts): a server that verifies SigV4 signatures,
 * presigned-URL expiry and builds real multipart ETags (`"<md5 of part md5s>-<parts>"`).
 */
import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Destination, type S3DestinationOptions } from '../../src/storage/providers/s3.js';
import type { S3Settings, StorageDestination } from '../../src/storage/types.js';
import { startSwift, type RunningSwift } from '../helpers/swift-server.js';
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
import { freeLoopbackPort } from '../helpers/free-port.js';

const BUCKET = 'recordings';
const WRONG_SECRET = 'wrong-secret-7f3a9c';

let swift: RunningSwift;
let admin: S3Client;
let work: { dir: string; remove: () => Promise<void> };
let small: GeneratedFile;
let big: GeneratedFile;
const open: StorageDestination[] = [];

function destination(
  s3: Partial<S3Settings> = {},
  options: S3DestinationOptions = {},
  bucket = BUCKET,
): StorageDestination {
  const dest = createS3Destination(
    s3Config(bucket, {
      region: 'us-east-1',
      endpointUrl: swift.endpoint,
      forcePathStyle: true,
      ...s3,
    }),
    {
      credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
      maxAttempts: 1,
      ...options,
    },
  );
  open.push(dest);
  return dest;
}

function wrongSecret(): S3DestinationOptions {
  return { credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: WRONG_SECRET } };
}

async function keys(prefix = ''): Promise<string[]> {
  const listed = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((c) => c.Key ?? '');
}

beforeAll(async () => {
  swift = await startSwift();
  admin = new S3Client({
    endpoint: swift.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  work = await tempDir();
  small = await writeFile(work.dir, 'small.bin', 100_003, 3);
  big = await writeFile(work.dir, 'big.bin', 40 * MIB + 4321, 5);
});

afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
  admin?.destroy();
  await swift?.stop();
  await work?.remove();
});

describe('S3 destination on Swift s3api', () => {
  it('check(read_write) on an existing bucket resolves', async () => {
    await destination().check({ accessMode: 'read_write', prefixes: [] });
  });

  it('check(read_write) with a wrong secret throws DESTINATION_AUTH_FAILED naming the bucket, without the secret', async () => {
    const error = await expectCode(
      destination({}, wrongSecret()).check({ accessMode: 'read_write', prefixes: [] }),
      'DESTINATION_AUTH_FAILED',
    );
    expect(error.message).toContain(`"${BUCKET}"`);
    // HeadBucket's 403 has no body; the destination asks GetBucketLocation for the reason.
    expect(error.message).toContain('credentials rejected (SignatureDoesNotMatch, HTTP 403)');
    expect(error.message).not.toContain(WRONG_SECRET);
    expect(error.message).not.toContain(swift.secretAccessKey);
    expect(error.message).not.toContain(swift.accessKeyId);
    expect(error.cause).toBeDefined();
  });

  it('check(read_write) on a missing bucket throws DESTINATION_NOT_FOUND', async () => {
    const error = await expectCode(
      destination({}, {}, 'missing-bucket').check({ accessMode: 'read_write', prefixes: [] }),
      'DESTINATION_NOT_FOUND',
    );
    expect(error.message).toContain('"missing-bucket"');
  });

  it('check(write_only) with a wrong secret throws DESTINATION_AUTH_FAILED "credentials rejected" (SignatureDoesNotMatch)', async () => {
    const error = await expectCode(
      destination({}, wrongSecret()).check({ accessMode: 'write_only', prefixes: [''] }),
      'DESTINATION_AUTH_FAILED',
    );
    expect(error.message).toContain('credentials rejected');
    expect(error.message).toContain('SignatureDoesNotMatch');
    expect(error.message).not.toContain(WRONG_SECRET);
  });

  it('check(write_only) with two prefixes writes a probe under each (seen by the proxy) and leaves none behind', async () => {
    const before = swift.proxyLog.length;
    await destination().check({ accessMode: 'write_only', prefixes: ['', 'audio/2026'] });
    const probePut = (prefix: string): RegExp =>
      new RegExp(`PUT /${BUCKET}/${prefix}\\.write_probe_[0-9a-f]{16}\\S* HTTP/1\\.[01] 200 `);
    for (const prefix of ['', 'audio/2026/']) {
      await expect
        .poll(() => swift.proxyLog.slice(before).some((line) => probePut(prefix).test(line)), {
          timeout: 10_000,
        })
        .toBe(true);
    }
    expect((await keys()).filter((k) => k.includes('.write_probe_'))).toEqual([]);
  });

  it('upload() of a 40 MiB file with 5 MiB parts is a real multipart upload (ETag "-9") that downloads back equal', async () => {
    const progress: number[] = [];
    const result = await destination({}, { partSizeBytes: 5 * MIB, queueSize: 3 }).upload({
      key: 'calls/c1/big.bin',
      file: big.file,
      sizeBytes: big.sizeBytes,
      contentType: 'video/webm',
      sha256: big.sha256,
      onProgress: (n) => progress.push(n),
    });
    expect(result.key).toBe('calls/c1/big.bin');
    expect(result.uri).toBe(`s3://${BUCKET}/calls/c1/big.bin`);
    expect(result.etag).toMatch(/^"?[0-9a-f]{32}-9"?$/);
    expect(progress.at(-1)).toBe(big.sizeBytes);
    const head = await admin.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'calls/c1/big.bin' }),
    );
    expect({
      length: head.ContentLength,
      type: head.ContentType,
      sha256: head.Metadata?.['sha256'],
    }).toEqual({
      length: big.sizeBytes,
      type: 'video/webm',
      sha256: big.sha256,
    });
    expect(await downloadedSha256(admin, BUCKET, 'calls/c1/big.bin')).toEqual({
      sha256: big.sha256,
      bytes: big.sizeBytes,
    });
  });

  it('upload() of a small file is one PutObject whose ETag is the MD5 of the file', async () => {
    const result = await destination().upload({
      key: 'calls/c1/small.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'audio/ogg',
    });
    expect(result.etag).toBe(`"${small.md5}"`);
    expect(await downloadedSha256(admin, BUCKET, 'calls/c1/small.bin')).toEqual({
      sha256: small.sha256,
      bytes: small.sizeBytes,
    });
  });

  it('upload() with a wrong secret throws DESTINATION_AUTH_FAILED without the secret and stores nothing', async () => {
    const upload = destination({}, wrongSecret()).upload({
      key: 'denied/small.bin',
      file: small.file,
      sizeBytes: small.sizeBytes,
      contentType: 'audio/ogg',
    });
    const error = await expectCode(upload, 'DESTINATION_AUTH_FAILED');
    expect(error.message).not.toContain(WRONG_SECRET);
    expect(error.message).toContain(`"${BUCKET}"`);
    expect(await keys('denied/')).toEqual([]);
  });

  it('presign() gives a URL that fetches the bytes; a tampered signature is refused with 403', async () => {
    const signed = await destination().presign('calls/c1/small.bin', 600);
    expect(await fetchedSha256(signed.url)).toEqual({
      status: 200,
      sha256: small.sha256,
      bytes: small.sizeBytes,
    });
    const url = new URL(signed.url);
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set(
      'X-Amz-Signature',
      `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`,
    );
    expect((await fetchedSha256(url.toString())).status).toBe(403);
  });

  it('presign() URL is refused with 403 once expired', async () => {
    const signed = await destination().presign('calls/c1/small.bin', 1);
    // Wait until the server's clock is past expiresAt (whole seconds), then one more second.
    await new Promise((r) =>
      setTimeout(r, Math.max(0, (signed.expiresAt + 1) * 1000 - Date.now())),
    );
    expect((await fetchedSha256(signed.url)).status).toBe(403);
  });

  it('an endpoint on a closed 127.0.0.1 port throws DESTINATION_UNREACHABLE (check and upload)', async () => {
    const port = await freeLoopbackPort();
    const dest = destination({ endpointUrl: `http://127.0.0.1:${port}` });
    const checked = await expectCode(
      dest.check({ accessMode: 'read_write', prefixes: [] }),
      'DESTINATION_UNREACHABLE',
    );
    expect(checked.message).toContain('ECONNREFUSED');
    await expectCode(
      dest.upload({
        key: 'x/small.bin',
        file: small.file,
        sizeBytes: small.sizeBytes,
        contentType: 'audio/ogg',
      }),
      'DESTINATION_UNREACHABLE',
    );
  });

  it('check() on a destination configured for eu-west-3 throws DESTINATION_REGION_MISMATCH naming us-east-1', async () => {
    const dest = destination({ region: 'eu-west-3' });
    for (const accessMode of ['read_write', 'write_only'] as const) {
      const error = await expectCode(
        dest.check({ accessMode, prefixes: [''] }),
        'DESTINATION_REGION_MISMATCH',
      );
      expect(error.message).toContain(`"${BUCKET}"`);
      expect(error.message).toContain('bucket is in region "us-east-1"');
    }
  });

  it('delete() removes an uploaded key', async () => {
    const dest = destination();
    await dest.delete('calls/c1/small.bin');
    expect(await keys('calls/c1/small')).toEqual([]);
  });
});
