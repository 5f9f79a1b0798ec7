/**
 * s3rver on 127.0.0.1 with every request recorded *with its headers* (the storage tests
 * assert on `x-amz-server-side-encryption…` and on probe keys). test/archive/remote-s3rver.ts
 * records only "METHOD /path", so this is its header-keeping sibling.
 * s3rver does NOT verify SigV4 signatures: a wrong secret is accepted (auth failures are
 * tested against Swift, see swift-server.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

type S3rverOptions = {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string; configs: string[] }[];
};
type S3rverInstance = {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  httpServer: Server;
};

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: S3rverOptions) => S3rverInstance;
// s3rver skips the signature check but still looks the access key up on its dummy account.
const account = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    revokeAccessKey(accessKeyId: string): void;
  };
};

export type RecordedRequest = {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
};

export type RunningS3rver = {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
};

export type S3rverPlace = {
  /** A fixed port (to stop and start the "same" server); default any free one. */
  readonly port?: number;
  /** Keep objects here across restarts (the caller removes it); default a temp dir removed at stop. */
  readonly directory?: string;
};

export async function startS3rverWithLog(
  buckets: readonly string[],
  credentials: { accessKeyId: string; secretAccessKey: string },
  place: S3rverPlace = {},
): Promise<RunningS3rver> {
  const ownDirectory = place.directory === undefined;
  const directory = place.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'tapedeck-')));
  account.DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  const server = new S3rver({
    address: '127.0.0.1',
    port: place.port ?? 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  const requests: RecordedRequest[] = [];
  server.httpServer.prependListener('request', (request: IncomingMessage) => {
    requests.push({
      method: request.method ?? '?',
      url: request.url ?? '?',
      headers: { ...request.headers },
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: async () => {
      server.httpServer.closeAllConnections();
      await server.close();
      account.DUMMY_ACCOUNT.revokeAccessKey(credentials.accessKeyId);
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
