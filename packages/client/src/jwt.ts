/**
 * HS256 JWTs with Web Crypto only (no dependencies).
 *
 * ```
 * token = base64url(JSON header) "." base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first two parts))
 * ```
 *
 * @see RFC 7519 (JWT), RFC 7515 §7.1 (compact serialization), RFC 7518 §3.2 (HS256)
 */

/** The part of `SubtleCrypto` signing needs. */
export type JwtSubtleCrypto = {
  importKey(
    format: 'raw',
    keyData: Uint8Array<ArrayBuffer>,
    algorithm: { name: 'HMAC'; hash: 'SHA-256' },
    extractable: boolean,
    keyUsages: ['sign'],
  ): Promise<unknown>;
  sign(algorithm: 'HMAC', key: unknown, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer>;
};

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function defaultSubtle(): JwtSubtleCrypto {
  const subtle = (globalThis as { crypto?: { subtle?: JwtSubtleCrypto } }).crypto?.subtle;
  if (subtle === undefined) {
    throw new TypeError(
      'options.subtle is required where globalThis.crypto.subtle is missing (Node 18: pass webcrypto.subtle from node:crypto)',
    );
  }
  return subtle;
}

/** Signs `claims` with HS256 under the UTF-8 bytes of `secret`. */
export async function signHs256Jwt(
  secret: string,
  claims: Readonly<Record<string, unknown>>,
  subtle: JwtSubtleCrypto = defaultSubtle(),
): Promise<string> {
  const encoder = new TextEncoder();
  const signingInput = `${base64url(encoder.encode(JSON.stringify(HEADER)))}.${base64url(
    encoder.encode(JSON.stringify(claims)),
  )}`;
  const key = await subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signature = await subtle.sign('HMAC', key, encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}
