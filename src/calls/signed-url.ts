/**
 * Expiring download URLs for recording files, served by tapedeck without a token:
 *
 * ```text
 * /v1/files/<recording_id>/<name>?expires=<unix seconds>&sig=<base64url HMAC-SHA256>
 * sig = HMAC-SHA256(key, "<recording_id>/<name>\n<expires>")
 * key = HMAC-SHA256(api secret, "tapedeck file url v1")
 * ```
 *
 * The key is derived, so a leaked URL signature says nothing about the API secret, and a
 * new key purpose never shares bytes with token signing. Checked in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const KEY_PURPOSE = 'tapedeck file url v1';

/** Default lifetime of a download URL: one hour. */
export const DEFAULT_URL_TTL_SECONDS = 3600;

export type FileUrlSigner = {
  /** Path and query of a URL valid until `nowSeconds + ttlSeconds`. */
  sign(recordingId: string, name: string, options?: SignOptions): SignedFileUrl;
  /** True when `sig` is this signer's signature of the file and `expires` is still ahead. */
  verify(
    recordingId: string,
    name: string,
    expires: string,
    sig: string,
    nowSeconds?: number,
  ): boolean;
};

export type SignOptions = {
  /** Default DEFAULT_URL_TTL_SECONDS. */
  readonly ttlSeconds?: number;
  /** Default now. */
  readonly nowSeconds?: number;
};

export type SignedFileUrl = {
  /** `/v1/files/…?expires=…&sig=…` (append to the service's origin). */
  readonly path: string;
  /** Unix seconds. */
  readonly expiresAt: number;
};

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

export function createFileUrlSigner(apiSecret: string): FileUrlSigner {
  if (typeof apiSecret !== 'string' || apiSecret === '')
    throw new TypeError('apiSecret must be a non-empty string');
  const key = createHmac('sha256', apiSecret).update(KEY_PURPOSE).digest();
  const mac = (recordingId: string, name: string, expires: string): Buffer =>
    createHmac('sha256', key).update(`${recordingId}/${name}\n${expires}`).digest();
  return {
    sign(recordingId, name, options = {}) {
      const ttl = options.ttlSeconds ?? DEFAULT_URL_TTL_SECONDS;
      if (!Number.isInteger(ttl) || ttl < 1)
        throw new RangeError(`options.ttlSeconds must be a positive integer, got ${ttl}`);
      const expiresAt = (options.nowSeconds ?? nowSec()) + ttl;
      const sig = mac(recordingId, name, String(expiresAt)).toString('base64url');
      const path =
        `/v1/files/${encodeURIComponent(recordingId)}/${encodeURIComponent(name)}` +
        `?expires=${expiresAt}&sig=${sig}`;
      return { path, expiresAt };
    },
    verify(recordingId, name, expires, sig, nowSeconds = nowSec()) {
      if (!/^\d{1,12}$/.test(expires) || Number(expires) <= nowSeconds) return false;
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(recordingId, name, expires);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
