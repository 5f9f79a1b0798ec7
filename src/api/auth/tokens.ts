/**
 * API tokens: JWT (RFC 7519) signed HS256 with the API secret (its UTF-8 bytes).
 *
 * - server token: `{ server: true, iat }`, no expiry;
 * - user token: `{ user_id, exp, iat, call_cids? }`, `call_cids` being `"type:id"` strings.
 *
 * @see RFC 7519 (JWT), RFC 7518 §3.2 (HS256)
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { TapedeckError } from '../../errors.js';
import type { Principal } from './principal.js';

const ALG = 'HS256';
const CALL_CID = /^[^:\s]+:[^\s]+$/;

export type UserTokenOptions = {
  readonly userId: string;
  /** Lifetime in seconds (positive integer). */
  readonly ttlSeconds: number;
  /** Calls (`"type:id"`) the token is limited to; absent = any call. */
  readonly callCids?: readonly string[];
  /** Issue time in seconds since the epoch; default now. */
  readonly nowSeconds?: number;
};

function keyOf(secret: string): Uint8Array {
  if (typeof secret !== 'string' || secret === '')
    throw new TypeError('secret must be a non-empty string');
  return new TextEncoder().encode(secret);
}

/** A server token (`server: true`) signed with `secret`. */
export async function mintServerToken(secret: string): Promise<string> {
  return new SignJWT({ server: true })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setIssuedAt()
    .sign(keyOf(secret));
}

/** A user token (`user_id`, `exp`, optional `call_cids`) signed with `secret`. */
export async function mintUserToken(secret: string, options: UserTokenOptions): Promise<string> {
  const { userId, ttlSeconds, callCids } = options;
  if (typeof userId !== 'string' || userId === '')
    throw new TypeError('options.userId must be a non-empty string');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(
      `options.ttlSeconds must be a positive integer, got ${String(ttlSeconds)}`,
    );
  }
  for (const cid of callCids ?? []) {
    if (typeof cid !== 'string' || !CALL_CID.test(cid)) {
      throw new TypeError(
        `options.callCids entries must look like "type:id", got ${JSON.stringify(cid)}`,
      );
    }
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { user_id: userId };
  if (callCids !== undefined) claims['call_cids'] = [...callCids];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(keyOf(secret));
}

/**
 * The principal a token proves. Any failure (malformed, wrong signature, other algorithm,
 * expired, user token without `exp`, neither `server: true` nor `user_id`) throws
 * `TapedeckError('UNAUTHENTICATED')` with a message that never repeats the token.
 */
export async function verifyToken(secret: string, token: string): Promise<Principal> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), { algorithms: [ALG] }));
  } catch (error) {
    throw new TapedeckError('UNAUTHENTICATED', reasonOf(error), { cause: error });
  }
  if (payload['server'] === true) return { kind: 'server' };
  const userId = payload['user_id'];
  if (typeof userId !== 'string' || userId === '') {
    throw new TapedeckError('UNAUTHENTICATED', 'token has neither server: true nor a user_id');
  }
  if (typeof payload['exp'] !== 'number')
    throw new TapedeckError('UNAUTHENTICATED', 'user token has no exp');
  const cids = payload['call_cids'];
  if (cids === undefined) return { kind: 'user', userId };
  if (
    !Array.isArray(cids) ||
    !cids.every((c): c is string => typeof c === 'string' && CALL_CID.test(c))
  ) {
    throw new TapedeckError(
      'UNAUTHENTICATED',
      'token call_cids must be a list of "type:id" strings',
    );
  }
  return { kind: 'user', userId, callCids: cids };
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'token signature does not match the API secret';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token must be signed with HS256';
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim ${error.claim} is invalid`;
  return 'token is not a valid JWT';
}
