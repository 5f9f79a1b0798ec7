/** fast-check arbitraries for timing metadata, and a JSON mutator for fuzzing. */
import fc from 'fast-check';
import { TRACK_TYPES } from '../../src/archive/timing-metadata.js';
import type { SegmentTiming, SessionTiming } from '../../src/archive/types.js';

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
/** Unix ms from year 0000 to 9999: toISOString() writes these as RFC 3339. */
export const rfc3339Ms = fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 });
const unixMs = fc.integer({ min: 1, max: 2 ** 42 });

const senderReport = fc.option(
  fc.record({ rtp: uint32, ntp: fc.integer({ min: 1, max: 2 ** 42 }) }),
  { nil: undefined },
);

export const segmentTiming: fc.Arbitrary<SegmentTiming> = fc
  .record({
    baseFilename: fc
      .stringMatching(/^[A-Za-z0-9_.-]{1,16}$/)
      .filter((s) => s !== '.' && s !== '..'),
    codec: fc.constantFrom('audio/opus', 'video/VP8', 'video/VP9', 'video/H264', 'video/AV1'),
    trackId: fc.string({ maxLength: 12 }),
    trackType: fc.constantFrom(...TRACK_TYPES),
    firstRtpRtpTimestamp: uint32,
    lastRtpRtpTimestamp: uint32,
    firstRtpUnixTimestamp: unixMs,
    lastRtpUnixTimestamp: unixMs,
    firstSr: senderReport,
    lastSr: senderReport,
    firstKeyFrameOffsetMs: fc.option(fc.integer({ min: -1000, max: 100_000 }), { nil: undefined }),
    maxFrameDimension: fc.option(fc.record({ width: uint32, height: uint32 }), { nil: undefined }),
    ssrc: fc.option(uint32, { nil: undefined }),
  })
  .map(({ firstSr, lastSr, ...rest }) => ({
    ...rest,
    firstRtcpRtpTimestamp: firstSr?.rtp,
    firstRtcpNtpTimestamp: firstSr?.ntp,
    lastRtcpRtpTimestamp: lastSr?.rtp,
    lastRtcpNtpTimestamp: lastSr?.ntp,
  }));

export const sessionTiming: fc.Arbitrary<SessionTiming> = fc
  .record({
    callType: fc.string({ maxLength: 10 }),
    callId: fc.string({ maxLength: 10 }),
    callSessionId: fc.string({ maxLength: 10 }),
    startMs: rfc3339Ms,
    endMs: fc.option(rfc3339Ms, { nil: undefined }),
    participantId: fc.string({ maxLength: 10 }),
    userSessionId: fc.string({ maxLength: 10 }),
    audio: fc.array(segmentTiming, { maxLength: 3 }),
    video: fc.array(segmentTiming, { maxLength: 3 }),
  })
  .map(({ startMs, endMs, audio, video, ...rest }) => ({
    ...rest,
    callStartTime: new Date(startMs).toISOString(),
    callStartMs: startMs,
    callEndTime: endMs === undefined ? undefined : new Date(endMs).toISOString(),
    segments: { audio, video },
  }));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  }
  return here;
}

function mutate(
  root: Json,
  path: readonly (string | number)[],
  replacement: Json | undefined,
): Json {
  if (path.length === 0) return replacement ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    const i = head as number;
    if (rest.length === 0 && replacement === undefined) copy.splice(i, 1);
    else copy[i] = mutate(copy[i] ?? null, rest, replacement);
    return copy;
  }
  if (root !== null && typeof root === 'object') {
    const copy = { ...root };
    const key = head as string;
    if (rest.length === 0 && replacement === undefined) delete copy[key];
    else copy[key] = mutate(copy[key] ?? null, rest, replacement);
    return copy;
  }
  return root;
}

/** A JSON document with up to three of its values replaced by arbitrary JSON or deleted. */
export function mutatedJson(
  documents: fc.Arbitrary<Json>,
  replacements: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
): fc.Arbitrary<Json> {
  const edit = fc.tuple(fc.nat(), fc.option(replacements, { nil: undefined }));
  return fc.tuple(documents, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([doc, edits]) => {
    let current = doc;
    for (const [pick, replacement] of edits) {
      const all = paths(current);
      const path = all[pick % all.length] ?? [];
      current = mutate(current, path, replacement);
    }
    return current;
  });
}

export type { Json };
