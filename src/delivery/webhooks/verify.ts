import { timingSafeEqual } from 'node:crypto';
import { TapedeckError } from '../../errors.js';
import { parseWebhookSecrets } from './secret.js';
import { hmacSha256, signedContent } from './sign.js';

/** A Fetch `Headers`, Node's `IncomingHttpHeaders`, or a plain record (any case). */
export type WebhookHeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export type VerifyWebhookOptions = {
  /** `whsec_<base64>`; several to accept any of them (rotation). */
  readonly secret: string | readonly string[];
  readonly headers: WebhookHeaderSource;
  /** The raw request body exactly as received (not re-serialized JSON). */
  readonly body: string | Uint8Array;
  /** Allowed distance between `webhook-timestamp` and `now`, either way. Default 300. */
  readonly toleranceSeconds?: number;
  /** The verifier's clock. Default `new Date()`. */
  readonly now?: Date;
};

const TIMESTAMP = /^\d{1,15}$/;
const SIGNATURE_BYTES = 32;

/**
 * Checks a received webhook and returns its parsed JSON body.
 *
 * Throws `TapedeckError` `WEBHOOK_SIGNATURE_INVALID` when a header is missing or no
 * `v1,` signature in `webhook-signature` (space-separated) matches any secret, and
 * `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` when the timestamp is not an integer within
 * `toleranceSeconds` of `now`. Signatures are compared in constant time. A correctly
 * signed body that is not JSON throws `PARSE_ERROR`.
 *
 * @see https://www.standardwebhooks.com/ (spec: "Verifying webhook authenticity")
 */
export function verifyWebhook<T = unknown>(options: VerifyWebhookOptions): T {
  const keys = parseWebhookSecrets(options.secret);
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new RangeError(
      `toleranceSeconds must be a non-negative number, got ${String(toleranceSeconds)}`,
    );
  }
  const nowMs = (options.now ?? new Date()).getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError('now must be a valid Date');

  const id = header(options.headers, 'webhook-id');
  const timestamp = header(options.headers, 'webhook-timestamp');
  const signatureHeader = header(options.headers, 'webhook-signature');

  if (!TIMESTAMP.test(timestamp)) {
    throw new TapedeckError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `webhook-timestamp is not integer Unix seconds: ${JSON.stringify(timestamp.slice(0, 32))}`,
    );
  }
  const skewSeconds = Number(timestamp) - nowMs / 1000;
  if (Math.abs(skewSeconds) > toleranceSeconds) {
    throw new TapedeckError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `webhook-timestamp ${timestamp} is ${Math.round(Math.abs(skewSeconds))} s ${skewSeconds < 0 ? 'old' : 'in the future'} (tolerance ${toleranceSeconds} s)`,
    );
  }

  const candidates = signatureHeader
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'))
    .filter((bytes) => bytes.length === SIGNATURE_BYTES);
  const content = signedContent(id, timestamp, options.body);
  let matched = false;
  for (const key of keys) {
    const expected = hmacSha256(key, content);
    for (const candidate of candidates) {
      // Every pair is compared (no early exit) so timing does not reveal which matched.
      if (timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  if (!matched) {
    throw new TapedeckError(
      'WEBHOOK_SIGNATURE_INVALID',
      `webhook-signature matches no configured secret (message ${id})`,
    );
  }

  const text =
    typeof options.body === 'string' ? options.body : Buffer.from(options.body).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TapedeckError('PARSE_ERROR', `webhook body of message ${id} is not JSON`, {
      cause: error,
    });
  }
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
    throw new TapedeckError('WEBHOOK_SIGNATURE_INVALID', `missing ${name} header`);
  }
  return text.trim();
}
