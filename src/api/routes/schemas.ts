/** JSON schemas shared by the `/v1` call and recording routes (they feed /docs/json). */
import { ERROR_BODY_SCHEMA } from '../error-handler.js';

export const NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const ID_PATTERN = '^[A-Za-z0-9_.-]{1,128}$';

export const SECURITY = [{ bearer: [] }];

export const ERRORS = {
  400: ERROR_BODY_SCHEMA,
  401: ERROR_BODY_SCHEMA,
  403: ERROR_BODY_SCHEMA,
  404: ERROR_BODY_SCHEMA,
  409: ERROR_BODY_SCHEMA,
} as const;

export const RAW_RECORDING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: ['disabled', 'available', 'auto-on'] },
    audio_only: { type: 'boolean' },
  },
} as const;

export const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { raw_recording: RAW_RECORDING_SCHEMA },
} as const;

export const GRANTS_SCHEMA = {
  type: 'object',
  description: 'role → capabilities (StartRecording, StopRecording, PublishMedia, …)',
  additionalProperties: { type: 'array', items: { type: 'string' } },
} as const;

export const CALL_TYPE_SCHEMA = {
  type: 'object',
  required: ['name', 'settings', 'grants', 'created_at', 'updated_at'],
  properties: {
    name: { type: 'string' },
    settings: SETTINGS_SCHEMA,
    grants: GRANTS_SCHEMA,
    external_storage: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const ENDPOINT_SCHEMA = {
  type: 'object',
  required: ['host', 'port'],
  properties: { host: { type: 'string' }, port: { type: 'integer' } },
} as const;

export const FILE_SCHEMA = {
  type: 'object',
  required: ['name', 'part_number', 'size', 'storage_name', 'storage_provider', 'storage_uri'],
  properties: {
    name: { type: 'string' },
    part_number: { type: 'integer' },
    size: { type: 'integer' },
    sha256: { type: ['string', 'null'] },
    category: {
      type: ['string', 'null'],
      enum: ['audio', 'video', 'transcript', 'metadata', null],
    },
    content_type: { type: ['string', 'null'] },
    storage_name: { type: ['string', 'null'] },
    storage_provider: { type: ['string', 'null'], description: 'local, s3, gcs or abs' },
    storage_uri: {
      type: ['string', 'null'],
      description:
        'fully qualified location: s3://…, gs://…, https://<account>.blob.core.windows.net/…, file://…',
    },
    url: {
      type: 'string',
      description:
        'short-lived download URL (absent for write_only storage), no token needed, expires at url_expires_at',
    },
    url_expires_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const RECORDING_SCHEMA = {
  type: 'object',
  required: ['id', 'call_type', 'call_id', 'type', 'status', 'started_at', 'parts', 'files'],
  properties: {
    id: { type: 'string' },
    call_type: { type: 'string' },
    call_id: { type: 'string' },
    type: { type: 'string', enum: ['raw'] },
    status: { type: 'string' },
    started_at: { type: 'string', format: 'date-time' },
    stopped_at: { type: ['string', 'null'], format: 'date-time' },
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    parts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          part_number: { type: 'integer' },
          status: { type: 'string' },
          size: { type: ['integer', 'null'] },
          started_at: { type: 'string', format: 'date-time' },
          ended_at: { type: ['string', 'null'], format: 'date-time' },
          interrupted: { type: 'boolean' },
        },
      },
    },
    files: { type: 'array', items: FILE_SCHEMA },
  },
} as const;

/** An RTP track (`ingest: rtp`, with its UDP endpoints) or a WHIP track (`ingest: whip`, without). */
export const TRACK_SCHEMA = {
  type: 'object',
  required: ['track_id', 'user_id', 'session_id', 'track_type', 'codec'],
  properties: {
    track_id: { type: 'string' },
    user_id: { type: 'string' },
    session_id: { type: 'string' },
    track_type: { type: 'string' },
    kind: { type: 'string', enum: ['audio', 'video'] },
    codec: { type: 'string' },
    ingest: { type: 'string', enum: ['rtp', 'whip'] },
    publishing: {
      type: 'boolean',
      description: "the publisher's media is arriving (WHIP: session live)",
    },
    capturing: { type: 'boolean', description: 'an active recording writes this track' },
    rtp: ENDPOINT_SCHEMA,
    rtcp: ENDPOINT_SCHEMA,
    packets_received: { type: 'integer' },
    packets_accepted: { type: 'integer' },
  },
} as const;

/** A track `POST …/rtp_tracks` created: always with its UDP endpoints. */
export const RTP_TRACK_SCHEMA = {
  ...TRACK_SCHEMA,
  required: [...TRACK_SCHEMA.required, 'rtp', 'rtcp'],
} as const;

export const CALL_SCHEMA = {
  type: 'object',
  required: [
    'type',
    'id',
    'state',
    'settings_override',
    'settings',
    'members',
    'tracks',
    'recording',
  ],
  properties: {
    type: { type: 'string' },
    id: { type: 'string' },
    cid: { type: 'string' },
    state: { type: 'string', enum: ['idle', 'live', 'ended'] },
    settings_override: SETTINGS_SCHEMA,
    settings: {
      type: 'object',
      description: 'effective settings (call override ▶ call type ▶ default)',
      properties: { raw_recording: RAW_RECORDING_SCHEMA },
    },
    created_at: { type: 'string', format: 'date-time' },
    ended_at: { type: ['string', 'null'], format: 'date-time' },
    members: {
      type: 'array',
      items: {
        type: 'object',
        properties: { user_id: { type: 'string' }, role: { type: 'string' } },
      },
    },
    tracks: { type: 'array', items: TRACK_SCHEMA },
    participants: {
      type: 'array',
      description: 'the same tracks by participant → session (track ids)',
      items: {
        type: 'object',
        properties: {
          user_id: { type: 'string' },
          role: { type: ['string', 'null'] },
          sessions: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                session_id: { type: 'string' },
                track_ids: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    recording: {
      type: 'object',
      required: ['active'],
      properties: {
        active: { type: 'boolean' },
        recording_id: { type: 'string' },
        status: { type: 'string' },
      },
    },
  },
} as const;

export const CALL_PARAMS = {
  type: 'object',
  required: ['type', 'id'],
  properties: {
    type: { type: 'string', pattern: NAME_PATTERN },
    id: { type: 'string', pattern: ID_PATTERN },
  },
} as const;

export const EVENT_SCHEMA = {
  type: 'object',
  required: ['id', 'seq', 'type', 'call_cid', 'created_at', 'payload'],
  properties: {
    id: { type: 'string' },
    seq: { type: 'integer' },
    type: { type: 'string' },
    call_cid: { type: 'string' },
    recording_id: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    payload: { type: 'object', additionalProperties: true },
  },
} as const;
