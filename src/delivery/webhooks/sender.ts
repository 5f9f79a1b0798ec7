import { setTimeout as delay } from 'node:timers/promises';
import { TapedeckError } from '../../errors.js';
import { backoffDelayMs, parseRetryAfterMs } from './backoff.js';
import { classifyWebhookStatus } from './classify.js';
import { parseWebhookSecrets } from './secret.js';
import { assertMessageId, signWebhook } from './sign.js';

/** An event as tapedeck announces it; `id` becomes `webhook-id` (idempotency key). */
export type WebhookEvent = {
  readonly id: string;
  readonly type: string;
  /** ISO 8601. */
  readonly created_at: string;
  readonly [field: string]: unknown;
};

export type WebhookSenderOptions = {
  /** The endpoint, `http:` or `https:`. Redirects are not followed. */
  readonly url: string | URL;
  /** `whsec_<base64>`; several during rotation (each adds a signature). */
  readonly secret: string | readonly string[];
  /** Per attempt, until the response headers arrive. Default 10 000. */
  readonly timeoutMs?: number;
  /** Attempts `send()` makes, the first included. Default 8. */
  readonly maxAttempts?: number;
  /** Backoff ceiling for the first retry; doubles per retry. Default 1 000. */
  readonly initialDelayMs?: number;
  /** Cap on the backoff ceiling. Default 300 000. */
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` honoured; longer ones are clamped to it. Default 3 600 000. */
  readonly maxRetryAfterMs?: number;
  /** Uniform in [0, 1); the jitter source. Default `Math.random`. */
  readonly random?: () => number;
  /** Waits between attempts of `send()`; rejects when `signal` aborts. Default a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Clock in Unix ms for `webhook-timestamp` and `Retry-After` dates. Default `Date.now`. */
  readonly now?: () => number;
  /** Default `tapedeck-webhooks`. */
  readonly userAgent?: string;
};

/** One HTTP attempt: the status the endpoint answered, or why there was none. */
export type WebhookAttempt =
  | { readonly status: number; readonly durationMs: number; readonly retryAfterMs?: number }
  | { readonly error: string; readonly durationMs: number };

export type WebhookAttemptResult = {
  /** `retry`: transient (408, 429, 5xx, network, timeout); `give-up`: retrying cannot help. */
  readonly outcome: 'delivered' | 'retry' | 'give-up';
  /** Why `give-up`: `gone` (410, the endpoint should be disabled) or `rejected` (other 4xx, 3xx). */
  readonly reason?: 'gone' | 'rejected';
  /** With `retry`: wait this long — the endpoint's `Retry-After`, else jittered backoff for this attempt number. */
  readonly retryAfterMs?: number;
  readonly attempt: WebhookAttempt;
};

export type WebhookDeliveryReport = {
  readonly delivered: boolean;
  /** `exhausted`: every one of `maxAttempts` attempts asked for a retry. */
  readonly result: 'delivered' | 'gone' | 'rejected' | 'exhausted';
  readonly attempts: readonly WebhookAttempt[];
};

type Settings = Required<Omit<WebhookSenderOptions, 'url' | 'secret'>>;

/**
 * Delivers events to one webhook endpoint, signed with Standard Webhooks headers.
 * `webhook-id` is the event id on every attempt; `webhook-timestamp` and the signature
 * are fresh per attempt. `send()` retries in process; a durable job calls
 * `attemptOnce()` and schedules the next run itself from `retryAfterMs`.
 */
export class WebhookSender {
  readonly #url: URL;
  readonly #secret: string | readonly string[];
  readonly #settings: Settings;

  constructor(options: WebhookSenderOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`url must be http: or https:, got ${url.protocol}`);
    }
    parseWebhookSecrets(options.secret);
    this.#url = url;
    this.#secret = typeof options.secret === 'string' ? options.secret : [...options.secret];
    this.#settings = {
      timeoutMs: positive(options.timeoutMs ?? 10_000, 'timeoutMs'),
      maxAttempts: positiveInteger(options.maxAttempts ?? 8, 'maxAttempts'),
      initialDelayMs: nonNegative(options.initialDelayMs ?? 1_000, 'initialDelayMs'),
      maxDelayMs: nonNegative(options.maxDelayMs ?? 300_000, 'maxDelayMs'),
      maxRetryAfterMs: nonNegative(options.maxRetryAfterMs ?? 3_600_000, 'maxRetryAfterMs'),
      random: options.random ?? Math.random,
      sleep: options.sleep ?? defaultSleep,
      now: options.now ?? Date.now,
      userAgent: options.userAgent ?? 'tapedeck-webhooks',
    };
  }

  /** Attempts until delivered, stopped (410, other 4xx) or `maxAttempts` used up. Abort rejects with `ABORTED`. */
  async send(
    event: WebhookEvent,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<WebhookDeliveryReport> {
    const body = serialize(event);
    const attempts: WebhookAttempt[] = [];
    for (let n = 1; ; n++) {
      const result = await this.#attempt(event.id, body, n, options.signal);
      attempts.push(result.attempt);
      if (result.outcome === 'delivered') return { delivered: true, result: 'delivered', attempts };
      if (result.outcome === 'give-up')
        return { delivered: false, result: result.reason ?? 'rejected', attempts };
      if (n >= this.#settings.maxAttempts)
        return { delivered: false, result: 'exhausted', attempts };
      try {
        await this.#settings.sleep(result.retryAfterMs ?? 0, options.signal);
      } catch (error) {
        throw aborted(error);
      }
      if (options.signal !== undefined && isAborted(options.signal))
        throw aborted(options.signal.reason);
    }
  }

  /**
   * One attempt, for a durable job. `attempt` (1-based, default 1) sets the backoff
   * suggested in `retryAfterMs`. Never throws for the endpoint's failures; abort
   * rejects with `ABORTED`.
   */
  async attemptOnce(
    event: WebhookEvent,
    options: { readonly attempt?: number; readonly signal?: AbortSignal } = {},
  ): Promise<WebhookAttemptResult> {
    const attempt = positiveInteger(options.attempt ?? 1, 'attempt');
    return this.#attempt(event.id, serialize(event), attempt, options.signal);
  }

  async #attempt(
    id: string,
    body: string,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<WebhookAttemptResult> {
    if (signal !== undefined && isAborted(signal)) throw aborted(signal.reason);
    const s = this.#settings;
    const startMs = performance.now();
    const headers = signWebhook({
      secret: this.#secret,
      id,
      timestamp: Math.floor(s.now() / 1000),
      body,
    });
    const timeout = AbortSignal.timeout(s.timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': s.userAgent },
        body,
        redirect: 'manual',
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal !== undefined && isAborted(signal)) throw aborted(signal.reason);
      const durationMs = elapsed(startMs);
      const message = timeout.aborted
        ? `no response within ${s.timeoutMs} ms`
        : networkMessage(error);
      return {
        outcome: 'retry',
        retryAfterMs: this.#backoff(attempt),
        attempt: { error: message, durationMs },
      };
    }
    await response.body?.cancel().catch(() => undefined);
    const durationMs = elapsed(startMs);
    const status = response.status;
    const verdict = classifyWebhookStatus(status);
    if (verdict === 'delivered') return { outcome: 'delivered', attempt: { status, durationMs } };
    if (verdict === 'gone' || verdict === 'rejected') {
      return { outcome: 'give-up', reason: verdict, attempt: { status, durationMs } };
    }
    const told = parseRetryAfterMs(response.headers.get('retry-after'), s.now());
    if (told === undefined) {
      return {
        outcome: 'retry',
        retryAfterMs: this.#backoff(attempt),
        attempt: { status, durationMs },
      };
    }
    const retryAfterMs = Math.min(told, s.maxRetryAfterMs);
    return { outcome: 'retry', retryAfterMs, attempt: { status, durationMs, retryAfterMs } };
  }

  #backoff(attempt: number): number {
    return backoffDelayMs(attempt, this.#settings);
  }
}

function serialize(event: WebhookEvent): string {
  if (typeof event !== 'object' || event === null) throw new TypeError('event must be an object');
  assertMessageId(event.id, 'event.id');
  if (typeof event.type !== 'string' || event.type === '')
    throw new TypeError('event.type must be a non-empty string');
  if (typeof event.created_at !== 'string')
    throw new TypeError('event.created_at must be an ISO 8601 string');
  return JSON.stringify(event);
}

function networkMessage(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code}: ${cause.message}`
      : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Read through a call so narrowing from an earlier check does not hide a later abort. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function aborted(reason: unknown): TapedeckError {
  if (reason instanceof TapedeckError && reason.code === 'ABORTED') return reason;
  return new TapedeckError('ABORTED', 'webhook delivery aborted', { cause: reason });
}

async function defaultSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await delay(ms, undefined, signal === undefined ? {} : { signal });
}

function elapsed(startMs: number): number {
  return Math.round(performance.now() - startMs);
}

function positive(value: number, option: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${option} must be a positive number, got ${String(value)}`);
  return value;
}

function nonNegative(value: number, option: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${option} must be a non-negative number, got ${String(value)}`);
  return value;
}

function positiveInteger(value: number, option: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${option} must be an integer >= 1, got ${String(value)}`);
  return value;
}
