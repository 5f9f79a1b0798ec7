/**
 * Placing RTP time on the call timeline.
 *
 * Two clocks, two jobs (DESIGN.md, "Time"):
 * - Within one participant session, audio and video share the sender's wall clock. Sender
 *   reports map each stream's RTP time to that clock, so the streams' relative timing is
 *   exact (lip sync) even when one stream's first packet arrived late.
 * - Different participants' wall clocks can be seconds apart, so each session is placed on
 *   the server's arrival clock: the session's clock offset is the smallest
 *   (arrival − sender time) over its segments, i.e. the least-delayed first packet.
 * Without sender reports a segment falls back to the arrival time of its first packet.
 *
 * Everything here is float milliseconds on the Unix epoch; RTP distances are computed as
 * wrap-safe signed deltas first, then scaled (sub-millisecond precision, RTP wrap safe).
 */
import { tsDelta } from '../../lib/wrap.js';

/** The timing facts of one segment (a subset of the timing metadata). */
export type SegmentClockInput = {
  readonly clockRate: number;
  readonly firstRtpTimestamp: number;
  readonly firstArrivalMs: number;
  readonly lastRtpTimestamp: number;
  readonly lastArrivalMs: number;
  readonly firstSr: { readonly rtpTimestamp: number; readonly ntpMs: number } | undefined;
  readonly lastSr: { readonly rtpTimestamp: number; readonly ntpMs: number } | undefined;
};

/** Sender clock rates further than this from nominal are treated as glitches (nominal used). */
const MAX_DRIFT = 0.01;
/** Sender reports closer than this are too short a baseline to measure drift. */
const MIN_DRIFT_BASELINE_MS = 10_000;

/**
 * Ticks per millisecond of the sender's clock as measured between its first and last
 * sender reports, or the nominal rate when that is not measurable or implausible.
 */
export function measuredTicksPerMs(input: SegmentClockInput): number {
  const nominal = input.clockRate / 1000;
  const { firstSr, lastSr } = input;
  if (!firstSr || !lastSr) return nominal;
  const spanMs = lastSr.ntpMs - firstSr.ntpMs;
  if (!(spanMs >= MIN_DRIFT_BASELINE_MS)) return nominal;
  const ticks = tsDelta(firstSr.rtpTimestamp, lastSr.rtpTimestamp);
  const rate = ticks / spanMs;
  return Math.abs(rate / nominal - 1) <= MAX_DRIFT ? rate : nominal;
}

/**
 * The sender's wall-clock time (Unix ms) of the segment's first packet, from its first
 * sender report, or undefined when the segment has none.
 */
export function senderTimeOfFirstPacketMs(input: SegmentClockInput): number | undefined {
  const sr = input.firstSr;
  if (!sr) return undefined;
  const ticks = tsDelta(sr.rtpTimestamp, input.firstRtpTimestamp);
  return sr.ntpMs + ticks / measuredTicksPerMs(input);
}

/**
 * The session's clock offset (arrival clock − sender clock, ms): the minimum over segments
 * with sender reports, or undefined when no segment has one.
 */
export function sessionClockOffsetMs(segments: readonly SegmentClockInput[]): number | undefined {
  let best: number | undefined;
  for (const s of segments) {
    const sender = senderTimeOfFirstPacketMs(s);
    if (sender === undefined) continue;
    const offset = s.firstArrivalMs - sender;
    if (best === undefined || offset < best) best = offset;
  }
  return best;
}

/** Maps RTP ticks of one segment to the call timeline (server arrival clock, Unix ms). */
export type SegmentClock = {
  /** Call-timeline time (Unix ms) of the segment's first packet. */
  readonly startMs: number;
  readonly ticksPerMs: number;
  /** How the start was found. */
  readonly source: 'sender-report' | 'arrival';
  /** Call-timeline time of a timestamp given as ticks since the first packet. */
  timeOfTicksMs(ticksSinceFirst: number): number;
};

export function segmentClock(input: SegmentClockInput, sessionOffsetMs: number | undefined): SegmentClock {
  const sender = senderTimeOfFirstPacketMs(input);
  const ticksPerMs = measuredTicksPerMs(input);
  const useSr = sender !== undefined && sessionOffsetMs !== undefined;
  const startMs = useSr ? sender + sessionOffsetMs : input.firstArrivalMs;
  return {
    startMs,
    ticksPerMs,
    source: useSr ? 'sender-report' : 'arrival',
    timeOfTicksMs: (ticks) => startMs + ticks / ticksPerMs,
  };
}

/**
 * The segment's nominal span in ms from its first to its last RTP timestamp (wrap-safe),
 * used to cap anything synthesized inside a segment.
 */
export function segmentRtpSpanMs(input: SegmentClockInput): number {
  return Math.max(0, tsDelta(input.firstRtpTimestamp, input.lastRtpTimestamp)) / measuredTicksPerMs(input);
}
