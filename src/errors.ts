/**
 * The one error catalog. Every failure a user can see has a code here, with the HTTP
 * status the API answers, whether retrying can help, and the CLI's exit code.
 * Users see `code: message` on one line; stacks only with `--verbose` or in logs.
 */

export const ERROR_CATALOG = {
  INVALID_ARGUMENT: { status: 400, retryable: false, exitCode: 2 },
  UNAUTHENTICATED: { status: 401, retryable: false, exitCode: 8 },
  FORBIDDEN: { status: 403, retryable: false, exitCode: 8 },
  NOT_FOUND: { status: 404, retryable: false, exitCode: 5 },
  CONFLICT: { status: 409, retryable: false, exitCode: 9 },
  PARSE_ERROR: { status: 422, retryable: false, exitCode: 3 },
  SDP_INVALID: { status: 422, retryable: false, exitCode: 3 },
  METADATA_INVALID: { status: 422, retryable: false, exitCode: 3 },
  MANIFEST_MISMATCH: { status: 422, retryable: false, exitCode: 3 },
  UNSAFE_ARCHIVE: { status: 422, retryable: false, exitCode: 4 },
  ARCHIVE_LIMIT: { status: 413, retryable: false, exitCode: 4 },
  INPUT_NOT_FOUND: { status: 404, retryable: false, exitCode: 5 },
  UNKNOWN_ID: { status: 404, retryable: false, exitCode: 2 },
  NO_TRACKS: { status: 404, retryable: false, exitCode: 5 },
  UNSUPPORTED_CODEC: { status: 422, retryable: false, exitCode: 6 },
  MEDIA_ERROR: { status: 422, retryable: false, exitCode: 6 },
  REMOTE_FETCH_FAILED: { status: 502, retryable: true, exitCode: 7 },
  UNAVAILABLE: { status: 503, retryable: true, exitCode: 1 },
  ABORTED: { status: 499, retryable: true, exitCode: 130 },
  /** A webhook's `webhook-signature` matches none of the configured secrets (or headers are missing). */
  WEBHOOK_SIGNATURE_INVALID: { status: 401, retryable: false, exitCode: 2 },
  /** A webhook's `webhook-timestamp` is outside the verifier's tolerance window (replay guard). */
  WEBHOOK_TIMESTAMP_OUT_OF_RANGE: { status: 400, retryable: false, exitCode: 2 },
  /** A storage configuration's fields are wrong (missing bucket, bad key template, …). */
  STORAGE_CONFIG_INVALID: { status: 400, retryable: false, exitCode: 2 },
  /** The destination rejected the credentials, or they lack a needed permission. */
  DESTINATION_AUTH_FAILED: { status: 400, retryable: false, exitCode: 10 },
  /** The bucket or container does not exist. */
  DESTINATION_NOT_FOUND: { status: 400, retryable: false, exitCode: 10 },
  /** The bucket lives in another region than configured. */
  DESTINATION_REGION_MISMATCH: { status: 400, retryable: false, exitCode: 10 },
  /** The endpoint could not be reached (DNS, refused, timeout): transient. */
  DESTINATION_UNREACHABLE: { status: 400, retryable: true, exitCode: 10 },
  /** The destination answered with a server error or throttled: transient. */
  DESTINATION_UNAVAILABLE: { status: 400, retryable: true, exitCode: 10 },
  /** The stored object does not match what was sent (checksum, size): retried. */
  DESTINATION_INTEGRITY_FAILED: { status: 400, retryable: true, exitCode: 10 },
  /** The key already holds another object; tapedeck never overwrites. */
  DESTINATION_KEY_CONFLICT: { status: 409, retryable: false, exitCode: 10 },
  INTERNAL: { status: 500, retryable: true, exitCode: 1 },
} as const satisfies Record<string, { status: number; retryable: boolean; exitCode: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** A failure with a catalog code. `message` is one line and names what failed. */
export class TapedeckError extends Error {
  readonly code: ErrorCode;
  /** Extra fields the API adds to `error` (never secrets), e.g. `access_mode` and `files`. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Readonly<Record<string, unknown>> },
  ) {
    super(message, options);
    this.name = 'TapedeckError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CATALOG[this.code].retryable;
  }

  get exitCode(): number {
    return ERROR_CATALOG[this.code].exitCode;
  }
}

/**
 * Thrown by every parser in the project (RTP, RTCP, rtpdump, SDP, timing metadata,
 * manifest). `offset` is the byte offset (or, for text formats, character offset or
 * line number, as the parser's doc comment says) where parsing stopped.
 */
export class ParseError extends TapedeckError {
  readonly format: string;
  readonly offset: number;

  constructor(format: string, offset: number, message: string, code: ErrorCode = 'PARSE_ERROR') {
    super(code, `${format}: ${message} (at ${offset})`);
    this.name = 'ParseError';
    this.format = format;
    this.offset = offset;
  }
}

/** Maps anything thrown to a catalog error without losing the original as `cause`. */
export function toTapedeckError(error: unknown): TapedeckError {
  if (error instanceof TapedeckError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TapedeckError('ABORTED', 'operation aborted', { cause: error });
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return new TapedeckError('INVALID_ARGUMENT', error.message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TapedeckError('INTERNAL', message.split('\n')[0] ?? 'unknown error', { cause: error });
}

/** `code: message`, one line, as users see it. */
export function formatErrorLine(error: unknown): string {
  const e = toTapedeckError(error);
  return `${e.code}: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
}
