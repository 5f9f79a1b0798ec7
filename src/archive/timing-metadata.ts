/**
 * Timing metadata: one JSON document per user session, field names as the public reference
 * CLI writes them (../shared/reference/raw-format-facts.md), so archives move both ways.
 *
 * ```
 * {
 *   "call_type": "default", "call_id": "c1", "call_session_id": "cs1",
 *   "call_start_time": "2024-05-01T10:00:00.123456789Z",        RFC 3339
 *   "call_end_time": "…",                                         optional
 *   "participant_id": "alice", "user_session_id": "s1",
 *   "segments": {
 *     "audio": [{
 *       "base_filename": "audio_1", "codec": "audio/opus",
 *       "track_id": "t1", "track_type": "TRACK_TYPE_AUDIO",
 *       "first_rtp_rtp_timestamp": 1234,  "first_rtp_unix_timestamp": 1714557600200,
 *       "last_rtp_rtp_timestamp": 99999,  "last_rtp_unix_timestamp": 1714557660200,
 *       "first_rtcp_rtp_timestamp": 2000, "first_rtcp_ntp_timestamp": 1714557601000,
 *       "last_rtcp_rtp_timestamp": 98000, "last_rtcp_ntp_timestamp": 1714557659000,
 *       "first_key_frame_offset_ms": 40,                             video, optional
 *       "max_frame_dimension": { "width": 1280, "height": 720 },      video, optional
 *       "ssrc": 305419896                                            older files, optional
 *     }],
 *     "video": [ … ]
 *   }
 * }
 * ```
 *
 * Reading rules (the reference recorder is Go, `omitempty` on the last_* and rtcp fields):
 * - unknown fields are ignored; optional fields may be absent or null; a missing or null
 *   `segments.audio` / `segments.video` is an empty list;
 * - a sender report is "seen" when its `*_rtcp_ntp_timestamp` is present and not 0; then an
 *   absent `*_rtcp_rtp_timestamp` is 0 (Go omits a zero). Otherwise both are undefined;
 * - when `last_rtp_unix_timestamp` is absent or 0 the segment's end is unknown and both
 *   last_* values are taken from the first packet; otherwise an absent
 *   `last_rtp_rtp_timestamp` is 0;
 * - `max_frame_dimension` with an absent width or height reads it as 0.
 *
 * Wrong types throw `TapedeckError('METADATA_INVALID', '<source>: <field path> must be …, got …')`.
 */
import { TapedeckError } from '../errors.js';
import type { SegmentTiming, SessionTiming, TrackType } from './types.js';
import { FieldReader, describeValue, join, type JsonObject } from './timing-metadata-fields.js';
import { parseJsonDocument } from './timing-metadata-json.js';
import { parseRfc3339Ms } from './timing-metadata-rfc3339.js';

export const TRACK_TYPES: readonly TrackType[] = [
  'TRACK_TYPE_AUDIO',
  'TRACK_TYPE_VIDEO',
  'TRACK_TYPE_SCREEN_SHARE',
  'TRACK_TYPE_SCREEN_SHARE_AUDIO',
];

function isTrackType(value: string): value is TrackType {
  return (TRACK_TYPES as readonly string[]).includes(value);
}

function baseFilename(r: FieldReader, o: JsonObject, path: string): string {
  const value = r.string(o, 'base_filename', path);
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    r.fail(
      join(path, 'base_filename'),
      `must be a file name without a folder, got ${describeValue(value)}`,
    );
  }
  return value;
}

function senderReport(
  r: FieldReader,
  o: JsonObject,
  path: string,
  which: 'first' | 'last',
): { rtp: number | undefined; ntp: number | undefined } {
  const rtp = r.optionalUint32(o, `${which}_rtcp_rtp_timestamp`, path);
  const ntp = r.optionalInteger(o, `${which}_rtcp_ntp_timestamp`, path);
  return ntp === undefined || ntp === 0
    ? { rtp: undefined, ntp: undefined }
    : { rtp: rtp ?? 0, ntp };
}

function parseSegment(r: FieldReader, value: unknown, path: string): SegmentTiming {
  const o = r.object(value, path);
  const name = baseFilename(r, o, path);
  const codec = r.string(o, 'codec', path);
  const trackId = r.string(o, 'track_id', path);
  const trackType = r.string(o, 'track_type', path);
  if (!isTrackType(trackType)) {
    r.fail(
      join(path, 'track_type'),
      `must be one of ${TRACK_TYPES.join(', ')}, got ${describeValue(trackType)}`,
    );
  }
  const firstRtpRtpTimestamp = r.uint32(o, 'first_rtp_rtp_timestamp', path);
  const firstRtpUnixTimestamp = r.integer(o, 'first_rtp_unix_timestamp', path);
  const lastRtp = r.optionalUint32(o, 'last_rtp_rtp_timestamp', path);
  const lastUnix = r.optionalInteger(o, 'last_rtp_unix_timestamp', path);
  const endKnown = lastUnix !== undefined && lastUnix !== 0;
  const firstSr = senderReport(r, o, path, 'first');
  const lastSr = senderReport(r, o, path, 'last');
  const dimension = r.optionalObject(o, 'max_frame_dimension', path);
  const dimensionPath = join(path, 'max_frame_dimension');
  return {
    baseFilename: name,
    codec,
    trackId,
    trackType,
    firstRtpRtpTimestamp,
    lastRtpRtpTimestamp: endKnown ? (lastRtp ?? 0) : firstRtpRtpTimestamp,
    firstRtpUnixTimestamp,
    lastRtpUnixTimestamp: endKnown ? lastUnix : firstRtpUnixTimestamp,
    firstRtcpRtpTimestamp: firstSr.rtp,
    firstRtcpNtpTimestamp: firstSr.ntp,
    lastRtcpRtpTimestamp: lastSr.rtp,
    lastRtcpNtpTimestamp: lastSr.ntp,
    firstKeyFrameOffsetMs: r.optionalInteger(o, 'first_key_frame_offset_ms', path),
    maxFrameDimension:
      dimension === undefined
        ? undefined
        : {
            width: r.optionalUint32(dimension, 'width', dimensionPath) ?? 0,
            height: r.optionalUint32(dimension, 'height', dimensionPath) ?? 0,
          },
    ssrc: r.optionalUint32(o, 'ssrc', path),
  };
}

function rfc3339(r: FieldReader, text: string, path: string): number {
  const ms = parseRfc3339Ms(text);
  if (ms === undefined) r.fail(path, `must be an RFC 3339 date-time, got ${describeValue(text)}`);
  return ms;
}

/**
 * Validates one parsed timing metadata document (see the module comment for the rules).
 * `source` names the document in error messages (a path relative to the archive root).
 */
export function parseTimingMetadata(value: unknown, source: string): SessionTiming {
  const r = new FieldReader(source, 'METADATA_INVALID');
  const root = r.object(value, '');
  const callStartTime = r.string(root, 'call_start_time', '');
  const callStartMs = rfc3339(r, callStartTime, 'call_start_time');
  const callEndTime = r.optionalString(root, 'call_end_time', '');
  if (callEndTime !== undefined) rfc3339(r, callEndTime, 'call_end_time');
  const segments = r.optionalObject(root, 'segments', '') ?? {};
  return {
    callType: r.string(root, 'call_type', ''),
    callId: r.string(root, 'call_id', ''),
    callSessionId: r.string(root, 'call_session_id', ''),
    callStartTime,
    callStartMs,
    callEndTime,
    participantId: r.string(root, 'participant_id', ''),
    userSessionId: r.string(root, 'user_session_id', ''),
    segments: {
      audio: r
        .optionalArray(segments, 'audio', 'segments')
        .map((s, i) => parseSegment(r, s, `segments.audio[${i}]`)),
      video: r
        .optionalArray(segments, 'video', 'segments')
        .map((s, i) => parseSegment(r, s, `segments.video[${i}]`)),
    },
  };
}

/**
 * Parses timing metadata JSON text. Syntax errors throw a ParseError with code
 * METADATA_INVALID: `<source>: invalid JSON at line 3 column 5: … (at 42)`.
 */
export function parseTimingMetadataText(text: string, source: string): SessionTiming {
  return parseTimingMetadata(parseJsonDocument(text, source, 'METADATA_INVALID'), source);
}

function segmentJson(s: SegmentTiming, field: string): Record<string, unknown> {
  const pairs: [string, number | undefined, number | undefined][] = [
    ['first', s.firstRtcpRtpTimestamp, s.firstRtcpNtpTimestamp],
    ['last', s.lastRtcpRtpTimestamp, s.lastRtcpNtpTimestamp],
  ];
  const json: Record<string, unknown> = {
    base_filename: s.baseFilename,
    codec: s.codec,
    track_id: s.trackId,
    track_type: s.trackType,
    first_rtp_rtp_timestamp: s.firstRtpRtpTimestamp,
    first_rtp_unix_timestamp: s.firstRtpUnixTimestamp,
    last_rtp_rtp_timestamp: s.lastRtpRtpTimestamp,
    last_rtp_unix_timestamp: s.lastRtpUnixTimestamp,
  };
  for (const [which, rtp, ntp] of pairs) {
    if ((rtp === undefined) !== (ntp === undefined) || ntp === 0) {
      throw new RangeError(
        `${field}.${which}Rtcp{Rtp,Ntp}Timestamp must both be set (NTP time not 0) or both be undefined`,
      );
    }
    if (ntp === undefined) continue;
    json[`${which}_rtcp_rtp_timestamp`] = rtp;
    json[`${which}_rtcp_ntp_timestamp`] = ntp;
  }
  if (s.firstKeyFrameOffsetMs !== undefined)
    json['first_key_frame_offset_ms'] = s.firstKeyFrameOffsetMs;
  if (s.maxFrameDimension !== undefined) {
    json['max_frame_dimension'] = {
      width: s.maxFrameDimension.width,
      height: s.maxFrameDimension.height,
    };
  }
  if (s.ssrc !== undefined) json['ssrc'] = s.ssrc;
  return json;
}

/**
 * Writes a session's timing metadata as the snake_case JSON above (2-space indent, trailing
 * newline), for the recorder and for tests. `parseTimingMetadata` reads the result back to
 * an equal value; a session it could not (call start not RFC 3339 or not matching
 * `callStartMs`, a half-set sender report, a field of the wrong type) throws RangeError.
 */
export function serializeTimingMetadata(session: SessionTiming): string {
  const json: Record<string, unknown> = {
    call_type: session.callType,
    call_id: session.callId,
    call_session_id: session.callSessionId,
    call_start_time: session.callStartTime,
  };
  if (session.callEndTime !== undefined) json['call_end_time'] = session.callEndTime;
  json['participant_id'] = session.participantId;
  json['user_session_id'] = session.userSessionId;
  json['segments'] = {
    audio: session.segments.audio.map((s, i) => segmentJson(s, `session.segments.audio[${i}]`)),
    video: session.segments.video.map((s, i) => segmentJson(s, `session.segments.video[${i}]`)),
  };
  const text = `${JSON.stringify(json, finiteNumbers, 2)}\n`;
  let parsed: SessionTiming;
  try {
    parsed = parseTimingMetadata(JSON.parse(text), 'session');
  } catch (error) {
    if (error instanceof TapedeckError) throw new RangeError(error.message, { cause: error });
    throw error;
  }
  if (parsed.callStartMs !== session.callStartMs) {
    throw new RangeError(
      `session.callStartMs ${session.callStartMs} does not match callStartTime ${JSON.stringify(session.callStartTime)}`,
    );
  }
  for (const kind of ['audio', 'video'] as const) {
    parsed.segments[kind].forEach((p, i) => {
      const s = session.segments[kind][i];
      if (
        s &&
        (p.lastRtpUnixTimestamp !== s.lastRtpUnixTimestamp ||
          p.lastRtpRtpTimestamp !== s.lastRtpRtpTimestamp)
      ) {
        throw new RangeError(
          `session.segments.${kind}[${i}].lastRtpUnixTimestamp 0 means "end unknown" and needs last = first for both last* fields`,
        );
      }
    });
  }
  return text;
}

function finiteNumbers(key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new RangeError(
      `session field ${JSON.stringify(key)} must be a finite number, got ${value}`,
    );
  }
  return value;
}
