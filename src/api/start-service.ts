/**
 * What `tapedeck serve` does: configuration → API secret → server → listen. The first
 * start (the one that generated the secret) also gets the secret and a server token to
 * show the operator once.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { CallService } from '../calls/index.js';
import { migrateToLatest, openDatabase } from '../db/index.js';
import { createMetrics } from './metrics.js';
import { registerCallServiceRoutes } from './routes/index.js';
import { ensureApiSecret, apiSecretPath } from '../config/api-secret.js';
import type { TapedeckConfig } from '../config/config.js';
import { loadConfigFromEnv } from '../config/load-config-node.js';
import { mintServerToken } from './auth/tokens.js';
import { createServer, type TapedeckServer } from './server.js';

export type StartServiceOptions = {
  /** Environment to configure from (usually `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where JSON log lines go; default stdout. */
  readonly logStream?: DestinationStream;
};

export type FirstStart = {
  /** The generated API secret (to be shown once, never logged). */
  readonly apiSecret: string;
  /** Where it is stored. */
  readonly secretPath: string;
  /** A server token signed with it. */
  readonly serverToken: string;
};

export type RunningService = {
  readonly config: TapedeckConfig;
  readonly server: TapedeckServer;
  /** Call types, calls, tracks and recordings (on `<dataDir>/tapedeck.db`). */
  readonly calls: CallService;
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Present only on the start that generated the API secret. */
  readonly firstStart?: FirstStart;
};

export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const config = await loadConfigFromEnv(options.env);
  const { secret, source } = await ensureApiSecret(config);
  await mkdir(config.dataDir, { recursive: true });
  const store = openDatabase({ path: path.join(config.dataDir, 'tapedeck.db') });
  await migrateToLatest(store.db);
  const metrics = createMetrics();
  let url = '';
  const calls = new CallService({
    db: store.db,
    dataDir: config.dataDir,
    rtpHost: config.rtpHost,
    apiSecret: secret,
    metrics,
    baseUrl: () => url,
  });
  const server = createServer(config, {
    apiSecret: secret,
    metrics,
    routes: [(app) => registerCallServiceRoutes(app, calls)],
    onShutdown: async () => {
      try {
        await calls.close();
      } finally {
        await store.close();
      }
    },
    ...(options.logStream !== undefined ? { logStream: options.logStream } : {}),
  });
  try {
    url = await server.listen();
  } catch (error) {
    await store.close();
    throw error;
  }
  if (source !== 'generated') return { config, server, calls, url };
  return {
    config,
    server,
    calls,
    url,
    firstStart: {
      apiSecret: secret,
      secretPath: apiSecretPath(config),
      serverToken: await mintServerToken(secret),
    },
  };
}
