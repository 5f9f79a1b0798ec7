/**
 * Request and response bodies of the tapedeck `/v1` API, snake_case exactly as on the wire.
 * Times are RFC 3339 strings.
 */

/** `disabled`: start is refused (409); `available`: records between start and stop; `auto-on`: starts with the first publisher. */
export type RawRecordingMode = 'disabled' | 'available' | 'auto-on';

export type RawRecordingSettings = {
  readonly mode?: RawRecordingMode;
  /** No video packet is captured. */
  readonly audio_only?: boolean;
};

export type CallSettings = { readonly raw_recording?: RawRecordingSettings };

/** Capabilities a call type grants to a role; the server may know more than these. */
export type Capability = 'StartRecording' | 'StopRecording' | 'PublishMedia' | (string & {});

/** role → capabilities. */
export type Grants = Readonly<Record<string, readonly Capability[]>>;

/** Body of `PUT /v1/call_types/{name}`; absent fields are stored as `{}`. */
export type CallTypeRequest = {
  readonly settings?: CallSettings;
  readonly grants?: Grants;
};

export type CallType = {
  readonly name: string;
  readonly settings: CallSettings;
  readonly grants: Grants;
  readonly created_at: string;
  readonly updated_at: string;
};

export type CallTypeResponse = { readonly call_type: CallType };
export type ListCallTypesResponse = { readonly call_types: readonly CallType[] };

export type Endpoint = { readonly host: string; readonly port: number };

export type TrackType = 'audio' | 'video' | 'screen_share' | 'screen_share_audio';

export type RtpTrack = {
  readonly track_id: string;
  readonly user_id: string;
  readonly session_id: string;
  readonly track_type: TrackType;
  /** MIME type, e.g. `audio/opus`. */
  readonly codec: string;
  readonly rtp: Endpoint;
  readonly rtcp: Endpoint;
  readonly packets_received?: number;
  readonly packets_accepted?: number;
};

/** Body of `POST /v1/calls/{type}/{id}/rtp_tracks`. */
export type AddRtpTrackRequest = {
  readonly user_id: string;
  readonly session_id: string;
  readonly track_type: TrackType;
  /** The sender's SDP: one m= section of the track's kind. */
  readonly sdp: string;
};

export type CallState = 'idle' | 'live' | 'ended';

export type CallMember = { readonly user_id: string; readonly role: string };

export type CallRecordingState =
  | { readonly active: false }
  | { readonly active: true; readonly recording_id: string; readonly status: string };

export type Call = {
  readonly type: string;
  readonly id: string;
  /** `"type:id"`. */
  readonly cid: string;
  readonly state: CallState;
  readonly settings_override: CallSettings;
  /** Effective settings: call override ▶ call type ▶ default. */
  readonly settings: { readonly raw_recording: Required<RawRecordingSettings> };
  readonly created_at: string;
  readonly ended_at: string | null;
  readonly members: readonly CallMember[];
  readonly tracks: readonly RtpTrack[];
  readonly recording: CallRecordingState;
};

/** Body of `POST /v1/calls/{type}/{id}`; `settings_override` applies only when the call is created. */
export type GetOrCreateCallRequest = { readonly settings_override?: CallSettings };
export type GetOrCreateCallResponse = { readonly call: Call; readonly created: boolean };

/** Body of `PATCH /v1/calls/{type}/{id}`: replaces the call's override. */
export type UpdateCallRequest = { readonly settings_override: CallSettings };
export type CallResponse = { readonly call: Call };

export type RecordingType = 'raw';

/** Settled states: `ready`, `failed`, `interrupted` (the service may add more). */
export type RecordingStatus =
  | 'starting'
  | 'recording'
  | 'stopping'
  | 'finalizing'
  | 'ready'
  | 'failed'
  | 'interrupted'
  | (string & {});

export type RecordingPart = {
  readonly part_number: number;
  readonly status: string;
  readonly size: number | null;
  readonly started_at: string;
  readonly ended_at: string | null;
  readonly interrupted: boolean;
};

export type RecordingFile = {
  readonly name: string;
  readonly part_number: number;
  readonly size: number;
  readonly sha256?: string | null;
  /** Signed download URL: no token needed until `url_expires_at`. */
  readonly url: string;
  readonly url_expires_at: string;
};

export type Recording = {
  readonly id: string;
  readonly call_type: string;
  readonly call_id: string;
  readonly type: RecordingType;
  readonly status: RecordingStatus;
  readonly started_at: string;
  readonly stopped_at?: string | null;
  readonly error?: { readonly code: string; readonly message: string } | null;
  readonly parts: readonly RecordingPart[];
  readonly files: readonly RecordingFile[];
};

export type RecordingResponse = { readonly recording: Recording };
export type ListRecordingsResponse = { readonly recordings: readonly Recording[] };

export type CallEventType =
  | 'call.recording_started'
  | 'call.recording_stopped'
  | 'call.recording_ready'
  | 'call.recording_failed'
  | (string & {});

export type CallEvent = {
  readonly id: string;
  readonly seq: number;
  readonly type: CallEventType;
  readonly call_cid: string;
  readonly recording_id?: string | null;
  readonly created_at: string;
  readonly payload: Readonly<Record<string, unknown>>;
};

export type ListEventsResponse = { readonly events: readonly CallEvent[] };

/** The error body every non-2xx `/v1` response carries. */
export type ApiErrorBody = { readonly error: { readonly code: string; readonly message: string } };
