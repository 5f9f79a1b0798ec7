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
import { LocalStorage } from '../calls/local-storage.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from '../delivery/delivery-worker.js';
import { RetentionSweeper } from '../delivery/retention.js';
import { OidcIssuer } from '../storage/identity/oidc-issuer.js';
import { StorageService, type ManagedStorage } from '../storage/storage-service.js';
import { MANAGED_STORAGE_NAME, type IdentityEndpoints } from '../storage/types.js';
import { registerExternalStorageRoutes } from './routes/external-storage-routes.js';
import { registerOidcRoutes } from './routes/oidc-routes.js';

/** The managed default: the operator's S3-compatible bucket when configured, else local disk. */
function managedStorage(config: TapedeckConfig): ManagedStorage {
  if (config.managedS3Bucket === undefined) return { kind: 'local' };
  return {
    kind: 's3',
    config: {
      name: MANAGED_STORAGE_NAME,
      storageType: 's3',
      bucket: config.managedS3Bucket,
      path: '',
      accessMode: 'read_write',
      prefixes: {},
      s3: {
        region: config.managedS3Region,
        ...(config.managedS3Endpoint !== undefined
          ? { endpointUrl: config.managedS3Endpoint, forcePathStyle: true }
          : {}),
      },
    },
    secrets:
      config.managedS3AccessKeyId !== undefined && config.managedS3SecretAccessKey !== undefined
        ? {
            s3AccessKeyId: config.managedS3AccessKeyId,
            s3SecretAccessKey: config.managedS3SecretAccessKey,
          }
        : {},
  };
}

function identityEndpoints(config: TapedeckConfig): IdentityEndpoints {
  return {
    ...(config.awsStsEndpoint !== undefined ? { awsStsEndpoint: config.awsStsEndpoint } : {}),
    ...(config.gcpStsEndpoint !== undefined ? { gcpStsEndpoint: config.gcpStsEndpoint } : {}),
    ...(config.gcpIamCredentialsEndpoint !== undefined
      ? { gcpIamCredentialsEndpoint: config.gcpIamCredentialsEndpoint }
      : {}),
    ...(config.azureAuthorityHost !== undefined
      ? { azureAuthorityHost: config.azureAuthorityHost }
      : {}),
  };
}

export type StartServiceOptions = {
  /** Environment to configure from (usually `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where JSON log lines go; default stdout. */
  readonly logStream?: DestinationStream;
  /** Webhook delivery tuning (backoff, attempts, poll interval); defaults suit production. */
  readonly webhooks?: Omit<WebhookDispatcherOptions, 'db' | 'metrics'>;
  /** Sees every text response body (tests: no secret is ever sent). */
  readonly observeResponse?: (body: string) => void;
  /** Delivery tuning beyond the config (tests compress backoff and polling). */
  readonly delivery?: Pick<
    DeliveryWorkerOptions,
    'initialDelayMs' | 'pollIntervalMs' | 'leaseMs' | 'concurrency' | 'onAttempt'
  >;
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
  /** External storage configurations and destinations. */
  readonly storage: StorageService;
  /** Delivers archives to customers' buckets. */
  readonly delivery: DeliveryWorker;
  /** Managed-storage retention. */
  readonly retention: RetentionSweeper;
  /** tapedeck's OIDC issuer (federated identity). */
  readonly issuer: OidcIssuer;
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
  const metrics = createMetrics({ spoolDir: path.join(path.resolve(config.dataDir), 'spool') });
  let url = '';
  const issuer = await OidcIssuer.open({
    db: store.db,
    apiSecret: secret,
    // Clouds fetch the JWKS from here: federation needs TAPEDECK_PUBLIC_URL in production.
    issuer: () => config.publicUrl ?? url,
  });
  const storage = new StorageService({
    db: store.db,
    apiSecret: secret,
    managed: managedStorage(config),
    deps: { tokens: issuer, endpoints: identityEndpoints(config) },
  });
  const holding = new LocalStorage(path.join(config.dataDir, 'recordings'));
  const baseUrl = (): string => config.publicUrl ?? url;
  // eslint-disable-next-line prefer-const -- assigned after the call service that wakes it
  let delivery: DeliveryWorker | undefined;
  const calls = new CallService({
    storage,
    onHandOff: () => delivery?.wake(),
    db: store.db,
    dataDir: config.dataDir,
    rtpHost: config.rtpHost,
    partSeconds: config.partSeconds,
    udpReceiveBufferBytes: config.udpReceiveBufferBytes,
    rtpPortRange: { min: config.rtpPortMin, max: config.rtpPortMax },
    apiSecret: secret,
    metrics,
    baseUrl,
  });
  delivery = new DeliveryWorker({
    ...options.delivery,
    db: store.db,
    storage,
    holding,
    signer: calls.signer,
    baseUrl,
    metrics,
    windowMs: config.deliveryWindowSeconds * 1000,
    maxDelayMs: config.deliveryMaxBackoffSeconds * 1000,
    recoveryMs: config.recoveryDays * 86_400_000,
    // One log line per attempt (messages name the cause and the bucket, never a credential).
    onAttempt: (report) => {
      options.delivery?.onAttempt?.(report);
      const line = {
        recordingId: report.recordingId,
        part: report.partNumber,
        outcome: report.outcome,
        detail: report.detail,
      };
      if (report.outcome === 'delivered') server.app.log.info(line, 'recording delivered');
      else server.app.log.warn(line, 'recording delivery failed');
    },
  });
  const deliveryWorker = delivery;
  const retention = new RetentionSweeper({
    db: store.db,
    storage,
    holding,
    retentionMs: config.retentionDays * 86_400_000,
    recoveryMs: config.recoveryDays * 86_400_000,
  });
  const webhooks = new WebhookDispatcher({ ...options.webhooks, db: store.db, metrics });
  const server = createServer(config, {
    apiSecret: secret,
    metrics,
    routes: [
      (app) =>
        registerCallServiceRoutes(app, calls, {
          db: store.db,
          storage,
          onRetry: () => deliveryWorker.wake(),
        }),
      (app) => registerExternalStorageRoutes(app, storage),
      (app) => registerOidcRoutes(app, issuer),
      (app) => registerWhipRoutes(app, calls, { iceHost: config.rtpHost, metrics }),
      (app) => registerAppRoutes(app, { db: store.db, onWebhookChanged: () => webhooks.wake() }),
    ],
    onShutdown: async () => {
      try {
        await retention.stop();
        await calls.close();
        await deliveryWorker.stop();
        await storage.close();
      } finally {
        // After calls.close() so the events it appends are enqueued before the store closes.
        await webhooks.stop().finally(() => store.close());
      }
    },
    ...(options.logStream !== undefined ? { logStream: options.logStream } : {}),
    ...(options.observeResponse !== undefined ? { observeResponse: options.observeResponse } : {}),
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
  deliveryWorker.start();
  retention.start();
  const running = {
    config,
    server,
    calls,
    webhooks,
    storage,
    delivery: deliveryWorker,
    retention,
    issuer,
    url,
  };
  if (source !== 'generated') return running;
  return {
    ...running,
    firstStart: {
      apiSecret: secret,
      secretPath: apiSecretPath(config),
      serverToken: await mintServerToken(secret),
    },
  };
}
