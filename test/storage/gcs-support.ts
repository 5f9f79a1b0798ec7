/**
 * Shared set-up for the GCS destination tests: a per-run service-account key, a config
 * pointing at the loopback GCS double, and temp files.
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { expect } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import type { StorageConfig } from '../../src/storage/types.js';

// Never let google-auth-library probe the cloud metadata server from a test process.
process.env['METADATA_SERVER_DETECTION'] = 'none';

export type ServiceAccount = {
  readonly credentials: { client_email: string; private_key: string; project_id: string };
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
};

/** A fresh RSA service-account key (never a real one). */
export function makeServiceAccount(name = 'tapedeck-test'): ServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    credentials: {
      client_email: `${name}@tapedeck-test.iam.gserviceaccount.com`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      project_id: 'tapedeck-test',
    },
    publicKey,
    privateKey,
  };
}

export function gcsConfig(bucket: string, endpointUrl: string): StorageConfig {
  return {
    name: 'gcs-test',
    storageType: 'gcs',
    bucket,
    path: '',
    accessMode: 'read_write',
    prefixes: {},
    gcs: { endpointUrl, projectId: 'tapedeck-test' },
  };
}

export async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
}

/** Writes `sizeBytes` of random bytes in 1 MiB pieces; returns the file's SHA-256. */
export async function writeRandomFile(file: string, sizeBytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let left = sizeBytes; left > 0;) {
    const piece = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(piece);
    left -= piece.length;
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  return hash.digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An independent client of the same SDK, to read what the double stored (list, alt=media). */
export function adminStorage(endpoint: string, account: ServiceAccount): Storage {
  const storage = new Storage({
    apiEndpoint: endpoint,
    useAuthWithCustomEndpoint: true,
    projectId: 'tapedeck-test',
    credentials: {
      client_email: account.credentials.client_email,
      private_key: account.credentials.private_key,
    },
  });
  storage.authClient.useJWTAccessWithScope = true;
  return storage;
}

/** The TapedeckError `promise` rejects with (fails the test if it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  return error as TapedeckError;
}
