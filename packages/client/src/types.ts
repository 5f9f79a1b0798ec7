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
  /** Storage this type's recordings go to unless a start names one; null = tapedeck-managed; absent = unchanged. */
  readonly external_storage?: string | null;
};

export type CallType = {
  readonly name: string;
  readonly settings: CallSettings;
  readonly grants: Grants;
  readonly external_storage?: string | null;
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
  readonly kind?: 'audio' | 'video';
  readonly ingest?: 'rtp';
  /** A sender's packets were accepted. */
  readonly publishing?: boolean;
  /** An active recording writes this track. */
  readonly capturing?: boolean;
};

/** A track published over WHIP, as the call view lists it (no UDP endpoint of its own). */
export type WhipCallTrack = {
  readonly track_id: string;
  readonly user_id: string;
  readonly session_id: string;
  readonly track_type: TrackType;
  readonly kind: 'audio' | 'video';
  /** MIME type, e.g. `video/VP8`. */
  readonly codec: string;
  readonly ingest: 'whip';
  /** The WHIP session is live. */
  readonly publishing: boolean;
  /** An active recording writes this track. */
  readonly capturing: boolean;
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
  /** RTP tracks, then WHIP tracks. */
  readonly tracks: readonly (RtpTrack | WhipCallTrack)[];
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
  | 'delivering'
  | 'copy_failed'
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
  readonly category?: 'audio' | 'video' | 'transcript' | 'metadata' | null;
  readonly content_type?: string | null;
  /** The storage configuration it was written to (`tapedeck-managed` for the default). */
  readonly storage_name: string | null;
  readonly storage_provider: 'local' | 's3' | 'gcs' | 'abs' | (string & {}) | null;
  /** Fully qualified: `s3://…`, `gs://…`, `https://<account>.blob.core.windows.net/…`, `file://…`. */
  readonly storage_uri: string | null;
  /** Short-lived download URL (absent for write_only storage): no token needed until `url_expires_at`. */
  readonly url?: string;
  readonly url_expires_at?: string;
};

export type RecordingFilesResponse = {
  readonly recording_id: string;
  readonly files: readonly RecordingFile[];
};

export type StartRecordingRequest = {
  /** Storage to write to; default the call type's, else `tapedeck-managed`. */
  readonly external_storage?: string;
  readonly transcription_external_storage?: string;
};

export type StorageType = 's3' | 'gcs' | 'abs';
export type AccessMode = 'read_write' | 'write_only';

/** `POST /v1/external_storage` (credentials are write-only: never returned). */
export type ExternalStorageRequest = {
  readonly name?: string;
  readonly storage_type?: StorageType;
  readonly bucket?: string;
  readonly path?: string;
  readonly access_mode?: AccessMode;
  readonly prefixes?: Partial<Record<'audio' | 'video' | 'transcript' | 'metadata', string>>;
  readonly key_template?: string;
  readonly aws_s3?: {
    readonly s3_region: string;
    readonly s3_api_key?: string;
    readonly s3_secret?: string;
    readonly s3_custom_endpoint_url?: string;
    readonly s3_force_path_style?: boolean;
    readonly role_arn?: string;
    readonly external_id?: string;
    readonly sse_kms_key_id?: string;
  };
  readonly gcs_credentials?: string;
  readonly gcs_project_id?: string;
  readonly gcs_custom_endpoint_url?: string;
  readonly gcs_federation?: { readonly audience: string; readonly service_account_email?: string };
  readonly abs_account_name?: string;
  readonly abs_account_key?: string;
  readonly abs_client_id?: string;
  readonly abs_client_secret?: string;
  readonly abs_tenant_id?: string;
  readonly abs_custom_endpoint_url?: string;
  readonly abs_federation?: { readonly tenant_id: string; readonly client_id: string };
  /** The flat legacy form's fields (`provider`, `region`, …) are accepted too. */
  readonly [legacy: string]: unknown;
};

/** A stored configuration as shown: secrets appear only as `…_set: true`. */
export type ExternalStorage = {
  readonly name: string;
  readonly storage_type: StorageType | 'local';
  readonly bucket?: string;
  readonly path?: string;
  readonly access_mode: AccessMode;
  readonly [field: string]: unknown;
};

export type ExternalStorageResponse = {
  readonly external_storage: ExternalStorage;
  readonly warnings?: readonly string[];
};
export type ListExternalStorageResponse = { readonly external_storage: readonly ExternalStorage[] };
export type CheckExternalStorageResponse = {
  readonly ok: boolean;
  readonly name: string;
  readonly access_mode: AccessMode;
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
  | 'call.recording_copy_failed'
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
