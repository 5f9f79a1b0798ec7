/**
 * `TapedeckClient`: the server-side client. It mints its own server token (HS256 with the
 * API secret, `server: true`) and sends it on every request; never ship it to browsers.
 */
import { TapedeckCall } from './call.js';
import { signHs256Jwt, type JwtSubtleCrypto } from './jwt.js';
import { Transport, type FetchLike } from './transport.js';
import type {
  CallTypeRequest,
  CallTypeResponse,
  ListCallTypesResponse,
  RecordingResponse,
  CheckExternalStorageResponse,
  ExternalStorageRequest,
  ExternalStorageResponse,
  ListExternalStorageResponse,
  RecordingFilesResponse,
} from './types.js';

const CALL_CID = /^[^:\s]+:[^\s]+$/;

export type TapedeckClientOptions = {
  /** Service origin, e.g. `http://127.0.0.1:8080` (a trailing `/` is ignored). */
  readonly baseUrl: string;
  /** The service's API secret (`TAPEDECK_API_SECRET`). */
  readonly apiSecret: string;
  /** Default `globalThis.fetch`. */
  readonly fetch?: FetchLike;
  /** Per-request limit in milliseconds; default 30,000. */
  readonly timeoutMs?: number;
  /** Web Crypto for signing; default `globalThis.crypto.subtle`. */
  readonly subtle?: JwtSubtleCrypto;
};

export type CreateTokenOptions = {
  /** Lifetime in seconds; default 3600. */
  readonly ttlSeconds?: number;
  /** Calls (`"type:id"`) the token is limited to; default any call. */
  readonly callCids?: readonly string[];
};

export class TapedeckClient {
  readonly baseUrl: string;
  readonly #secret: string;
  readonly #subtle: JwtSubtleCrypto | undefined;
  readonly #transport: Transport;
  #serverToken: Promise<string> | undefined;

  constructor(options: TapedeckClientOptions) {
    const { baseUrl, apiSecret, timeoutMs = 30_000 } = options;
    if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
      throw new TypeError('options.baseUrl must be an http(s) URL');
    }
    if (typeof apiSecret !== 'string' || apiSecret === '') {
      throw new TypeError('options.apiSecret must be a non-empty string');
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`options.timeoutMs must be a positive number, got ${String(timeoutMs)}`);
    }
    const fetchImpl = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (typeof fetchImpl !== 'function') {
      throw new TypeError('options.fetch is required where globalThis.fetch is missing');
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#secret = apiSecret;
    this.#subtle = options.subtle;
    this.#transport = new Transport({
      baseUrl: this.baseUrl,
      fetch: fetchImpl,
      timeoutMs,
      token: () => this.#serverTokenOnce(),
    });
  }

  /** A user token (`user_id`, `iat`, `exp`, optional `call_cids`) to hand to a participant. */
  async createToken(userId: string, options: CreateTokenOptions = {}): Promise<string> {
    const { ttlSeconds = 3600, callCids } = options;
    if (typeof userId !== 'string' || userId === '') {
      throw new TypeError('userId must be a non-empty string');
    }
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
    const iat = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { user_id: userId, iat, exp: iat + ttlSeconds };
    if (callCids !== undefined) claims['call_cids'] = [...callCids];
    return signHs256Jwt(this.#secret, claims, this.#subtle);
  }

  /** Creates or replaces a call type (`PUT /v1/call_types/{name}`). */
  updateCallType(name: string, request: CallTypeRequest): Promise<CallTypeResponse> {
    return this.#transport.request('PUT', `/v1/call_types/${encodeURIComponent(name)}`, request);
  }

  getCallType(name: string): Promise<CallTypeResponse> {
    return this.#transport.request('GET', `/v1/call_types/${encodeURIComponent(name)}`);
  }

  listCallTypes(): Promise<ListCallTypesResponse> {
    return this.#transport.request('GET', '/v1/call_types');
  }

  /** A handle on one call; no request is made until a method is called. */
  call(type: string, id: string): TapedeckCall {
    return new TapedeckCall(this.#transport, type, id);
  }

  getRecording(recordingId: string): Promise<RecordingResponse> {
    return this.#transport.request('GET', `/v1/recordings/${encodeURIComponent(recordingId)}`);
  }

  /** Short-lived download URLs; rejects with 403 (`access_mode: write_only`) or 404. */
  getRecordingFiles(recordingId: string): Promise<RecordingFilesResponse> {
    return this.#transport.request(
      'GET',
      `/v1/recordings/${encodeURIComponent(recordingId)}/files`,
    );
  }

  /** Re-queues a `copy_failed` recording's delivery. */
  retryDelivery(recordingId: string): Promise<RecordingResponse> {
    return this.#transport.request(
      'POST',
      `/v1/recordings/${encodeURIComponent(recordingId)}/retry_delivery`,
    );
  }

  /** Saves a bucket configuration after checking it live (400 names the cause). */
  createExternalStorage(request: ExternalStorageRequest): Promise<ExternalStorageResponse> {
    return this.#transport.request('POST', '/v1/external_storage', request);
  }

  listExternalStorage(): Promise<ListExternalStorageResponse> {
    return this.#transport.request('GET', '/v1/external_storage');
  }

  getExternalStorage(name: string): Promise<ExternalStorageResponse> {
    return this.#transport.request('GET', `/v1/external_storage/${encodeURIComponent(name)}`);
  }

  /** Updates a configuration (checked again); omitted credentials are kept. */
  updateExternalStorage(
    name: string,
    request: ExternalStorageRequest,
  ): Promise<ExternalStorageResponse> {
    return this.#transport.request(
      'PUT',
      `/v1/external_storage/${encodeURIComponent(name)}`,
      request,
    );
  }

  /** Forgets a configuration; files already written are never deleted. */
  async deleteExternalStorage(name: string): Promise<void> {
    await this.#transport.request('DELETE', `/v1/external_storage/${encodeURIComponent(name)}`);
  }

  checkExternalStorage(name: string): Promise<CheckExternalStorageResponse> {
    return this.#transport.request(
      'POST',
      `/v1/external_storage/${encodeURIComponent(name)}/check`,
    );
  }

  #serverTokenOnce(): Promise<string> {
    if (this.#serverToken === undefined) {
      const iat = Math.floor(Date.now() / 1000);
      this.#serverToken = signHs256Jwt(this.#secret, { server: true, iat }, this.#subtle);
      // A failed signing is retried on the next request rather than cached.
      void this.#serverToken.catch(() => {
        this.#serverToken = undefined;
      });
    }
    return this.#serverToken;
  }
}
