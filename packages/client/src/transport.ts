/**
 * JSON over `fetch` with a bearer token and a per-request timeout; every failure becomes a
 * `TapedeckApiError`.
 */
import { TapedeckApiError } from './api-error.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type TransportOptions = {
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly token: () => Promise<string>;
};

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class Transport {
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** `path` starts with `/`; resolves the parsed JSON body (`undefined` for 204). */
  async request<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    const label = `${method} ${path}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.#options.token()}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#options.fetch(`${this.#options.baseUrl}${path}`, {
        method,
        headers,
        signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        throw new TapedeckApiError(
          0,
          'TIMEOUT',
          `${label}: no complete response within ${this.#options.timeoutMs} ms`,
          label,
          { cause: error },
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new TapedeckApiError(0, 'NETWORK_ERROR', `${label}: ${reason}`, label, {
        cause: error,
      });
    }
    const json = parseJson(text);
    if (!response.ok) throw errorOf(response.status, json, text, label);
    if (text === '') return undefined as T;
    if (json === undefined) {
      throw new TapedeckApiError(
        response.status,
        'INVALID_RESPONSE',
        `${label}: response body is not JSON`,
        label,
      );
    }
    return json as T;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorOf(status: number, json: unknown, text: string, label: string): TapedeckApiError {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    const { code, message, ...details } = error as Record<string, unknown> & {
      code: string;
      message: string;
    };
    return new TapedeckApiError(status, code, message, label, { details });
  }
  const snippet = text.slice(0, 200);
  return new TapedeckApiError(
    status,
    `HTTP_${status}`,
    `${label}: HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`,
    label,
  );
}
