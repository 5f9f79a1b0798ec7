/**
 * Places every segment of a call on the call timeline (server arrival clock, Unix ms):
 * reads each segment's SDP for its codec and clock rate, computes one clock offset per
 * participant session from the sender reports of all its segments, and returns a clock
 * per segment. See src/media/timeline/segment-clock.ts for the rules.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallModel, Segment, Track } from '../archive/types.js';
import { TapedeckError } from '../errors.js';
import {
  segmentClock,
  sessionClockOffsetMs,
  type SegmentClock,
  type SegmentClockInput,
} from '../media/timeline/segment-clock.js';
import { parseSdp } from '../sdp/parse-sdp.js';
import { resolveCodec } from '../sdp/resolve-codec.js';
import type { ResolvedCodec } from '../sdp/types.js';

export type PlacedSegment = {
  readonly segment: Segment;
  /** The rtpdump's path inside the archive, for messages. */
  readonly displayName: string;
  readonly codec: ResolvedCodec;
  readonly clockInput: SegmentClockInput;
  readonly clock: SegmentClock;
};

export type Placement = {
  /** Placed segments per track, in the track's segment order. */
  segmentsOf(track: Track): readonly PlacedSegment[];
  /** Call-timeline start (Unix ms) of the track's first segment. */
  startOf(track: Track): number;
  /** Call-timeline end (Unix ms) of the track's last segment's last packet. */
  endOf(track: Track): number;
};

/** Reads a segment's SDP and resolves its codec; errors name the file (`sdpName`). */
export async function loadSegmentCodec(segment: Segment, sdpName = segment.sdpPath): Promise<ResolvedCodec> {
  let text: string;
  try {
    text = await readFile(segment.sdpPath, 'utf8');
  } catch (error) {
    throw new TapedeckError('INPUT_NOT_FOUND', `${sdpName}: cannot read SDP`, { cause: error });
  }
  try {
    const media = parseSdp(text).media[0];
    if (!media) throw new TapedeckError('SDP_INVALID', 'SDP without media');
    return resolveCodec(media);
  } catch (error) {
    throw inFile(sdpName, error);
  }
}

/** The same error, its message prefixed with the file it is about. */
export function inFile(name: string, error: unknown): unknown {
  if (!(error instanceof TapedeckError) || error.code === 'ABORTED') return error;
  return new TapedeckError(error.code, `${name}: ${error.message}`, { cause: error });
}

function clockInputOf(segment: Segment, clockRate: number): SegmentClockInput {
  const t = segment.timing;
  const sr = (rtp: number | undefined, ntp: number | undefined): SegmentClockInput['firstSr'] =>
    rtp !== undefined && ntp !== undefined && ntp > 0 ? { rtpTimestamp: rtp, ntpMs: ntp } : undefined;
  return {
    clockRate,
    firstRtpTimestamp: t.firstRtpRtpTimestamp,
    lastRtpTimestamp: t.lastRtpRtpTimestamp,
    firstArrivalMs: t.firstRtpUnixTimestamp,
    lastArrivalMs: t.lastRtpUnixTimestamp,
    firstSr: sr(t.firstRtcpRtpTimestamp, t.firstRtcpNtpTimestamp),
    lastSr: sr(t.lastRtcpRtpTimestamp, t.lastRtcpNtpTimestamp),
  };
}

function sessionKey(track: Track): string {
  return JSON.stringify([track.userId, track.sessionId]);
}

/**
 * Places the given tracks (and, for session offsets, every track of their sessions).
 * `root` is the archive's folder; messages name files relative to it.
 */
export async function placeTracks(model: CallModel, root: string): Promise<Placement> {
  const codecs = new Map<Segment, ResolvedCodec>();
  for (const track of model.tracks) {
    for (const segment of track.segments) {
      codecs.set(segment, await loadSegmentCodec(segment, path.relative(root, segment.sdpPath)));
    }
  }
  const inputs = new Map<Segment, SegmentClockInput>();
  const bySession = new Map<string, SegmentClockInput[]>();
  for (const track of model.tracks) {
    for (const segment of track.segments) {
      const codec = codecs.get(segment);
      if (!codec) continue;
      const input = clockInputOf(segment, codec.clockRate);
      inputs.set(segment, input);
      const key = sessionKey(track);
      const list = bySession.get(key) ?? [];
      list.push(input);
      bySession.set(key, list);
    }
  }
  const offsets = new Map<string, number | undefined>();
  for (const [key, list] of bySession) offsets.set(key, sessionClockOffsetMs(list));

  const placed = new Map<Track, PlacedSegment[]>();
  for (const track of model.tracks) {
    const offset = offsets.get(sessionKey(track));
    placed.set(
      track,
      track.segments.map((segment) => {
        const codec = codecs.get(segment) as ResolvedCodec;
        const clockInput = inputs.get(segment) as SegmentClockInput;
        const displayName = path.relative(root, segment.rtpdumpPath);
        return { segment, displayName, codec, clockInput, clock: segmentClock(clockInput, offset) };
      }),
    );
  }
  const segmentsOf = (track: Track): readonly PlacedSegment[] => placed.get(track) ?? [];
  return {
    segmentsOf,
    startOf: (track) => segmentsOf(track)[0]?.clock.startMs ?? track.callStartMs,
    endOf: (track) => {
      const list = segmentsOf(track);
      const last = list[list.length - 1];
      if (!last) return track.callStartMs;
      const span = last.clockInput;
      const ticks = ((span.lastRtpTimestamp - span.firstRtpTimestamp) | 0);
      return last.clock.timeOfTicksMs(Math.max(0, ticks));
    },
  };
}
