/**
 * Verifies webhooks that tapedeck sends (Standard Webhooks, symmetric `v1` scheme)
 * with Web Crypto only, so it runs unchanged in Node 18+, Deno, Bun, workers and
 * browsers. No runtime dependencies.
 *
 * ```
 * signed content    = "{webhook-id}.{webhook-timestamp}.{raw body}"
 * webhook-signature = "v1,<base64 HMAC-SHA256(key, signed content)>" [" v1,…"]
 * secret            = "whsec_<base64 key>"
 * ```
 *
 * @see https://www.standardwebhooks.com/
 */

export type TapedeckWebhookErrorCode =
  | 'WEBHOOK_SIGNATURE_INVALID'
  | 'WEBHOOK_TIMESTAMP_OUT_OF_RANGE'
  | 'WEBHOOK_PAYLOAD_INVALID'
  | 'WEBHOOK_SECRET_INVALID';

/** Thrown by `verifyWebhook`; answer the request with `status`. */
export class TapedeckWebhookError extends Error {
  readonly code: TapedeckWebhookErrorCode;

  constructor(code: TapedeckWebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TapedeckWebhookError';
    this.code = code;
  }

  /** The HTTP status a receiver should answer with. */
  get status(): number {
    return this.code === 'WEBHOOK_SIGNATURE_INVALID'
      ? 401
      : this.code === 'WEBHOOK_SECRET_INVALID'
        ? 500
        : 400;
  }
}

/** A Fetch `Headers`, Node's `IncomingHttpHeaders`, or a plain record (any case). */
export type WebhookHeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export type VerifyWebhookOptions = {
  /** Allowed distance between `webhook-timestamp` and `now`, either way. Default 300. */
  readonly toleranceSeconds?: number;
  /** The receiver's clock. Default `new Date()`. */
  readonly now?: Date;
  /**
   * Web Crypto to use. Default `globalThis.crypto.subtle` (Node 19+, browsers, workers).
   * Node 18 has no global `crypto` without `--experimental-global-webcrypto`; pass
   * `(await import('node:crypto')).webcrypto.subtle` there.
   */
  readonly subtle?: WebhookSubtleCrypto;
};

/** The part of Web Crypto's `SubtleCrypto` the verifier uses (HMAC-SHA256 verify). */
export type WebhookSubtleCrypto = {
  importKey(
    format: 'raw',
    keyData: Uint8Array<ArrayBuffer>,
    algorithm: { name: 'HMAC'; hash: 'SHA-256' },
    extractable: boolean,
    keyUsages: ['verify'],
  ): Promise<unknown>;
  verify(
    algorithm: 'HMAC',
    key: unknown,
    signature: Uint8Array<ArrayBuffer>,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<boolean>;
};

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TIMESTAMP = /^\d{1,15}$/;
const SIGNATURE_BYTES = 32;

/**
 * Checks a webhook from tapedeck and returns its parsed event.
 *
 * @param secret the endpoint's `whsec_…` secret, or several while rotating
 * @param headers the request's headers
 * @param rawBody the body exactly as received — verify before any JSON parsing
 * @throws TapedeckWebhookError `WEBHOOK_SIGNATURE_INVALID` (missing header, no matching
 *   signature), `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` (replay guard), `WEBHOOK_PAYLOAD_INVALID`
 *   (signed but not JSON), `WEBHOOK_SECRET_INVALID` (the secret is not `whsec_<base64>`)
 */
export async function verifyWebhook<T = unknown>(
  secret: string | readonly string[],
  headers: WebhookHeaderSource,
  rawBody: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): Promise<T> {
  const keys = (typeof secret === 'string' ? [secret] : [...secret]).map(decodeSecret);
  if (keys.length === 0)
    throw new TapedeckWebhookError('WEBHOOK_SECRET_INVALID', 'no webhook secret given');
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new RangeError(
      `toleranceSeconds must be a non-negative number, got ${String(toleranceSeconds)}`,
    );
  }
  const nowMs = (options.now ?? new Date()).getTime();

  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');

  if (!TIMESTAMP.test(timestamp)) {
    throw new TapedeckWebhookError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      'webhook-timestamp is not integer Unix seconds',
    );
  }
  const skewSeconds = Number(timestamp) - nowMs / 1000;
  if (!(Math.abs(skewSeconds) <= toleranceSeconds)) {
    throw new TapedeckWebhookError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `webhook-timestamp ${timestamp} is ${Math.round(Math.abs(skewSeconds))} s ${skewSeconds < 0 ? 'old' : 'in the future'} (tolerance ${toleranceSeconds} s)`,
    );
  }

  const encoder = new TextEncoder();
  const bodyBytes = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + bodyBytes.length);
  content.set(prefix, 0);
  content.set(bodyBytes, prefix.length);

  const candidates: Uint8Array<ArrayBuffer>[] = [];
  for (const entry of signatures.split(' ')) {
    if (!entry.startsWith('v1,')) continue;
    const bytes = decodeBase64(entry.slice(3));
    if (bytes !== undefined && bytes.length === SIGNATURE_BYTES) candidates.push(bytes);
  }

  const subtle =
    options.subtle ?? (globalThis as { crypto?: { subtle?: WebhookSubtleCrypto } }).crypto?.subtle;
  if (subtle === undefined) {
    throw new TypeError(
      'options.subtle is required where globalThis.crypto.subtle is missing (Node 18: pass webcrypto.subtle from node:crypto)',
    );
  }
  let matched = false;
  for (const key of keys) {
    const cryptoKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    for (const candidate of candidates) {
      // subtle.verify compares in constant time.
      if (await subtle.verify('HMAC', cryptoKey, candidate, content)) matched = true;
    }
  }
  if (!matched) {
    throw new TapedeckWebhookError(
      'WEBHOOK_SIGNATURE_INVALID',
      `webhook-signature matches no configured secret (message ${id})`,
    );
  }

  const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TapedeckWebhookError(
      'WEBHOOK_PAYLOAD_INVALID',
      `webhook body of message ${id} is not JSON`,
      { cause: error },
    );
  }
}

function decodeSecret(secret: string): Uint8Array<ArrayBuffer> {
  if (typeof secret !== 'string' || !secret.startsWith(PREFIX)) {
    throw new TapedeckWebhookError(
      'WEBHOOK_SECRET_INVALID',
      'the webhook secret must be a string of the form whsec_<base64>',
    );
  }
  const key = decodeBase64(secret.slice(PREFIX.length));
  if (key === undefined || key.length === 0) {
    throw new TapedeckWebhookError(
      'WEBHOOK_SECRET_INVALID',
      'the webhook secret must be a string of the form whsec_<base64>: the part after whsec_ is not base64',
    );
  }
  return key;
}

/** Strict standard base64 (padding optional); `undefined` when malformed. */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64.test(text)) return undefined;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1 || (bare.length !== text.length && text.length % 4 !== 0))
    return undefined;
  const binary = atob(bare + '='.repeat((4 - (bare.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function header(source: WebhookHeaderSource, name: string): string {
  let value: string | readonly string[] | null | undefined;
  if (typeof source.get === 'function') {
    value = (source as { get(name: string): string | null }).get(name);
  } else {
    const record = source as Readonly<Record<string, string | readonly string[] | undefined>>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  const text =
    typeof value === 'string' ? value : Array.isArray(value) ? value.join(' ') : undefined;
  if (text === undefined || text.trim() === '') {
    throw new TapedeckWebhookError('WEBHOOK_SIGNATURE_INVALID', `missing ${name} header`);
  }
  return text.trim();
}
