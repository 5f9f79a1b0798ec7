/**
 * One track of one participant session, recorded exactly as received: every RTP and RTCP
 * datagram pushed goes, in arrival order and unmodified, into the current segment's
 * rtpdump (RTCP as plen-0 records). Nothing is reordered or rewritten; packets are parsed
 * only as far as segmenting and timing need (RTP header; RTCP sender reports).
 *
 * Segments: the first media packet opens one (`audio_1`, `video_1`, … allocated by the
 * session); a media packet with another SSRC, `republish()` and `cut()` end it, and the
 * next media packet opens the next. "Media" means any payload type but the codec's RTX and
 * FEC types: those are recorded into the open segment but never start one, and the timing
 * (first/last packet, sender reports, keyframe, size) follows the media SSRC only.
 *
 * ```
 *  push ─▶ RTP? parse header ─▶ media PT? ─▶ SSRC = segment's? ─▶ segment.add
 *            │ no: malformed      │ no (RTX/FEC)    │ no: end segment, open next
 *          RTCP? parse (§A.2)   ─┴──▶ open segment, else held (≤ 64) until one opens
 * ```
 *
 * After an SSRC change, late packets of the old SSRC (within 1 s) are dropped and counted
 * rather than written into the new segment, whose reader expects one stream. A sender
 * report that arrives for a new SSRC just before its first RTP packet (senders open with
 * one) is written where it arrived, into the old segment, and once more at the start of
 * the new segment (the last one per SSRC, from the last 5 s), so the new segment's timing
 * has its sender's first report.
 */
import type { SegmentTiming, TrackType } from '../../archive/types.js';
import { parseRtcpCompound } from '../../rtp/rtcp.js';
import { rtpPayloadOffset, rtpPayloadType, rtpSsrc } from '../../rtp/rtp-header-check.js';
import { parseRtpPacket, type RtpPacket } from '../../rtp/rtp-packet.js';
import type { FlushClock } from './flush-clock.js';
import { checkEndpoint, checkTrackId, checkTrackType } from './option-checks.js';
import {
  SegmentFile,
  type SegmentCounters,
  type SegmentInput,
  type SegmentPlace,
} from './segment-file.js';
import { resolveTrackCodec, type TrackCodec } from './track-codec.js';
import type {
  PacketSink,
  RecorderTally,
  RepublishUpdate,
  TrackEndpoint,
  TrackRecorderOptions,
  TrackRecorderStats,
} from './types.js';

/** What a track needs from its session. */
export type TrackHost = {
  /** A free base name of `kind` in the session folder (the folder exists when it resolves). */
  place(kind: 'audio' | 'video'): Promise<SegmentPlace>;
  /** A segment's files are closed; its timing goes into the session's metadata. */
  segmentClosed(timing: SegmentTiming): Promise<void>;
  readonly flushClock: FlushClock;
};

const MAX_HELD = 64;
const STALE_WINDOW_MS = 1000;
const MAX_FOREIGN_REPORTS = 8;
const FOREIGN_REPORT_MS = 5000;

export class TrackRecorder implements PacketSink {
  readonly trackId: string;
  readonly kind: 'audio' | 'video';
  readonly trackType: TrackType;
  readonly endpoint: TrackEndpoint;
  readonly #host: TrackHost;
  readonly #tally: RecorderTally | undefined;
  #codec: TrackCodec;
  #codecSource: { codec: TrackRecorderOptions['codec']; sdpText: string | undefined };
  #segment: SegmentFile | undefined;
  /** Records waiting for the first media packet of the next segment. */
  #held: SegmentInput[] = [];
  /** The last sender report per SSRC other than the open segment's (oldest dropped past 8). */
  readonly #foreignReports = new Map<number, SegmentInput>();
  /** The SSRC the last SSRC change left, and until when its late packets are dropped. */
  #left: { ssrc: number; untilMs: number } | undefined;
  readonly #closings = new Set<Promise<void>>();
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;
  readonly #counters: SegmentCounters & {
    -readonly [K in Exclude<keyof TrackRecorderStats, keyof SegmentCounters | 'segments'>]: number;
  } = {
    rtpWritten: 0,
    rtcpWritten: 0,
    bytesWritten: 0,
    droppedWriteFailed: 0,
    droppedMalformed: 0,
    droppedAfterClose: 0,
    droppedStale: 0,
    droppedUnassigned: 0,
  };
  #segments = 0;

  /** Use `SessionRecorder.track()`; throws RangeError/TypeError naming a bad option. */
  constructor(options: TrackRecorderOptions, host: TrackHost) {
    this.trackId = checkTrackId('options.trackId', options.trackId);
    this.#codec = resolveTrackCodec(options.kind, options.codec, options.sdpText);
    this.#codecSource = { codec: options.codec, sdpText: options.sdpText };
    this.kind = options.kind;
    this.trackType = checkTrackType(
      'options.trackType',
      options.trackType ?? (this.kind === 'audio' ? 'TRACK_TYPE_AUDIO' : 'TRACK_TYPE_VIDEO'),
    );
    this.endpoint = checkEndpoint(
      'options.endpoint',
      options.endpoint ?? { address: '127.0.0.1', port: this.kind === 'audio' ? 5004 : 5006 },
    );
    this.#host = host;
    this.#tally = options.tally;
  }

  get stats(): TrackRecorderStats {
    return { ...this.#counters, segments: this.#segments };
  }

  /** The first write failure (a segment's files could not be created or written), if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /**
   * Records one datagram (see the module comment). Packet content never throws: what
   * cannot be recorded is counted in `stats`. RangeError for a non-finite `arrivalMs`.
   */
  push(packet: Uint8Array, arrivalMs: number, isRtcp: boolean): void {
    if (!Number.isFinite(arrivalMs))
      throw new RangeError(`arrivalMs must be a finite Unix time in ms, got ${arrivalMs}`);
    const c = this.#counters;
    if (this.#closed !== undefined) {
      c.droppedAfterClose += 1;
      if (this.#tally !== undefined) this.#tally.droppedAfterClose += 1;
      return;
    }
    if (isRtcp) {
      this.#pushRtcp(packet, arrivalMs);
      return;
    }
    // The common case (a media packet of the open segment's SSRC) reads the header in
    // place; anything else is parsed in full below.
    const payloadOffset = rtpPayloadOffset(packet);
    if (payloadOffset < 0) {
      c.droppedMalformed += 1;
      if (this.#tally !== undefined) this.#tally.droppedMalformed += 1;
      return;
    }
    if (this.#codec.repair.has(rtpPayloadType(packet))) {
      this.#toSegmentOrHeld({ packet, arrivalMs, isRtcp: false });
      return;
    }
    const segment = this.#segment;
    if (segment !== undefined && segment.ssrc === rtpSsrc(packet)) {
      segment.addPacket(packet, arrivalMs, false, payloadOffset);
      return;
    }
    const rtp = parseRtpPacket(packet); // valid: rtpPayloadOffset said so
    if (this.#left?.ssrc === rtp.ssrc && arrivalMs < this.#left.untilMs) {
      c.droppedStale += 1;
      if (this.#tally !== undefined) this.#tally.droppedStale += 1;
      return;
    }
    if (segment !== undefined) {
      this.#left = { ssrc: segment.ssrc, untilMs: arrivalMs + STALE_WINDOW_MS };
      this.#endSegment();
    }
    this.#openSegment(rtp, { packet, arrivalMs, isRtcp: false, rtp });
  }

  /** Ends the current segment (the 2-hour part boundary); the next media packet opens a new one. */
  cut(): Promise<void> {
    this.#endSegment();
    return this.#settled();
  }

  /**
   * The publisher unpublished and published again: ends the current segment, optionally
   * with a new codec or SDP for the segments that follow (validated first; a bad update
   * throws and changes nothing).
   */
  republish(update: RepublishUpdate = {}): Promise<void> {
    if (update.codec !== undefined || update.sdpText !== undefined) {
      const source = {
        codec: update.codec ?? this.#codecSource.codec,
        sdpText: update.sdpText ?? this.#codecSource.sdpText,
      };
      this.#codec = resolveTrackCodec(this.kind, source.codec, source.sdpText);
      this.#codecSource = source;
    }
    this.#left = undefined;
    this.#endSegment();
    return this.#settled();
  }

  /**
   * Ends recording: closes the current segment and waits for every segment's files and
   * the session metadata. Idempotent. Rejects with the first write failure, after
   * everything else was closed.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#endSegment();
      this.#counters.droppedUnassigned += this.#held.length;
      if (this.#tally !== undefined) this.#tally.droppedUnassigned += this.#held.length;
      this.#held = [];
      await this.#settled();
    })();
    return this.#closed;
  }

  #pushRtcp(packet: Uint8Array, arrivalMs: number): void {
    let reporter: number | undefined;
    try {
      reporter = parseRtcpCompound(packet).find((p) => p.type === 'sr')?.ssrc;
    } catch {
      this.#counters.droppedMalformed += 1;
      if (this.#tally !== undefined) this.#tally.droppedMalformed += 1;
      return;
    }
    const input: SegmentInput = { packet, arrivalMs, isRtcp: true };
    this.#toSegmentOrHeld(input);
    const ssrc = this.#segment?.ssrc;
    if (reporter === undefined || ssrc === undefined || reporter === ssrc) return;
    // Possibly the next stream's first report: remembered for the segment it may open.
    this.#foreignReports.delete(reporter);
    this.#foreignReports.set(reporter, input);
    const oldest = this.#foreignReports.keys().next();
    if (this.#foreignReports.size > MAX_FOREIGN_REPORTS && oldest.done !== true) {
      this.#foreignReports.delete(oldest.value);
    }
  }

  #toSegmentOrHeld(input: SegmentInput): void {
    if (this.#segment !== undefined) {
      this.#segment.add(input);
      return;
    }
    this.#held.push(input);
    if (this.#held.length > MAX_HELD) {
      this.#held.shift();
      this.#counters.droppedUnassigned += 1;
      if (this.#tally !== undefined) this.#tally.droppedUnassigned += 1;
    }
  }

  #openSegment(rtp: RtpPacket, first: SegmentInput): void {
    const held = this.#held;
    this.#held = [];
    const report = this.#foreignReports.get(rtp.ssrc);
    this.#foreignReports.clear();
    if (report !== undefined && report.arrivalMs >= first.arrivalMs - FOREIGN_REPORT_MS) {
      held.push(report);
      held.sort((a, b) => a.arrivalMs - b.arrivalMs);
    }
    const startMs = Math.floor(Math.min(first.arrivalMs, held[0]?.arrivalMs ?? Infinity));
    const segment = new SegmentFile({
      codec: this.#codec,
      trackId: this.trackId,
      trackType: this.trackType,
      endpoint: this.endpoint,
      ssrc: rtp.ssrc,
      startMs,
      place: () => this.#host.place(this.kind),
      counters: this.#counters,
      tally: this.#tally,
      flushClock: this.#host.flushClock,
    });
    this.#segment = segment;
    this.#segments += 1;
    for (const input of held) segment.add(input);
    segment.add(first);
  }

  #endSegment(): void {
    const segment = this.#segment;
    if (segment === undefined) return;
    this.#segment = undefined;
    const done = segment
      .close()
      .then((timing) => this.#host.segmentClosed(timing))
      .catch((error: unknown) => {
        this.#failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => this.#closings.delete(done));
    this.#closings.add(done);
  }

  async #settled(): Promise<void> {
    await Promise.all(this.#closings);
    if (this.#failure !== undefined) throw this.#failure;
  }
}
