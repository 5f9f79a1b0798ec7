/**
 * s3rver (in-process S3 double; does not check signatures) started on 127.0.0.1 with a
 * temp directory, with every request it receives recorded as "METHOD /path?query".
 * s3rver ships no types; the few members used here are typed locally.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';

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
// s3rver knows only the access keys registered on its dummy account (it skips the
// signature check, not the key lookup); registering a fresh pair keeps credentials random.
const account = require('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void; revokeAccessKey(accessKeyId: string): void };
};

export type RunningS3 = {
  readonly endpoint: string;
  /** Every request so far, "METHOD /path?query". */
  readonly requests: string[];
  stop(): Promise<void>;
};

export type S3Credentials = { readonly accessKeyId: string; readonly secretAccessKey: string };

export async function startS3rver(directory: string, buckets: readonly string[], credentials: S3Credentials): Promise<RunningS3> {
  account.DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  const requests: string[] = [];
  server.httpServer.prependListener('request', (request: { method?: string; url?: string }) => {
    requests.push(`${request.method ?? '?'} ${request.url ?? '?'}`);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: async () => {
      server.httpServer.closeAllConnections();
      await server.close();
      account.DUMMY_ACCOUNT.revokeAccessKey(credentials.accessKeyId);
    },
  };
}
