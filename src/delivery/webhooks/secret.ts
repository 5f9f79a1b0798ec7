import { randomBytes } from 'node:crypto';

/** The prefix Standard Webhooks puts in front of a symmetric secret's base64 text. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Bounds on a secret's decoded key length (the spec recommends 24 to 64 bytes). */
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A new random signing secret, `whsec_<base64 of 32 random bytes>`.
 * @see https://www.standardwebhooks.com/ (symmetric signatures)
 */
export function generateWebhookSecret(bytes = 32): string {
  if (
    !Number.isInteger(bytes) ||
    bytes < WEBHOOK_SECRET_MIN_BYTES ||
    bytes > WEBHOOK_SECRET_MAX_BYTES
  ) {
    throw new RangeError(
      `bytes must be an integer from ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES}, got ${String(bytes)}`,
    );
  }
  return WEBHOOK_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * The HMAC key inside a `whsec_<base64>` secret. Throws `TypeError` naming `option`
 * when the prefix is missing or the rest is not base64, `RangeError` when the key is
 * shorter than 24 or longer than 64 bytes.
 */
export function parseWebhookSecret(secret: string, option = 'secret'): Uint8Array {
  if (typeof secret !== 'string' || !secret.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw new TypeError(`${option} must be a string of the form whsec_<base64>`);
  }
  const text = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (
    !BASE64.test(text) ||
    text.replace(/=+$/, '').length % 4 === 1 ||
    (text.includes('=') && text.length % 4 !== 0)
  ) {
    throw new TypeError(
      `${option} must be a string of the form whsec_<base64>: the part after whsec_ is not base64`,
    );
  }
  const key = new Uint8Array(Buffer.from(text, 'base64'));
  if (key.length < WEBHOOK_SECRET_MIN_BYTES || key.length > WEBHOOK_SECRET_MAX_BYTES) {
    throw new RangeError(
      `${option} must decode to ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} bytes, got ${key.length}`,
    );
  }
  return key;
}

/** One secret or several (during rotation, newest first), validated; at least one. */
export function parseWebhookSecrets(
  secret: string | readonly string[],
  option = 'secret',
): readonly Uint8Array[] {
  const list = typeof secret === 'string' ? [secret] : secret;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`${option} must be a whsec_ secret or a non-empty array of them`);
  }
  return list.map((s: string, i: number) =>
    parseWebhookSecret(s, typeof secret === 'string' ? option : `${option}[${i}]`),
  );
}
