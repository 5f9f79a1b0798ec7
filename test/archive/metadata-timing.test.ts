import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, TapedeckError } from '../../src/errors.js';
import {
  parseTimingMetadata,
  parseTimingMetadataText,
  serializeTimingMetadata,
} from '../../src/archive/timing-metadata.js';
import type { SessionTiming } from '../../src/archive/types.js';
import { sessionTiming } from './metadata-arbitraries.js';

/** As the reference (Go) recorder writes it: nanosecond call start, omitempty fields, an older-file ssrc. */
const RECORDED = `{
  "call_type": "default",
  "call_id": "call-42",
  "call_session_id": "cs-7",
  "call_start_time": "2024-05-01T10:00:00.123456789Z",
  "participant_id": "alice",
  "user_session_id": "s-1",
  "segments": {
    "audio": [
      {
        "base_filename": "audio_1",
        "codec": "audio/opus",
        "track_id": "t-mic",
        "track_type": "TRACK_TYPE_AUDIO",
        "first_rtp_rtp_timestamp": 3000000000,
        "first_rtp_unix_timestamp": 1714557600200,
        "last_rtp_rtp_timestamp": 3002880000,
        "last_rtp_unix_timestamp": 1714557660200,
        "first_rtcp_rtp_timestamp": 3000048000,
        "first_rtcp_ntp_timestamp": 1714557601150,
        "last_rtcp_rtp_timestamp": 3002832000,
        "last_rtcp_ntp_timestamp": 1714557659150,
        "ssrc": 305419896,
        "rtp_duration_ms": 60000,
        "drift_rate_percent": 0.01
      }
    ],
    "video": [
      {
        "base_filename": "video_1",
        "codec": "video/VP8",
        "track_id": "t-cam",
        "track_type": "TRACK_TYPE_VIDEO",
        "first_rtp_rtp_timestamp": 0,
        "first_rtp_unix_timestamp": 1714557600300,
        "last_rtp_unix_timestamp": 1714557660300,
        "first_key_frame_offset_ms": 0,
        "max_frame_dimension": { "width": 1280, "height": 720 }
      }
    ]
  }
}
`;

function metadataError(run: () => unknown): TapedeckError {
  try {
    run();
  } catch (error) {
    if (error instanceof TapedeckError) return error;
    throw error;
  }
  throw new Error('expected a TapedeckError');
}

function withSegmentField(field: string, value: unknown): unknown {
  const doc = JSON.parse(RECORDED) as { segments: { audio: Record<string, unknown>[] } };
  doc.segments.audio[0]![field] = value;
  return doc;
}

describe('parseTimingMetadataText() on a recorder document', () => {
  const session = parseTimingMetadataText(RECORDED, 'alice/s-1/timing_metadata.json');

  it('reads the session fields and the call start as written and as Unix ms (nanoseconds truncated)', () => {
    expect(session).toMatchObject({
      callType: 'default',
      callId: 'call-42',
      callSessionId: 'cs-7',
      callStartTime: '2024-05-01T10:00:00.123456789Z',
      callStartMs: Date.UTC(2024, 4, 1, 10, 0, 0, 123),
      callEndTime: undefined,
      participantId: 'alice',
      userSessionId: 's-1',
    });
  });

  it('reads an audio segment with both sender reports and ignores the older duration/drift fields', () => {
    expect(session.segments.audio).toEqual([
      {
        baseFilename: 'audio_1',
        codec: 'audio/opus',
        trackId: 't-mic',
        trackType: 'TRACK_TYPE_AUDIO',
        firstRtpRtpTimestamp: 3000000000,
        lastRtpRtpTimestamp: 3002880000,
        firstRtpUnixTimestamp: 1714557600200,
        lastRtpUnixTimestamp: 1714557660200,
        firstRtcpRtpTimestamp: 3000048000,
        firstRtcpNtpTimestamp: 1714557601150,
        lastRtcpRtpTimestamp: 3002832000,
        lastRtcpNtpTimestamp: 1714557659150,
        firstKeyFrameOffsetMs: undefined,
        maxFrameDimension: undefined,
        ssrc: 305419896,
      },
    ]);
  });

  it('reads a video segment whose Go-omitted zero last_rtp_rtp_timestamp is 0 and whose absent reports are undefined', () => {
    expect(session.segments.video[0]).toMatchObject({
      lastRtpRtpTimestamp: 0,
      lastRtpUnixTimestamp: 1714557660300,
      firstRtcpRtpTimestamp: undefined,
      firstRtcpNtpTimestamp: undefined,
      firstKeyFrameOffsetMs: 0,
      maxFrameDimension: { width: 1280, height: 720 },
      ssrc: undefined,
    });
  });

  it('tolerates a byte-order mark', () => {
    expect(parseTimingMetadataText(`\ufeff${RECORDED}`, 'x')).toEqual(session);
  });
});

describe('parseTimingMetadata() optional fields', () => {
  it('treats sender reports with NTP time 0 as none seen, and an absent RTP time next to an NTP time as 0', () => {
    const doc = withSegmentField('first_rtcp_ntp_timestamp', 0);
    const zero = parseTimingMetadata(doc, 'm').segments.audio[0]!;
    expect([zero.firstRtcpRtpTimestamp, zero.firstRtcpNtpTimestamp]).toEqual([
      undefined,
      undefined,
    ]);
    const noRtp = JSON.parse(RECORDED) as { segments: { audio: Record<string, unknown>[] } };
    delete noRtp.segments.audio[0]!['last_rtcp_rtp_timestamp'];
    const seg = parseTimingMetadata(noRtp, 'm').segments.audio[0]!;
    expect([seg.lastRtcpRtpTimestamp, seg.lastRtcpNtpTimestamp]).toEqual([0, 1714557659150]);
  });

  it('takes both last_* values from the first packet when last_rtp_unix_timestamp is absent or 0', () => {
    for (const value of [undefined, 0, null]) {
      const segment = parseTimingMetadata(withSegmentField('last_rtp_unix_timestamp', value), 'm')
        .segments.audio[0]!;
      expect([segment.lastRtpRtpTimestamp, segment.lastRtpUnixTimestamp]).toEqual([
        3000000000, 1714557600200,
      ]);
    }
  });

  it('reads absent or null segment lists as empty, and a max_frame_dimension without height as height 0', () => {
    const doc = JSON.parse(RECORDED) as { segments?: Record<string, unknown> };
    doc.segments!['audio'] = null;
    delete doc.segments!['video'];
    expect(parseTimingMetadata(doc, 'm').segments).toEqual({ audio: [], video: [] });
    delete doc['segments'];
    expect(parseTimingMetadata(doc, 'm').segments).toEqual({ audio: [], video: [] });
    const dim = parseTimingMetadata(withSegmentField('max_frame_dimension', { width: 640 }), 'm')
      .segments.audio[0]!;
    expect(dim.maxFrameDimension).toEqual({ width: 640, height: 0 });
  });

  it('accepts call_end_time, and RFC 3339 offsets other than Z', () => {
    const doc = JSON.parse(RECORDED) as Record<string, unknown>;
    doc['call_start_time'] = '2024-05-01T12:00:00+02:00';
    doc['call_end_time'] = '2024-05-01T10:30:00Z';
    const session = parseTimingMetadata(doc, 'm');
    expect(session.callStartMs).toBe(Date.UTC(2024, 4, 1, 10));
    expect(session.callEndTime).toBe('2024-05-01T10:30:00Z');
  });
});

describe('parseTimingMetadata() errors', () => {
  it('names the field path: segments.audio[0].first_rtp_unix_timestamp must be an integer, got "abc"', () => {
    const error = metadataError(() =>
      parseTimingMetadata(
        withSegmentField('first_rtp_unix_timestamp', 'abc'),
        'alice/s-1/timing_metadata.json',
      ),
    );
    expect(error.code).toBe('METADATA_INVALID');
    expect(error.message).toBe(
      'alice/s-1/timing_metadata.json: segments.audio[0].first_rtp_unix_timestamp must be an integer, got "abc"',
    );
  });

  it.each([
    [
      'first_rtp_rtp_timestamp',
      -1,
      'segments.audio[0].first_rtp_rtp_timestamp must be an unsigned 32-bit integer, got -1',
    ],
    [
      'first_rtp_rtp_timestamp',
      2 ** 32,
      'segments.audio[0].first_rtp_rtp_timestamp must be an unsigned 32-bit integer, got 4294967296',
    ],
    [
      'last_rtp_unix_timestamp',
      1.5,
      'segments.audio[0].last_rtp_unix_timestamp must be an integer, got 1.5',
    ],
    [
      'first_rtp_unix_timestamp',
      2 ** 60,
      'segments.audio[0].first_rtp_unix_timestamp must be an integer within ±(2^53 − 1), got 1152921504606847000',
    ],
    ['codec', 5, 'segments.audio[0].codec must be a string, got 5'],
    ['codec', undefined, 'segments.audio[0].codec is missing'],
    [
      'track_type',
      'TRACK_TYPE_UNSPECIFIED',
      'segments.audio[0].track_type must be one of TRACK_TYPE_AUDIO, TRACK_TYPE_VIDEO, TRACK_TYPE_SCREEN_SHARE, TRACK_TYPE_SCREEN_SHARE_AUDIO, got "TRACK_TYPE_UNSPECIFIED"',
    ],
    [
      'base_filename',
      '../audio_1',
      'segments.audio[0].base_filename must be a file name without a folder, got "../audio_1"',
    ],
    [
      'max_frame_dimension',
      [1, 2],
      'segments.audio[0].max_frame_dimension must be an object, got an array',
    ],
    ['ssrc', true, 'segments.audio[0].ssrc must be an unsigned 32-bit integer, got true'],
    [
      'first_key_frame_offset_ms',
      {},
      'segments.audio[0].first_key_frame_offset_ms must be an integer, got an object',
    ],
  ])('rejects %s = %j', (field, value, message) => {
    const doc = withSegmentField(field, value);
    if (value === undefined)
      delete (doc as { segments: { audio: Record<string, unknown>[] } }).segments.audio[0]![field];
    expect(metadataError(() => parseTimingMetadata(doc, 'm')).message).toBe(`m: ${message}`);
  });

  it('rejects a document that is not an object, a segment that is not an object, and a bad call start', () => {
    expect(metadataError(() => parseTimingMetadata([], 'm')).message).toBe(
      'm: the document must be an object, got an array',
    );
    const doc = JSON.parse(RECORDED) as {
      segments: { video: unknown[] };
      call_start_time: unknown;
    };
    doc.segments.video[0] = 'video_1';
    expect(metadataError(() => parseTimingMetadata(doc, 'm')).message).toBe(
      'm: segments.video[0] must be an object, got "video_1"',
    );
    doc.call_start_time = '2024-02-30T00:00:00Z';
    expect(metadataError(() => parseTimingMetadata(doc, 'm')).message).toBe(
      'm: call_start_time must be an RFC 3339 date-time, got "2024-02-30T00:00:00Z"',
    );
  });

  it('rejects segments that are not an object and segment lists that are not arrays', () => {
    expect(
      metadataError(() =>
        parseTimingMetadata({ ...(JSON.parse(RECORDED) as object), segments: 1 }, 'm'),
      ).message,
    ).toBe('m: segments must be an object, got 1');
    expect(
      metadataError(() =>
        parseTimingMetadata({ ...(JSON.parse(RECORDED) as object), segments: { audio: {} } }, 'm'),
      ).message,
    ).toBe('m: segments.audio must be an array, got an object');
  });

  it('turns a JSON syntax error into METADATA_INVALID with line, column and offset', () => {
    const text = '{\n  "call_id": "x",\n  "call_type": }\n';
    const error = metadataError(() => parseTimingMetadataText(text, 'u/s/timing_metadata.json'));
    expect(error).toBeInstanceOf(ParseError);
    expect(error.code).toBe('METADATA_INVALID');
    expect((error as ParseError).offset).toBe(35);
    expect(error.message).toBe(
      'u/s/timing_metadata.json: invalid JSON at line 3 column 16: unexpected "}" (at 35)',
    );
  });
});

describe('serializeTimingMetadata()', () => {
  it('writes the snake_case fields the reference tool reads', () => {
    const text = serializeTimingMetadata(parseTimingMetadataText(RECORDED, 'm'));
    const json = JSON.parse(text) as Record<string, unknown> & {
      segments: { audio: Record<string, unknown>[]; video: Record<string, unknown>[] };
    };
    expect(Object.keys(json)).toEqual([
      'call_type',
      'call_id',
      'call_session_id',
      'call_start_time',
      'participant_id',
      'user_session_id',
      'segments',
    ]);
    expect(json.segments.audio[0]).toMatchObject({
      base_filename: 'audio_1',
      first_rtcp_ntp_timestamp: 1714557601150,
      ssrc: 305419896,
    });
    expect(json.segments.video[0]).not.toHaveProperty('first_rtcp_rtp_timestamp');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('property: parseTimingMetadataText(serializeTimingMetadata(s)) equals s', () => {
    fc.assert(
      fc.property(sessionTiming, (session) => {
        expect(parseTimingMetadataText(serializeTimingMetadata(session), 'm')).toEqual(session);
      }),
      { seed: 0x7e1, numRuns: 1000 },
    );
  });

  it('throws RangeError for a session it could not read back', () => {
    const session = parseTimingMetadataText(RECORDED, 'm');
    const audio = session.segments.audio[0]!;
    const withAudio = (
      changes: Partial<SessionTiming['segments']['audio'][number]>,
    ): SessionTiming => ({
      ...session,
      segments: { ...session.segments, audio: [{ ...audio, ...changes }] },
    });
    expect(() => serializeTimingMetadata({ ...session, callStartMs: 0 })).toThrow(
      'session.callStartMs 0 does not match',
    );
    expect(() => serializeTimingMetadata({ ...session, callStartTime: 'yesterday' })).toThrow(
      RangeError,
    );
    expect(() => serializeTimingMetadata(withAudio({ firstRtcpRtpTimestamp: undefined }))).toThrow(
      'must both be set',
    );
    expect(() => serializeTimingMetadata(withAudio({ lastRtpUnixTimestamp: 0 }))).toThrow(
      '"end unknown"',
    );
    expect(() => serializeTimingMetadata(withAudio({ firstKeyFrameOffsetMs: Number.NaN }))).toThrow(
      'must be a finite number',
    );
    expect(() => serializeTimingMetadata(withAudio({ firstRtpRtpTimestamp: -1 }))).toThrow(
      RangeError,
    );
  });
});
