/**
 * Provider-neutral classification of a failed storage request into a `DESTINATION_*`
 * TapedeckError. S3, GCS and Azure answer with an HTTP status and (usually) a short error
 * code; this maps the pair to the catalog, so every provider attributes failures the same
 * way: the destination's fault (not retried in a storm) or transient (retried).
 *
 * ```text
 * status / provider code                               → code
 * 401, 403 + credential code (InvalidAccessKeyId, …)   → DESTINATION_AUTH_FAILED "credentials rejected"
 * 403 (AccessDenied, AuthorizationFailure, …)          → DESTINATION_AUTH_FAILED "access denied"
 * 301, 307 + redirect, AuthorizationHeaderMalformed    → DESTINATION_REGION_MISMATCH
 * 404, NoSuchBucket, ContainerNotFound                 → DESTINATION_NOT_FOUND
 * BadDigest, InvalidDigest, checksum mismatch          → DESTINATION_INTEGRITY_FAILED
 * 412 / 409 on an existing key                         → DESTINATION_KEY_CONFLICT
 * 408, 429, 5xx, SlowDown, throttling                  → DESTINATION_UNAVAILABLE
 * 0 (no response: refused, DNS, timeout, reset)        → DESTINATION_UNREACHABLE
 * any other 4xx                                        → DESTINATION_UNAVAILABLE "request rejected"
 * ```
 *
 * The message is `<what was attempted>: <cause> (<provider code>, HTTP <status>)`, one line.
 * The caller's `message` must name the resource and must not hold a secret; the provider's
 * own message text is never copied (it may echo a key id or a string-to-sign).
 */
import { TapedeckError, type ErrorCode } from '../../errors.js';

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'AuthenticationFailed',
  'InvalidAuthenticationInfo',
  'Unauthorized',
  'UNAUTHENTICATED',
]);
const REGION_CODES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'TemporaryRedirect',
  'Redirect',
]);
const NOT_FOUND_CODES = new Set([
  'NoSuchBucket',
  'NotFound',
  'ContainerNotFound',
  'BucketNotFound',
  'NOT_FOUND',
]);
const INTEGRITY_CODES = new Set([
  'BadDigest',
  'InvalidDigest',
  'XAmzContentSHA256Mismatch',
  'IncompleteBody',
  'Md5Mismatch',
  'InvalidMd5',
  'InvalidPart',
]);
const THROTTLE_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
  'TooManyRequestsException',
  'ServerBusy',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

/** Node's socket/DNS error codes that mean the endpoint was never reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** TLS failures (bad or self-signed certificate, handshake): the endpoint is not usable as configured. */
const TLS_CODE =
  /^(ERR_TLS_\w+|ERR_SSL_\w+|CERT_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/;
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'FetchError']);

/**
 * The network error code (`ECONNREFUSED`, …) found on `error` or anywhere down its `cause`
 * chain (and inside an AggregateError, which Node uses for happy-eyeballs connects), or
 * `undefined` when the failure is not a transport failure.
 */
export function networkFailureCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const { code, name, cause, errors } = current as {
      code?: unknown;
      name?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || TLS_CODE.test(code))) return code;
    if (typeof name === 'string' && NETWORK_NAMES.has(name)) return name;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return undefined;
}

function decide(status: number, code: string | undefined): { code: ErrorCode; cause: string } {
  if (status === 0) return { code: 'DESTINATION_UNREACHABLE', cause: 'endpoint unreachable' };
  if (code !== undefined && CREDENTIAL_CODES.has(code))
    return { code: 'DESTINATION_AUTH_FAILED', cause: 'credentials rejected' };
  if (code !== undefined && REGION_CODES.has(code))
    return { code: 'DESTINATION_REGION_MISMATCH', cause: 'bucket is in another region' };
  if (status === 301 || status === 307)
    return { code: 'DESTINATION_REGION_MISMATCH', cause: 'bucket is in another region' };
  if (status === 401) return { code: 'DESTINATION_AUTH_FAILED', cause: 'credentials rejected' };
  if (status === 403 || code === 'AccessDenied' || code?.startsWith('KMS.') === true) {
    return { code: 'DESTINATION_AUTH_FAILED', cause: 'access denied' };
  }
  if ((code !== undefined && NOT_FOUND_CODES.has(code)) || status === 404)
    return { code: 'DESTINATION_NOT_FOUND', cause: 'bucket not found' };
  if (code !== undefined && INTEGRITY_CODES.has(code))
    return {
      code: 'DESTINATION_INTEGRITY_FAILED',
      cause: 'stored object does not match what was sent',
    };
  if (status === 412 || code === 'PreconditionFailed')
    return { code: 'DESTINATION_KEY_CONFLICT', cause: 'key already holds an object' };
  if ((code !== undefined && THROTTLE_CODES.has(code)) || status === 408 || status === 429) {
    return { code: 'DESTINATION_UNAVAILABLE', cause: 'destination throttled or busy' };
  }
  if (status >= 500) return { code: 'DESTINATION_UNAVAILABLE', cause: 'destination server error' };
  return { code: 'DESTINATION_UNAVAILABLE', cause: 'request rejected' };
}

/**
 * Maps one failed request to a `DESTINATION_*` TapedeckError.
 *
 * @param status HTTP status of the answer; 0 when no answer came (refused, DNS, timeout).
 * @param providerCode the provider's error code (`NoSuchBucket`, `AuthenticationFailed`, …), if any.
 * @param message what was attempted, naming the resource (`HeadBucket on s3 bucket "b"`); no secrets.
 * @param cause the original error, kept as `cause`.
 */
export function classifyHttpFailure(
  status: number,
  providerCode: string | undefined,
  message: string,
  cause: unknown,
): TapedeckError {
  const decided = decide(status, providerCode);
  const detail = [providerCode, status > 0 ? `HTTP ${status}` : undefined]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
  const line = `${message}: ${decided.cause}${detail === '' ? '' : ` (${detail})`}`.replace(
    /\s*\n\s*/g,
    ' ',
  );
  return new TapedeckError(decided.code, line, { cause });
}
