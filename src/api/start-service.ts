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
import { registerWhipRoutes } from './routes/whip-routes.js';
import { registerAppRoutes } from './routes/app-routes.js';
import {
  WebhookDispatcher,
  type WebhookDispatcherOptions,
} from '../delivery/webhook-dispatcher.js';
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
  /** Webhook delivery tuning (backoff, attempts, poll interval); defaults suit production. */
  readonly webhooks?: Omit<WebhookDispatcherOptions, 'db' | 'metrics'>;
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
  /** Delivers events to the configured webhook (started with the service). */
  readonly webhooks: WebhookDispatcher;
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
    partSeconds: config.partSeconds,
    apiSecret: secret,
    metrics,
    baseUrl: () => url,
  });
  const webhooks = new WebhookDispatcher({ ...options.webhooks, db: store.db, metrics });
  const server = createServer(config, {
    apiSecret: secret,
    metrics,
    routes: [
      (app) => registerCallServiceRoutes(app, calls),
      (app) => registerWhipRoutes(app, calls, { iceHost: config.rtpHost, metrics }),
      (app) => registerAppRoutes(app, { db: store.db, onWebhookChanged: () => webhooks.wake() }),
    ],
    onShutdown: async () => {
      try {
        await calls.close();
      } finally {
        // After calls.close() so the events it appends are enqueued before the store closes.
        await webhooks.stop().finally(() => store.close());
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
  // After listen (event URLs carry the bound origin), before webhooks start delivering.
  await calls.recoverInterrupted();
  webhooks.start();
  if (source !== 'generated') return { config, server, calls, webhooks, url };
  return {
    config,
    server,
    calls,
    webhooks,
    url,
    firstStart: {
      apiSecret: secret,
      secretPath: apiSecretPath(config),
      serverToken: await mintServerToken(secret),
    },
  };
}
