/**
 * `--input-s3`, end to end: s3rver on 127.0.0.1 (the AWS SDK talks to it with random
 * per-run credentials from the environment, the SDK's default chain), and a loopback
 * node:http server standing in for a presigned URL, with ETag revalidation. Downloads
 * land in --cache-dir once and are reused while the ETag holds; nothing else is written
 * outside --output.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZipArchive } from '../../src/archive/writer/write-zip.js';
import { startS3rverWithLog, type RunningS3rver as RunningS3 } from '../helpers/s3rver-server.js';
import { captureWithFfmpeg } from '../helpers/ffmpeg-rtp-capture.js';
import { copyTree } from './support/archive-variants.js';
import { expectFailure, runCliInProcess, runCliProcess } from './support/cli-runner.js';
import { createE2eSandbox, type E2eSandbox } from './support/e2e-sandbox.js';
import { judge } from './support/media-judge.js';
import { expectExactly, guardTree, listNames } from './support/write-guard.js';

const BUCKET = 'recordings';
const SECONDS = 2;

let box: E2eSandbox;
let s3: RunningS3;
let client: S3Client;
let zipBytes: Buffer;
let aliceOnlyZipBytes: Buffer;
let callStartMs: number;
let credentials: { accessKeyId: string; secretAccessKey: string };
const savedEnv = new Map<string, string | undefined>();

/** Environment for the SDK's default chain; the same values go to in-process runs (process.env) and real processes. */
function awsEnv(): Record<string, string | undefined> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    TAPEDECK_S3_ENDPOINT: undefined,
  };
}

// HTTP stand-in for a presigned URL: serves `objects` with a strong ETag and answers 304 to If-None-Match.
const objects = new Map<string, Buffer>();
const httpLog: string[] = [];
let server: Server;
let origin: string;

beforeAll(async () => {
  box = await createE2eSandbox();
  const capture = await captureWithFfmpeg({
    dir: box.capture,
    participants: [
      {
        userId: 'alice',
        sessionId: 's1',
        avSync: { durationSec: SECONDS, videoDelayMs: 0, videoCodec: 'VP8' },
      },
      {
        userId: 'bob',
        sessionId: 's2',
        tracks: [{ kind: 'audio', codec: 'opus', durationSec: SECONDS }],
      },
    ],
  });
  callStartMs = capture.callStartMs;
  const zip = path.join(box.base, 'call.zip');
  await writeZipArchive(box.capture, zip);
  zipBytes = await readFile(zip);
  const aliceOnly = path.join(box.base, 'alice-only');
  await copyTree(box.capture, aliceOnly);
  await rm(path.join(aliceOnly, 'bob'), { recursive: true });
  await writeZipArchive(aliceOnly, path.join(box.base, 'alice-only.zip'));
  aliceOnlyZipBytes = await readFile(path.join(box.base, 'alice-only.zip'));

  credentials = {
    accessKeyId: `AK${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  const s3Dir = path.join(box.base, 's3');
  await mkdir(s3Dir);
  s3 = await startS3rverWithLog([BUCKET], credentials, { directory: s3Dir });
  for (const [name, value] of Object.entries(awsEnv())) {
    savedEnv.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
  });

  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const body = objects.get(url.pathname);
    if (body === undefined) {
      httpLog.push(`404 ${url.pathname}`);
      response.statusCode = 404;
      response.end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    response.setHeader('ETag', etag);
    if (request.headers['if-none-match'] === etag) {
      httpLog.push(`304 ${url.pathname}`);
      response.statusCode = 304;
      response.end();
      return;
    }
    httpLog.push(`200 ${url.pathname}`);
    response.setHeader('Content-Length', body.byteLength);
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  box.redirectTmp();
});

afterAll(async () => {
  client?.destroy();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await s3?.stop();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await box?.remove();
});

async function put(key: string, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

const count = (method: 'GET' | 'HEAD', key: string): number =>
  s3.requests
    .map((r) => `${r.method} ${r.url}`)
    .filter((r) => r.startsWith(`${method} /${BUCKET}/${key}`)).length;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The cached archive (the one `*.archive` file in the cache directory), with its sidecar. */
async function cachedArchive(cacheDir: string): Promise<Buffer> {
  const names = await listNames(cacheDir);
  expect(names).toHaveLength(2);
  const archive = names.find((n) => n.endsWith('.archive'));
  expect(names).toContain(archive?.replace(/\.archive$/, '.json'));
  return readFile(path.join(cacheDir, archive!));
}

const TABLE_ROWS = [
  ['alice', 's1', 's1-audio_1', 'audio', 'No', 'audio/opus', '1'],
  ['alice', 's1', 's1-video_1', 'video', 'No', 'video/VP8', '1'],
  ['bob', 's2', 's2-audio_1', 'audio', 'No', 'audio/opus', '1'],
];
const rowsOf = (stdout: string): string[][] =>
  stdout
    .trimEnd()
    .split('\n')
    .slice(2)
    .map((l) => l.split(/\s{2,}/));

describe('--input-s3 s3://bucket/key with --s3-endpoint (s3rver)', () => {
  it('list-tracks (a real process) downloads once into --cache-dir; the next run revalidates with HEAD and reuses it', async () => {
    const key = 'calls/c1/part-1.zip';
    await put(key, zipBytes);
    const dir = await box.newCase();
    const cache = path.join(dir, 'cache');
    const args = [
      'raw',
      'list-tracks',
      '--input-s3',
      `s3://${BUCKET}/${key}`,
      '--s3-endpoint',
      s3.endpoint,
      '--cache-dir',
      cache,
    ];
    const guard = await guardTree(dir);

    // (stderr is checked by the next test: the AWS SDK writes a warning there on Node 20.)
    const first = await runCliProcess(args, { env: { ...awsEnv(), ...box.env } });
    expect(first.stderr).not.toMatch(/^[A-Z_]+: /m);
    expect(first.code).toBe(0);
    expect(rowsOf(first.stdout)).toEqual(TABLE_ROWS);
    expect({ gets: count('GET', key), heads: count('HEAD', key) }).toEqual({ gets: 1, heads: 0 });
    expect(sha256(await cachedArchive(cache))).toBe(sha256(zipBytes));

    const second = await runCliProcess(args, { env: { ...awsEnv(), ...box.env } });
    expect({ code: second.code, stdout: second.stdout }).toEqual({ code: 0, stdout: first.stdout });
    expect({ gets: count('GET', key), heads: count('HEAD', key) }).toEqual({ gets: 1, heads: 1 });

    await guard.expectUnchangedExcept(cache);
    expect(await listNames(box.tmp)).toEqual([]);
  });

  it('a successful s3:// run as a real process prints nothing on stderr (no AWS SDK NodeVersionSupportWarning on Node 20)', async () => {
    const key = 'calls/c4/part-1.zip';
    await put(key, zipBytes);
    const dir = await box.newCase();
    const run = await runCliProcess(
      [
        'raw',
        'list-tracks',
        '--format',
        'users',
        '--input-s3',
        `s3://${BUCKET}/${key}`,
        '--s3-endpoint',
        s3.endpoint,
        '--cache-dir',
        path.join(dir, 'cache'),
      ],
      { env: { ...awsEnv(), ...box.env } },
    );
    expect(run).toEqual({ code: 0, stdout: 'alice\nbob\n', stderr: '' });
  });

  it('a new object under the same key (new ETag) is downloaded again', async () => {
    const key = 'calls/c2/part-1.zip';
    await put(key, zipBytes);
    const dir = await box.newCase();
    const cache = path.join(dir, 'cache');
    const args = [
      'raw',
      'list-tracks',
      '--format',
      'users',
      '--input-s3',
      `s3://${BUCKET}/${key}`,
      '--s3-endpoint',
      s3.endpoint,
      '--cache-dir',
      cache,
    ];
    expect(await runCliInProcess(args)).toEqual({ code: 0, stdout: 'alice\nbob\n', stderr: '' });
    await put(key, aliceOnlyZipBytes);
    expect(await runCliInProcess(args)).toEqual({ code: 0, stdout: 'alice\n', stderr: '' });
    expect({ gets: count('GET', key), heads: count('HEAD', key) }).toEqual({ gets: 2, heads: 1 });
    expect(sha256(await cachedArchive(cache))).toBe(sha256(aliceOnlyZipBytes));
  });

  it("process-all --user-id alice from s3 writes alice's outputs, which ffmpeg decodes cleanly", async () => {
    const key = 'calls/c3/part-1.zip';
    await put(key, zipBytes);
    const dir = await box.newCase();
    const cache = path.join(dir, 'cache');
    const out = path.join(dir, 'out');
    const run = await runCliInProcess([
      'raw',
      'process-all',
      '--input-s3',
      `s3://${BUCKET}/${key}`,
      '--s3-endpoint',
      s3.endpoint,
      '--cache-dir',
      cache,
      '--output',
      out,
      '--user-id',
      'alice',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const name = (kind: string): string =>
      `individual_default_capture-call_alice_s1_${kind}_${callStartMs}.mkv`;
    const composite = `composite_default_capture-call_audio_${callStartMs}.mp3`;
    await expectExactly(out, [
      name('audio_only'),
      name('video_only'),
      name('audio_video'),
      composite,
    ]);
    const verdict = await judge(path.join(out, name('audio_video')));
    expect([...verdict.codecs].sort()).toEqual(['opus', 'vp8']);
    expect(verdict.decodeErrors).toBe('');
    expect(Math.abs(verdict.durationSec - SECONDS)).toBeLessThanOrEqual(0.5);
    // The case folder was empty: only the cache (one archive, its sidecar) and the outputs are new.
    expect(await listNames(dir)).toEqual(['cache', 'out']);
    expect(sha256(await cachedArchive(cache))).toBe(sha256(zipBytes));
    expect(await listNames(box.tmp)).toEqual([]);
  });

  it('a missing key is INPUT_NOT_FOUND naming s3://bucket/key, and nothing is cached', async () => {
    const dir = await box.newCase();
    const cache = path.join(dir, 'cache');
    const out = path.join(dir, 'out');
    const run = await runCliInProcess([
      'raw',
      'process-all',
      '--input-s3',
      `s3://${BUCKET}/calls/missing.zip`,
      '--s3-endpoint',
      s3.endpoint,
      '--cache-dir',
      cache,
      '--output',
      out,
    ]);
    expectFailure(run, [
      'INPUT_NOT_FOUND',
      `s3://${BUCKET}/calls/missing.zip: not found (NoSuchKey)`,
    ]);
    expect(await listNames(dir)).toEqual([]);
    expect(await listNames(box.tmp)).toEqual([]);
  });

  it('a missing bucket is INPUT_NOT_FOUND too', async () => {
    const dir = await box.newCase();
    const run = await runCliInProcess([
      'raw',
      'list-tracks',
      '--input-s3',
      's3://no-such-bucket/calls/c1.zip',
      '--s3-endpoint',
      s3.endpoint,
      '--cache-dir',
      path.join(dir, 'cache'),
    ]);
    expectFailure(run, [
      'INPUT_NOT_FOUND',
      's3://no-such-bucket/calls/c1.zip: not found (NoSuchBucket)',
    ]);
    expect(await listNames(dir)).toEqual([]);
  });
});

describe('--input-s3 with a presigned-style http:// URL on 127.0.0.1', () => {
  const SIGNATURE = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=${randomBytes(16).toString('hex')}`;

  it('downloads once, then revalidates by ETag (304) and reuses the cached copy', async () => {
    objects.set('/recordings/c1.zip', zipBytes);
    const dir = await box.newCase();
    const cache = path.join(dir, 'cache');
    const args = [
      'raw',
      'list-tracks',
      '--input-s3',
      `${origin}/recordings/c1.zip?${SIGNATURE}`,
      '--cache-dir',
      cache,
    ];
    const guard = await guardTree(dir);
    const first = await runCliInProcess(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(rowsOf(first.stdout)).toEqual(TABLE_ROWS);
    const second = await runCliProcess(args, { env: box.env });
    expect(second).toEqual(first);
    expect(httpLog.filter((l) => l.endsWith(' /recordings/c1.zip'))).toEqual([
      '200 /recordings/c1.zip',
      '304 /recordings/c1.zip',
    ]);
    expect(sha256(await cachedArchive(cache))).toBe(sha256(zipBytes));
    await guard.expectUnchangedExcept(cache);
    expect(await listNames(box.tmp)).toEqual([]);
  });

  it('a 404 is INPUT_NOT_FOUND naming the URL without its query string (the signature never reaches stderr)', async () => {
    const dir = await box.newCase();
    const run = await runCliInProcess([
      'raw',
      'list-tracks',
      '--input-s3',
      `${origin}/recordings/gone.zip?${SIGNATURE}`,
      '--cache-dir',
      path.join(dir, 'cache'),
    ]);
    expectFailure(run, ['INPUT_NOT_FOUND', `${origin}/recordings/gone.zip: not found (HTTP 404)`]);
    expect(run.stderr).not.toContain('X-Amz-Signature');
    expect(await listNames(dir)).toEqual([]);
  });

  it('plain http:// to a host that is not loopback is refused before any request (INVALID_ARGUMENT)', async () => {
    const dir = await box.newCase();
    const run = await runCliInProcess([
      'raw',
      'list-tracks',
      '--input-s3',
      'http://recordings.example.com/c1.zip',
      '--cache-dir',
      path.join(dir, 'cache'),
    ]);
    expectFailure(run, [
      'INVALID_ARGUMENT',
      /plain http:\/\/ is allowed only for loopback hosts; use https:\/\//,
    ]);
    expect(await listNames(dir)).toEqual([]);
  });
});
