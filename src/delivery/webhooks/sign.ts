import { createHmac } from 'node:crypto';
import { parseWebhookSecrets } from './secret.js';

/** The three Standard Webhooks headers, lower-case as Node sends them. */
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

export type SignWebhookOptions = {
  /** `whsec_<base64>`; several during rotation, each adds one `v1,…` signature. */
  readonly secret: string | readonly string[];
  /** The message id, the same on every retry (the receiver's idempotency key). */
  readonly id: string;
  /** Unix seconds, an integer. */
  readonly timestamp: number;
  /** The exact bytes sent as the request body. */
  readonly body: string | Uint8Array;
};

/** Header-safe, visible ASCII, at most 256 characters. */
const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Signs one webhook message (Standard Webhooks, symmetric `v1`):
 *
 * ```
 * signed content    = "{webhook-id}.{webhook-timestamp}.{body}"
 * webhook-signature = "v1," base64(HMAC-SHA256(key, signed content)) [" v1,…" per extra secret]
 * ```
 *
 * @see https://www.standardwebhooks.com/ (spec: "Signature scheme")
 */
export function signWebhook(options: SignWebhookOptions): WebhookHeaders {
  const keys = parseWebhookSecrets(options.secret);
  assertMessageId(options.id, 'id');
  assertTimestamp(options.timestamp, 'timestamp');
  const content = signedContent(options.id, options.timestamp, options.body);
  const signatures = keys.map((key) => `v1,${hmacSha256(key, content).toString('base64')}`);
  return {
    'webhook-id': options.id,
    'webhook-timestamp': String(options.timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

/** `{id}.{timestamp}.{body}` as bytes. */
export function signedContent(
  id: string,
  timestamp: number | string,
  body: string | Uint8Array,
): Buffer {
  return Buffer.concat([
    Buffer.from(`${id}.${timestamp}.`, 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  ]);
}

export function hmacSha256(key: Uint8Array, content: Uint8Array): Buffer {
  return createHmac('sha256', key).update(content).digest();
}

export function assertMessageId(id: unknown, option: string): asserts id is string {
  if (typeof id !== 'string' || !MESSAGE_ID.test(id)) {
    throw new TypeError(`${option} must be 1 to 256 visible ASCII characters`);
  }
}

function assertTimestamp(timestamp: number, option: string): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(
      `${option} must be a non-negative integer number of Unix seconds, got ${String(timestamp)}`,
    );
  }
}
