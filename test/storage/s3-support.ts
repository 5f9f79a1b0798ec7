/** Shared bits of the S3 destination tests: configs, generated files, hashing, error checks. */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import { TapedeckError, type ErrorCode } from '../../src/errors.js';
import type { S3Settings, StorageConfig } from '../../src/storage/types.js';

export const MIB = 1024 * 1024;

export function s3Config(
  bucket: string,
  s3: S3Settings,
  accessMode: StorageConfig['accessMode'] = 'read_write',
): StorageConfig {
  return { name: 'test-s3', storageType: 's3', bucket, path: '', accessMode, prefixes: {}, s3 };
}

export type GeneratedFile = {
  readonly file: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly md5: string;
};

/** Writes `sizeBytes` of deterministic pseudo-random bytes (xorshift32), streamed in 1 MiB chunks. */
export async function writeFile(
  dir: string,
  name: string,
  sizeBytes: number,
  seed = 0x2545f491,
): Promise<GeneratedFile> {
  const file = path.join(dir, name);
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let state = seed >>> 0 || 1;
  function* chunks(): Generator<Buffer> {
    let left = sizeBytes;
    while (left > 0) {
      const n = Math.min(left, MIB);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i + 4 <= n; i += 4) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk.writeUInt32LE(state >>> 0, i);
      }
      for (let i = n - (n % 4); i < n; i++) chunk[i] = i & 0xff;
      sha256.update(chunk);
      md5.update(chunk);
      left -= n;
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(file));
  return { file, sizeBytes, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function hashStream(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Downloads `key` with an independent SDK client and hashes it as it streams. */
export async function downloadedSha256(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ sha256: string; bytes: number }> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return hashStream(got.Body as Readable);
}

export async function fetchedSha256(
  url: string,
): Promise<{ status: number; sha256: string; bytes: number }> {
  const response = await fetch(url);
  if (response.body === null) return { status: response.status, sha256: '', bytes: 0 };
  const { sha256, bytes } = await hashStream(response.body);
  return { status: response.status, sha256, bytes };
}

/** Awaits `promise`, expecting a TapedeckError with `code`; returns it for more checks. */
export async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  const tapedeck = error as TapedeckError;
  expect({ code: tapedeck.code, message: tapedeck.message }).toMatchObject({ code });
  expect(tapedeck.message).not.toMatch(/\n/);
  return tapedeck;
}
