/** `client.call(type, id)`: one call's operations (server token). */
import type { Transport } from './transport.js';
import type {
  AddRtpTrackRequest,
  CallResponse,
  GetOrCreateCallRequest,
  GetOrCreateCallResponse,
  ListEventsResponse,
  ListRecordingsResponse,
  RecordingResponse,
  RecordingType,
  RtpTrack,
  UpdateCallRequest,
  StartRecordingRequest,
} from './types.js';

export class TapedeckCall {
  readonly type: string;
  readonly id: string;
  readonly #transport: Transport;
  readonly #path: string;

  /** Use `client.call(type, id)`. */
  constructor(transport: Transport, type: string, id: string) {
    if (typeof type !== 'string' || type === '')
      throw new TypeError('type must be a non-empty string');
    if (typeof id !== 'string' || id === '') throw new TypeError('id must be a non-empty string');
    this.#transport = transport;
    this.type = type;
    this.id = id;
    this.#path = `/v1/calls/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
  }

  /** `"type:id"`, as in user tokens' `call_cids`. */
  get cid(): string {
    return `${this.type}:${this.id}`;
  }

  /** Gets the call or creates it (`created` tells which; `settings_override` applies only on creation). */
  getOrCreate(request: GetOrCreateCallRequest = {}): Promise<GetOrCreateCallResponse> {
    return this.#transport.request('POST', this.#path, request);
  }

  get(): Promise<CallResponse> {
    return this.#transport.request('GET', this.#path);
  }

  /** Replaces the call's `settings_override`. */
  update(request: UpdateCallRequest): Promise<CallResponse> {
    return this.#transport.request('PATCH', this.#path, request);
  }

  /** Ends the call: stops its recording (then finished and announced) and closes its tracks. */
  end(): Promise<CallResponse> {
    return this.#transport.request('POST', `${this.#path}/end`);
  }

  /** Rejects with status 409 when the mode is `disabled`, the call ended, or it already records. */
  startRecording(
    recordingType: RecordingType,
    request: StartRecordingRequest = {},
  ): Promise<RecordingResponse> {
    return this.#transport.request(
      'POST',
      `${this.#path}/recordings/${encodeURIComponent(recordingType)}/start`,
      request,
    );
  }

  /** Stops recording; the archive is then finished (status → `ready` or `failed`). */
  stopRecording(recordingType: RecordingType): Promise<RecordingResponse> {
    return this.#transport.request(
      'POST',
      `${this.#path}/recordings/${encodeURIComponent(recordingType)}/stop`,
    );
  }

  listRecordings(): Promise<ListRecordingsResponse> {
    return this.#transport.request('GET', `${this.#path}/recordings`);
  }

  /** Events in order; `afterSeq` (default 0) returns only later ones. */
  listEvents(options: { readonly afterSeq?: number } = {}): Promise<ListEventsResponse> {
    const after = options.afterSeq;
    if (after !== undefined && (!Number.isInteger(after) || after < 0)) {
      throw new RangeError(`options.afterSeq must be a non-negative integer, got ${String(after)}`);
    }
    const query = after === undefined ? '' : `?after_seq=${after}`;
    return this.#transport.request('GET', `${this.#path}/events${query}`);
  }

  /** Registers a plain RTP track; send its RTP to `rtp` and RTCP to `rtcp` (rtcp-mux accepted). */
  addRtpTrack(request: AddRtpTrackRequest): Promise<RtpTrack> {
    return this.#transport.request('POST', `${this.#path}/rtp_tracks`, request);
  }

  async removeRtpTrack(trackId: string): Promise<void> {
    await this.#transport.request(
      'DELETE',
      `${this.#path}/rtp_tracks/${encodeURIComponent(trackId)}`,
    );
  }
}
