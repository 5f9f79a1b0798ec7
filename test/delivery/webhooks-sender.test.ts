import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import {
  generateWebhookSecret,
  WebhookSender,
  type WebhookEvent,
} from '../../src/delivery/webhooks/index.js';
import { verifyWebhook as clientVerify } from '../../packages/client/src/webhooks.js';

type Received = {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
};
type Reply = (response: ServerResponse) => void;

/** Answers the n-th request with replies[n] (the last reply repeats); records every request. */
class ScriptedEndpoint {
  readonly received: Received[] = [];
  readonly #server: Server;
  #listeners: Array<() => void> = [];

  constructor(readonly replies: readonly Reply[]) {
    this.#server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const index = Math.min(this.received.length, replies.length - 1);
        this.received.push({
          method: request.method ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        for (const listener of this.#listeners.splice(0)) listener();
        replies[index]!(response);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
  }

  nextRequest(): Promise<void> {
    return new Promise((resolve) => this.#listeners.push(resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (response) => {
    response.writeHead(code, headers).end('{"ok":false}');
  };
const ok = status(200);
const silent: Reply = () => undefined;

/** mulberry32: a seeded uniform [0, 1) source. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW_MS = 1_767_225_600_000;
const event: WebhookEvent = {
  id: 'evt_01JABCDEF',
  type: 'call.recording_ready',
  created_at: '2026-01-01T00:00:00.000Z',
  call_cid: 'default:abc',
  recording_type: 'raw',
};

const endpoints: ScriptedEndpoint[] = [];
async function endpoint(...replies: Reply[]): Promise<{ server: ScriptedEndpoint; url: string }> {
  const server = new ScriptedEndpoint(replies);
  endpoints.push(server);
  return { server, url: await server.start() };
}

afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((s) => s.close()));
});

function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: (ms: number) => Promise.resolve(void delays.push(ms)) };
}

describe('WebhookSender.send()', () => {
  it('a 200 on the first try is delivered in one attempt, POSTed as JSON with verifiable Standard Webhooks headers', async () => {
    const { server, url } = await endpoint(ok);
    const secret = generateWebhookSecret();
    const { delays, sleep } = recordingSleep();
    const report = await new WebhookSender({ url, secret, sleep, now: () => NOW_MS }).send(event);
    expect(report.delivered).toBe(true);
    expect(report.result).toBe('delivered');
    expect(report.attempts).toEqual([{ status: 200, durationMs: expect.any(Number) }]);
    expect(delays).toEqual([]);
    const [request] = server.received;
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-id']).toBe(event.id);
    expect(request!.headers['webhook-timestamp']).toBe(String(NOW_MS / 1000));
    expect(JSON.parse(request!.body)).toEqual(event);
    await expect(
      clientVerify(secret, request!.headers, request!.body, { now: new Date(NOW_MS) }),
    ).resolves.toEqual(event);
  });

  it('503 twice then 200: three attempts, the same webhook-id and body each time, each freshly signed and verifiable', async () => {
    const { server, url } = await endpoint(status(503), status(503), ok);
    const secret = generateWebhookSecret();
    let clock = NOW_MS;
    const { delays, sleep } = recordingSleep();
    const sender = new WebhookSender({
      url,
      secret,
      now: () => clock,
      sleep: async (ms) => {
        await sleep(ms);
        clock += 60_000; // each retry happens a minute later
      },
      random: seeded(1),
    });
    const report = await sender.send(event);
    expect(report).toMatchObject({ delivered: true, result: 'delivered' });
    expect(report.attempts.map((a) => ('status' in a ? a.status : a.error))).toEqual([
      503, 503, 200,
    ]);
    expect(delays).toHaveLength(2);
    expect(server.received.map((r) => r.headers['webhook-id'])).toEqual([
      event.id,
      event.id,
      event.id,
    ]);
    expect(new Set(server.received.map((r) => r.body)).size).toBe(1);
    expect(server.received.map((r) => r.headers['webhook-timestamp'])).toEqual(
      [0, 1, 2].map((i) => String((NOW_MS + i * 60_000) / 1000)),
    );
    for (const [i, request] of server.received.entries()) {
      const now = new Date(NOW_MS + i * 60_000);
      await expect(clientVerify(secret, request.headers, request.body, { now })).resolves.toEqual(
        event,
      );
    }
  });

  it('429 with Retry-After in seconds waits exactly that long before the next attempt', async () => {
    const { server, url } = await endpoint(status(429, { 'retry-after': '7' }), ok);
    const { delays, sleep } = recordingSleep();
    const report = await new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep,
      random: () => 0.5,
    }).send(event);
    expect(report.delivered).toBe(true);
    expect(report.attempts[0]).toEqual({
      status: 429,
      retryAfterMs: 7000,
      durationMs: expect.any(Number),
    });
    expect(delays).toEqual([7000]);
    expect(server.received).toHaveLength(2);
  });

  it('503 with a Retry-After HTTP-date waits until that date by the sender clock, and an excessive Retry-After is clamped to maxRetryAfterMs', async () => {
    const at = new Date(NOW_MS + 90_000).toUTCString();
    const { url } = await endpoint(
      status(503, { 'retry-after': at }),
      status(503, { 'retry-after': '86400' }),
      ok,
    );
    const { delays, sleep } = recordingSleep();
    const sender = new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep,
      now: () => NOW_MS,
      maxRetryAfterMs: 600_000,
    });
    const report = await sender.send(event);
    expect(report.delivered).toBe(true);
    expect(delays).toEqual([90_000, 600_000]);
  });

  it('a 400 is a permanent failure: one attempt, no retry, result rejected', async () => {
    const { server, url } = await endpoint(status(400), ok);
    const { delays, sleep } = recordingSleep();
    const report = await new WebhookSender({ url, secret: generateWebhookSecret(), sleep }).send(
      event,
    );
    expect(report).toEqual({
      delivered: false,
      result: 'rejected',
      attempts: [{ status: 400, durationMs: expect.any(Number) }],
    });
    expect(delays).toEqual([]);
    expect(server.received).toHaveLength(1);
  });

  it('a 410 means the endpoint is gone: one attempt, result gone', async () => {
    const { server, url } = await endpoint(status(410), ok);
    const report = await new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep: () => Promise.resolve(),
    }).send(event);
    expect(report).toMatchObject({ delivered: false, result: 'gone' });
    expect(report.attempts).toHaveLength(1);
    expect(server.received).toHaveLength(1);
  });

  it('a 3xx is not followed and counts as rejected', async () => {
    const { server, url } = await endpoint(
      status(302, { location: 'http://127.0.0.1:1/elsewhere' }),
    );
    const report = await new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep: () => Promise.resolve(),
    }).send(event);
    expect(report).toMatchObject({
      delivered: false,
      result: 'rejected',
      attempts: [{ status: 302 }],
    });
    expect(server.received).toHaveLength(1);
  });

  it('an endpoint that never answers times out per attempt and is retried; the retry is delivered', async () => {
    const { server, url } = await endpoint(silent, ok);
    const { delays, sleep } = recordingSleep();
    const report = await new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep,
      timeoutMs: 250,
    }).send(event);
    expect(report.delivered).toBe(true);
    expect(report.attempts).toEqual([
      { error: 'no response within 250 ms', durationMs: expect.any(Number) },
      { status: 200, durationMs: expect.any(Number) },
    ]);
    expect(delays).toHaveLength(1);
    expect(server.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
  });

  it('connection refused is retried until maxAttempts, then the report says exhausted with each error', async () => {
    const probe = await endpoint(ok);
    const url = probe.url;
    await endpoints.splice(0)[0]!.close(); // nothing listens on that port any more
    const { delays, sleep } = recordingSleep();
    const report = await new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep,
      maxAttempts: 3,
    }).send(event);
    expect(report.delivered).toBe(false);
    expect(report.result).toBe('exhausted');
    expect(report.attempts).toHaveLength(3);
    for (const attempt of report.attempts)
      expect(attempt).toMatchObject({ error: expect.stringContaining('ECONNREFUSED') });
    expect(delays).toHaveLength(2);
  });

  it('backoff delays are full-jitter draws under min(maxDelayMs, initialDelayMs·2^(n-1)), from the injected random', async () => {
    const { server, url } = await endpoint(status(503));
    const { delays, sleep } = recordingSleep();
    const sender = new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep,
      random: seeded(42),
      initialDelayMs: 100,
      maxDelayMs: 1000,
      maxAttempts: 8,
    });
    const report = await sender.send(event);
    expect(report.result).toBe('exhausted');
    expect(server.received).toHaveLength(8);
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
    const draws = seeded(42);
    expect(delays).toEqual(ceilings.map((c) => Math.floor(draws() * c)));
    for (const [i, d] of delays.entries()) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceilings[i]!);
    }
    expect(new Set(delays.slice(4)).size).toBeGreaterThan(1); // jittered, not pinned to the cap
  });

  it('aborting while waiting between attempts rejects with ABORTED and makes no further attempt', async () => {
    const { server, url } = await endpoint(status(503), ok);
    const controller = new AbortController();
    const sender = new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      sleep: (_ms, signal) => {
        controller.abort();
        return Promise.reject(new Error('sleep aborted', { cause: signal?.reason }));
      },
    });
    const error: unknown = await sender
      .send(event, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TapedeckError);
    expect((error as TapedeckError).code).toBe('ABORTED');
    expect(server.received).toHaveLength(1);
  });

  it('aborting during an attempt the endpoint has not answered rejects with ABORTED (not a timeout)', async () => {
    const { server, url } = await endpoint(silent);
    const controller = new AbortController();
    const sending = new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      timeoutMs: 60_000,
    }).send(event, { signal: controller.signal });
    await server.nextRequest();
    controller.abort();
    await expect(sending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('the default sleep waits between attempts, then the retry is delivered', async () => {
    const { server, url } = await endpoint(status(503), ok);
    const report = await new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      initialDelayMs: 5,
      maxDelayMs: 5,
    }).send(event);
    expect(report.delivered).toBe(true);
    expect(server.received).toHaveLength(2);
  });

  it('the default sleep ends early with ABORTED when the signal aborts during a long backoff', async () => {
    const { server, url } = await endpoint(status(503), ok);
    const controller = new AbortController();
    const sender = new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      initialDelayMs: 600_000,
      maxDelayMs: 600_000,
      random: () => 0.99,
    });
    const sending = sender.send(event, { signal: controller.signal });
    await server.nextRequest();
    controller.abort();
    await expect(sending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(server.received).toHaveLength(1);
  });
});

describe('WebhookSender.attemptOnce() (for a durable job)', () => {
  it('classifies 2xx as delivered, 410 as give-up gone, other 4xx as give-up rejected, 408/429/5xx as retry', async () => {
    const codes = [200, 204, 410, 400, 401, 404, 422, 408, 429, 500, 502, 503];
    const { url } = await endpoint(...codes.map((c) => status(c)));
    const sender = new WebhookSender({ url, secret: generateWebhookSecret(), random: () => 0.5 });
    const outcomes: string[] = [];
    for (const _ of codes) {
      const r = await sender.attemptOnce(event);
      outcomes.push(r.reason === undefined ? r.outcome : `${r.outcome}:${r.reason}`);
    }
    expect(outcomes).toEqual([
      'delivered',
      'delivered',
      'give-up:gone',
      'give-up:rejected',
      'give-up:rejected',
      'give-up:rejected',
      'give-up:rejected',
      'retry',
      'retry',
      'retry',
      'retry',
      'retry',
    ]);
  });

  it('retry carries retryAfterMs: the endpoint’s Retry-After when given, else jittered backoff for the attempt number', async () => {
    const { server, url } = await endpoint(
      status(503),
      status(503),
      status(429, { 'retry-after': '30' }),
    );
    const sender = new WebhookSender({
      url,
      secret: generateWebhookSecret(),
      random: () => 0.5,
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
    });
    expect(await sender.attemptOnce(event, { attempt: 1 })).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 500,
    });
    expect(await sender.attemptOnce(event, { attempt: 4 })).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 4000,
    });
    expect(await sender.attemptOnce(event, { attempt: 9 })).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 30_000,
    });
    expect(server.received.map((r) => r.headers['webhook-id'])).toEqual([
      event.id,
      event.id,
      event.id,
    ]);
  });

  it('a network failure is retry with an error, never a throw', async () => {
    const probe = await endpoint(ok);
    await endpoints.splice(0)[0]!.close();
    const result = await new WebhookSender({
      url: probe.url,
      secret: generateWebhookSecret(),
    }).attemptOnce(event);
    expect(result).toMatchObject({
      outcome: 'retry',
      attempt: { error: expect.stringContaining('ECONNREFUSED') },
    });
    expect(result.retryAfterMs).toBeGreaterThanOrEqual(0);
  });
});

describe('WebhookSender options and events', () => {
  const secret = generateWebhookSecret();
  it('rejects bad options naming them', () => {
    expect(() => new WebhookSender({ url: 'ftp://example.test/', secret })).toThrow(
      /^url must be http: or https:/,
    );
    expect(() => new WebhookSender({ url: 'not a url', secret })).toThrow(TypeError);
    expect(() => new WebhookSender({ url: 'http://127.0.0.1/', secret: 'plain' })).toThrow(
      /^secret must be/,
    );
    expect(() => new WebhookSender({ url: 'http://127.0.0.1/', secret, timeoutMs: 0 })).toThrow(
      /^timeoutMs must be/,
    );
    expect(() => new WebhookSender({ url: 'http://127.0.0.1/', secret, maxAttempts: 0 })).toThrow(
      /^maxAttempts must be/,
    );
    expect(() => new WebhookSender({ url: 'http://127.0.0.1/', secret, maxDelayMs: -1 })).toThrow(
      /^maxDelayMs must be/,
    );
  });

  it('rejects an event without a header-safe id, a type or created_at before any request', async () => {
    const { server, url } = await endpoint(ok);
    const sender = new WebhookSender({ url, secret });
    await expect(sender.send({ ...event, id: 'has space' })).rejects.toThrow(/^event.id must be/);
    await expect(sender.send({ ...event, type: '' })).rejects.toThrow(/^event.type must be/);
    await expect(
      sender.attemptOnce({ ...event, created_at: 5 as unknown as string }),
    ).rejects.toThrow(/^event.created_at must be/);
    await expect(sender.attemptOnce(event, { attempt: 0 })).rejects.toThrow(/^attempt must be/);
    expect(server.received).toHaveLength(0);
  });
});
