/**
 * The one error type API calls reject with: the server's `{ error: { code, message } }` and
 * HTTP status, or a failure without a response (`status` 0, code `NETWORK_ERROR` / `TIMEOUT`).
 */

/** Codes the client itself assigns; any other code comes from the server's error catalog. */
export type TapedeckClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'INVALID_RESPONSE';

export class TapedeckApiError extends Error {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The server's error code (`NOT_FOUND`, `CONFLICT`, `UNAUTHENTICATED`, …) or a client code. */
  readonly code: string;
  /** `METHOD /path` of the failed request. */
  readonly request: string;
  /** Further fields of the server's `error` (e.g. `access_mode` and `files` for write_only storage). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    code: string,
    message: string,
    request: string,
    options?: { cause?: unknown; details?: Readonly<Record<string, unknown>> },
  ) {
    super(message, options);
    this.name = 'TapedeckApiError';
    this.status = status;
    this.code = code;
    this.request = request;
    this.details = options?.details ?? {};
  }
}
