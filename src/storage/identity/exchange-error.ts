/**
 * Turning a failed token exchange into one `DESTINATION_*` TapedeckError line: network
 * failures are `DESTINATION_UNREACHABLE` (retried), server errors and throttling
 * `DESTINATION_UNAVAILABLE` (retried), every refusal `DESTINATION_AUTH_FAILED` (not
 * retried). Details taken from a provider's answer are cut to one short line and scrubbed
 * of anything shaped like a JWT or a long opaque string, so a token never reaches a message.
 */
import { TapedeckError } from '../../errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'TimeoutError',
]);

const MAX_DETAIL = 200;

/** The network error code found on `error` or its causes (`ECONNREFUSED`, …), if any. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const { code, name, errno } = current as { code?: unknown; name?: unknown; errno?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (typeof errno === 'string' && NETWORK_CODES.has(errno)) return errno;
    if (name === 'TimeoutError') return 'TimeoutError';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One short line of provider detail, without tokens or long opaque strings. */
export function safeDetail(text: unknown): string {
  if (typeof text !== 'string') return '';
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  const scrubbed = line
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '<token>')
    .replace(/[A-Za-z0-9+/_=-]{40,}/g, '<redacted>')
    .trim();
  return scrubbed.length > MAX_DETAIL ? `${scrubbed.slice(0, MAX_DETAIL - 1)}…` : scrubbed;
}

/** `DESTINATION_UNREACHABLE` for `what` (naming the endpoint's origin, never its query). */
export function unreachable(
  what: string,
  endpoint: string,
  code: string,
  cause: unknown,
): TapedeckError {
  return new TapedeckError(
    'DESTINATION_UNREACHABLE',
    `${what}: cannot reach ${origin(endpoint)} (${code})`,
    {
      cause,
    },
  );
}

/** The scheme, host and port of `url` (or `url` itself when it does not parse). */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** HTTP statuses that mean "try again later" rather than "no". */
export function isTransientStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 429 || status >= 500);
}
