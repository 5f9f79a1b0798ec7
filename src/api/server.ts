/**
 * The HTTP service shell: auth, one error shape, health/readiness, metrics, OpenAPI docs.
 * Feature routes (call types, calls, recordings, WHIP) register on `app` before it is
 * ready. Shutdown order: /readyz turns 503, `onShutdown` runs (stop ingest, finalize,
 * drain), then the HTTP server stops accepting and closes.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { TapedeckConfig } from '../config/config.js';
import { registerAuth } from './auth/auth-hook.js';
import { registerDocsRoutes } from './docs-routes.js';
import { registerErrorHandling } from './error-handler.js';
import { createLogger } from './logger.js';
import { createMetrics, type TapedeckMetrics } from './metrics.js';
import { registerSystemRoutes } from './system-routes.js';
import { registerWhoamiRoute } from './whoami-route.js';

export type ServerDeps = {
  /** The HS256 key for tokens (see ensureApiSecret()). */
  readonly apiSecret: string;
  /** Metrics to expose; default a fresh registry owned by this server. */
  readonly metrics?: TapedeckMetrics;
  /** Where JSON log lines go; default stdout. */
  readonly logStream?: DestinationStream;
  /** Runs at shutdown after /readyz turns 503 and before HTTP closes. */
  readonly onShutdown?: () => Promise<void>;
  /** Feature routes (calls, recordings, ingest), registered with the built-in ones. */
  readonly routes?: readonly ((app: FastifyInstance) => void)[];
  /** Sees every response body that is text (tests check that no secret is ever sent). */
  readonly observeResponse?: (body: string) => void;
};

export type ServerState = 'starting' | 'ready' | 'stopping' | 'closed';

export type TapedeckServer = {
  readonly app: FastifyInstance;
  readonly metrics: TapedeckMetrics;
  state(): ServerState;
  /** Listens on `config.host:config.port`; resolves to `http://host:port` (the bound port). */
  listen(): Promise<string>;
  /** Graceful and idempotent: not ready → onShutdown → stop accepting → closed. */
  close(): Promise<void>;
};

export const API_VERSION = '0.1.0';

export function createServer(config: TapedeckConfig, deps: ServerDeps): TapedeckServer {
  const logger = createLogger({
    level: config.logLevel,
    ...(deps.logStream !== undefined ? { stream: deps.logStream } : {}),
  });
  const app = Fastify({ loggerInstance: logger }) as unknown as FastifyInstance;
  const metrics = deps.metrics ?? createMetrics();
  let state: ServerState = 'starting';
  let closing: Promise<void> | undefined;

  registerErrorHandling(app);
  const observe = deps.observeResponse;
  if (observe !== undefined) {
    app.addHook('onSend', (_request, _reply, payload, done) => {
      if (typeof payload === 'string') observe(payload);
      done(null, payload);
    });
  }
  registerAuth(app, deps.apiSecret);
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tapedeck API',
        version: API_VERSION,
        description: 'Raw call recording service',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  // Routes go in a plugin so that they load after swagger's onRoute hook is in place.
  void app.register((instance, _options, done) => {
    registerSystemRoutes(instance, metrics, () => state === 'ready');
    registerDocsRoutes(instance);
    registerWhoamiRoute(instance);
    for (const register of deps.routes ?? []) register(instance);
    done();
  });
  app.addHook('onReady', (done) => {
    if (state === 'starting') state = 'ready';
    done();
  });

  return {
    app,
    metrics,
    state: () => state,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      app.log.info({ host: config.host, port, dataDir: config.dataDir }, 'listening');
      return `http://${host}:${port}`;
    },
    close() {
      closing ??= (async () => {
        state = 'stopping';
        app.log.info('shutting down');
        try {
          await deps.onShutdown?.();
        } finally {
          await app.close();
          state = 'closed';
        }
      })();
      return closing;
    },
  };
}
