import {
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchiveInput, type OpenArchiveOptions } from '../../src/archive/reader/open-input.js';
import {
  expectTapedeckError,
  readTree,
  sandbox,
  tarGzBuffer,
  zipBuffer,
  type Sandbox,
} from './reader-helpers.js';
import { startS3rverWithLog, type RunningS3rver as RunningS3 } from '../helpers/s3rver-server.js';

const BUCKET = 'recordings';
const FIRST = [
  { name: 'u1/s1/audio_1.sdp', data: 'v=0\r\n' },
  { name: 'u1/s1/audio_1.rtpdump', data: Buffer.alloc(20_000, 5) },
];
const SECOND = [{ name: 'u2/s7/video_1.sdp', data: 'v=0\r\nm=video 9 RTP/AVP 96\r\n' }];

function tree(specs: readonly { name: string; data: string | Buffer }[]): Map<string, Buffer> {
  return new Map(specs.map((s) => [s.name, Buffer.from(s.data)]));
}

let box: Sandbox;
let s3: RunningS3;
let client: S3Client;
let cacheDir: string;
const savedEnv = new Map<string, string | undefined>();

function setEnv(name: string, value: string | undefined): void {
  if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function options(extra: Partial<OpenArchiveOptions> = {}): OpenArchiveOptions {
  return { workDir: box.work, cacheDir, s3: { endpoint: s3.endpoint }, ...extra };
}

function gets(key: string): number {
  return s3.requests
    .map((r) => `${r.method} ${r.url}`)
    .filter((r) => r.startsWith(`GET /${BUCKET}/${key}`)).length;
}

function heads(key: string): number {
  return s3.requests
    .map((r) => `${r.method} ${r.url}`)
    .filter((r) => r.startsWith(`HEAD /${BUCKET}/${key}`)).length;
}

async function put(key: string, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

beforeAll(async () => {
  box = await sandbox();
  cacheDir = path.join(box.base, 'cache');
  // Fresh random credentials per run, handed to the SDK's default chain through the env.
  const credentials = {
    accessKeyId: `AK${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  s3 = await startS3rverWithLog([BUCKET], credentials, { directory: path.join(box.base, 's3') });
  setEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  setEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  setEnv('AWS_SESSION_TOKEN', undefined);
  setEnv('AWS_PROFILE', undefined);
  setEnv('TAPEDECK_S3_ENDPOINT', undefined);
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });
});

afterAll(async () => {
  client.destroy();
  await s3.stop();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await box.remove();
});

describe('openArchiveInput({ remote: "s3://…" })', () => {
  it('downloads once; the next open revalidates with HeadObject and reuses the cached copy', async () => {
    const key = 'calls/c1/part-1.zip';
    await put(key, await zipBuffer(FIRST));

    const first = await openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options());
    expect(await readTree(first.root)).toEqual(tree(FIRST));
    await first.cleanup();
    expect(gets(key)).toBe(1);

    const second = await openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options());
    expect(await readTree(second.root)).toEqual(tree(FIRST));
    await second.cleanup();
    expect(gets(key)).toBe(1);
    expect(heads(key)).toBe(1);

    const files = (await readdir(cacheDir)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.archive$/);
    expect(files[1]).toBe(files[0]!.replace('.archive', '.json'));
    const sidecar = JSON.parse(await readFile(path.join(cacheDir, files[1]!), 'utf8')) as {
      etag: string;
      source: string;
    };
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(sidecar.etag).toBe(head.ETag);
    expect(sidecar.source).toBe(`s3://${BUCKET}/${key} ${s3.endpoint}`);
    expect(await readdir(box.work)).toEqual([]);
  });

  it('downloads again when the object changed (new ETag), and extracts the new archive', async () => {
    const key = 'calls/c2/part-1';
    await put(key, await zipBuffer(FIRST));
    const first = await openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options());
    await first.cleanup();

    await put(key, await tarGzBuffer(SECOND));
    const second = await openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options());
    expect(await readTree(second.root)).toEqual(tree(SECOND));
    await second.cleanup();
    expect(gets(key)).toBe(2);

    const third = await openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options());
    await third.cleanup();
    expect(gets(key)).toBe(2);
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('takes the endpoint from TAPEDECK_S3_ENDPOINT when no option sets it', async () => {
    const key = 'calls/c3.zip';
    await put(key, await zipBuffer(FIRST));
    setEnv('TAPEDECK_S3_ENDPOINT', s3.endpoint);
    try {
      const opened = await openArchiveInput(
        { remote: `s3://${BUCKET}/${key}` },
        { workDir: box.work, cacheDir },
      );
      expect(await readTree(opened.root)).toEqual(tree(FIRST));
      await opened.cleanup();
    } finally {
      setEnv('TAPEDECK_S3_ENDPOINT', undefined);
    }
  });

  it('a missing key is INPUT_NOT_FOUND (NoSuchKey)', async () => {
    await expectTapedeckError(
      openArchiveInput({ remote: `s3://${BUCKET}/nope.zip` }, options()),
      'INPUT_NOT_FOUND',
      `s3://${BUCKET}/nope.zip: not found (NoSuchKey)`,
    );
  });

  it('a missing bucket is INPUT_NOT_FOUND (NoSuchBucket)', async () => {
    await expectTapedeckError(
      openArchiveInput({ remote: 's3://no-such-bucket/a.zip' }, options()),
      'INPUT_NOT_FOUND',
      's3://no-such-bucket/a.zip: not found (NoSuchBucket)',
    );
  });

  it('an object deleted after caching is INPUT_NOT_FOUND on revalidation', async () => {
    const key = 'calls/c4.zip';
    await put(key, await zipBuffer(FIRST));
    const opened = await openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options());
    await opened.cleanup();
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    await expectTapedeckError(
      openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options()),
      'INPUT_NOT_FOUND',
      `s3://${BUCKET}/${key}: not found (NotFound)`,
    );
  });

  it('a hostile archive from S3 is refused like a local one, labelled with its s3:// URL', async () => {
    const key = 'evil.tar.gz';
    await put(
      key,
      await tarGzBuffer([
        { name: 'ok', data: 'x' },
        { name: '../../x', data: 'y' },
      ]),
    );
    await expectTapedeckError(
      openArchiveInput({ remote: `s3://${BUCKET}/${key}` }, options()),
      'UNSAFE_ARCHIVE',
      `s3://${BUCKET}/${key}: entry "../../x" escapes the archive root`,
    );
    expect(await readdir(box.work)).toEqual([]);
  });
});
