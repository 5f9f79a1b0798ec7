/** A verifying webhook receiver and a real service with fast webhook retries, for dispatch tests. */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../packages/client/src/webhooks.js';
import { mintServerToken } from '../../src/api/auth/tokens.js';
import {
  startService,
  type RunningService,
  type StartServiceOptions,
} from '../../src/api/start-service.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are read by path in assertions
export type Json = any;

/** A verified webhook body (or an event from the API): the fields the tests read. */
export type EventBody = {
  readonly id: string;
  readonly type: string;
  readonly call_cid: string;
  readonly recording_id: string;
  readonly recording_type?: string;
};

export type Delivery = {
  readonly id: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The verified event. */
  readonly event: EventBody;
  readonly status: number;
};

export type Receiver = {
  readonly url: string;
  readonly port: number;
  /** Requests whose signature verified, in arrival order. */
  readonly deliveries: Delivery[];
  /** Requests that failed verification (should stay empty). */
  readonly rejected: string[];
  secret: string;
  close(): Promise<void>;
};

/**
 * A `node:http` receiver on 127.0.0.1 that verifies each request with the client SDK's
 * `verifyWebhook` and answers what `respond(webhookId, attemptNumber)` says (default 200).
 */
export async function startReceiver(
  options: { readonly port?: number; readonly respond?: (id: string, n: number) => number } = {},
): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const rejected: string[] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      verifyWebhook<EventBody>(receiver.secret, req.headers, new Uint8Array(body)).then(
        (event: EventBody) => {
          const id = String(req.headers['webhook-id']);
          const n = (counts.get(id) ?? 0) + 1;
          counts.set(id, n);
          const status = options.respond?.(id, n) ?? 200;
          deliveries.push({ id, headers: req.headers, event, status });
          res.writeHead(status).end();
        },
        (error: Error) => {
          rejected.push(error.message);
          res.writeHead(401).end();
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    deliveries,
    rejected,
    secret: '',
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const r = await startReceiver();
  await r.close();
  return r.port;
}

export type Svc = {
  readonly service: RunningService;
  api(method: string, url: string, body?: unknown): Promise<{ status: number; json: Json }>;
  close(): Promise<void>;
};

export const apiSecret = (): string => randomBytes(32).toString('base64url');

export async function startSvc(
  dataDir: string,
  secret: string,
  webhooks: StartServiceOptions['webhooks'] = {},
): Promise<Svc> {
  const service = await startService({
    env: {
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_RTP_HOST: '127.0.0.1',
      TAPEDECK_LOG_LEVEL: 'silent',
    },
    webhooks: { pollIntervalMs: 20, initialDelayMs: 20, maxDelayMs: 100, ...webhooks },
  });
  const token = await mintServerToken(secret);
  return {
    service,
    async api(method, url, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${service.url}${url}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
    },
    close: () => service.server.close(),
  };
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false; fails after `limitMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  limitMs = 15_000,
): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
