/**
 * Pure helpers of the GCS JSON-API double (test/helpers/gcs-double.ts): CRC32C and MD5 in
 * GCS's base64 form, multipart/related bodies, GCS JSON error bodies, bearer-token checks
 * (a fixed token or a self-signed service-account JWT) and V4 signed-URL verification.
 *
 * Written from the public API docs, independently of @google-cloud/storage, so that the
 * SDK's checksums and signatures are judged by code it does not share.
 *
 * @see https://cloud.google.com/storage/docs/json_api/v1/status-codes
 * @see https://cloud.google.com/storage/docs/access-control/signing-urls-manually
 */
import { createHash, createVerify, type KeyObject } from 'node:crypto';

const CRC32C_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Incremental CRC32C (Castagnoli), as GCS reports it: big-endian, base64. */
export class Crc32c {
  #crc = 0xffffffff;

  update(bytes: Uint8Array): void {
    let crc = this.#crc;
    for (let i = 0; i < bytes.length; i++) {
      crc = (CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
    }
    this.#crc = crc;
  }

  base64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.#crc ^ 0xffffffff) >>> 0, 0);
    return out.toString('base64');
  }
}

export function crc32cBase64(bytes: Uint8Array): string {
  const crc = new Crc32c();
  crc.update(bytes);
  return crc.base64();
}

export function md5Base64(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('base64');
}

/** `{"error":{"code":…,"message":…,"errors":[{reason,…}]}}`, the JSON API's error shape. */
export function gcsErrorBody(code: number, reason: string, message: string): string {
  return JSON.stringify({
    error: { code, message, errors: [{ message, domain: 'global', reason }] },
  });
}

/** Splits a `multipart/related` body into its parts' bodies (headers dropped). */
export function parseMultipartRelated(body: Buffer, contentType: string): Buffer[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match?.[1]) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // The part body runs to the CRLF that precedes the next delimiter.
    parts.push(part.subarray(headerEnd + 4, part.length - 2));
    at = next;
  }
  return parts;
}

export type BearerCheck =
  | { readonly token: string }
  | { readonly serviceAccount: { readonly clientEmail: string; readonly publicKey: KeyObject } };

/** Whether an `Authorization` header carries the expected token or a valid self-signed JWT. */
export function bearerAccepted(header: string | undefined, check: BearerCheck): boolean {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (token === undefined) return false;
  if ('token' in check) return token === check.token;
  const [head, payload, signature] = token.split('.');
  if (head === undefined || payload === undefined || signature === undefined) return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${head}.${payload}`);
  if (!verifier.verify(check.serviceAccount.publicKey, Buffer.from(signature, 'base64url'))) {
    return false;
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    iss?: string;
    exp?: number;
  };
  return (
    claims.iss === check.serviceAccount.clientEmail &&
    typeof claims.exp === 'number' &&
    claims.exp * 1000 > Date.now()
  );
}

/** RFC 3986 percent-encoding, as V4 signing canonicalises query strings. */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Verifies a V4 signed URL (`GOOG4-RSA-SHA256`) as GCS does: rebuilds the canonical
 * request from the URL and checks the RSA signature with the service account's public
 * key, then the expiry. Returns why it is refused, or `undefined` when valid.
 */
export function verifyV4SignedUrl(
  method: string,
  url: URL,
  publicKey: KeyObject,
  nowMs: number,
): string | undefined {
  const q = url.searchParams;
  const signature = q.get('X-Goog-Signature');
  const algorithm = q.get('X-Goog-Algorithm');
  const date = q.get('X-Goog-Date');
  const expires = Number(q.get('X-Goog-Expires'));
  const credential = q.get('X-Goog-Credential');
  if (!signature || algorithm !== 'GOOG4-RSA-SHA256' || !date || !credential) {
    return 'missing signing parameters';
  }
  const scope = credential.split('/').slice(1).join('/');
  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Goog-Signature')
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = q.get('X-Goog-SignedHeaders') ?? 'host';
  const canonicalHeaders = signedHeaders === 'host' ? `host:${url.hostname}\n` : '';
  const canonicalRequest = [
    method,
    url.pathname,
    query,
    canonicalHeaders,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(stringToSign);
  if (!verifier.verify(publicKey, Buffer.from(signature, 'hex'))) return 'signature mismatch';
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return 'bad X-Goog-Date';
  const signedAtMs = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (nowMs > signedAtMs + expires * 1000) return 'expired';
  return undefined;
}

export type StoredObject = {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly generation: string;
};

/** The JSON API's object resource; `corrupt` reports wrong checksums (integrity tests). */
export function objectResource(
  bucket: string,
  name: string,
  o: StoredObject,
  corrupt: boolean,
): unknown {
  const hashed = corrupt ? Buffer.from('corrupt') : o.bytes;
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: o.generation,
    metageneration: '1',
    contentType: o.contentType,
    size: String(o.bytes.length),
    md5Hash: md5Base64(hashed),
    crc32c: crc32cBase64(hashed),
    etag: `C${o.generation}`,
    metadata: o.metadata,
    timeCreated: new Date().toISOString(),
    updated: new Date().toISOString(),
  };
}
