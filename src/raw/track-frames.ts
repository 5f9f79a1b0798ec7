/**
 * One track's encoded frames on the call timeline, streamed segment by segment:
 * rtpdump records ▶ RTP parse ▶ RTX restore / RED unwrap ▶ reorder ▶ depacketize ▶ (Opus) DTX
 * fill ▶ call-timeline time. Leading video frames before the first keyframe are dropped
 * (counted), so the first frame yielded for video is always a keyframe.
 */
import { stat } from 'node:fs/promises';
import type { Track } from '../archive/types.js';
import { TapedeckError } from '../errors.js';
import { tsDelta } from '../lib/wrap.js';
import { createDepacketizer } from '../media/depacketize/index.js';
import { RedUnwrapper } from '../media/depacketize/red.js';
import { RtxRestorer } from '../media/depacketize/rtx.js';
import { DtxFiller } from '../media/gaps/dtx.js';
import { ReorderBuffer } from '../media/reorder/reorder-buffer.js';
import { emptyStats, type CodecName, type Depacketizer, type EncodedFrame, type OrderedPacket, type PacketStats } from '../media/types.js';
import { parseRtpPacket, type RtpPacket } from '../rtp/rtp-packet.js';
import { readRtpdump } from '../rtpdump/read-rtpdump.js';
import { inFile, type PlacedSegment } from './placement.js';

/** A frame placed on the call timeline. */
export type TimedFrame = EncodedFrame & {
  /** Call-timeline time (Unix ms, fractional). */
  readonly timeMs: number;
  readonly segmentIndex: number;
  /** Present for frames tapedeck synthesized. */
  readonly synthetic?: 'dtx';
  /** Duration when known in ms (synthesized video frames); else the writer infers it. */
  readonly durationMs?: number;
};

export type TrackReadStats = PacketStats & {
  /** Records that were not valid RTP (counted, skipped). */
  malformed: number;
  /** RTP packets of payload types the SDP does not map for this track (counted, skipped). */
  foreignPayloadType: number;
  /** RTCP records seen. */
  rtcp: number;
  dtxFramesInserted: number;
  dtxGaps: number;
  /** Timestamp jumps too large to be silence (not filled). */
  discontinuities: number;
  /** Video frames before the first keyframe (not decodable, dropped). */
  framesBeforeKeyframe: number;
};

export type TrackFramesOptions = {
  /** Fill Opus DTX gaps with silence frames. Default true. */
  readonly fixDtx?: boolean;
  readonly signal?: AbortSignal;
  /** Called with bytes of rtpdump read so far and the track's total. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
};

const CODEC_BY_NAME: Readonly<Record<string, CodecName>> = {
  opus: 'opus',
  VP8: 'VP8',
  VP9: 'VP9',
  H264: 'H264',
  AV1: 'AV1',
};

export function codecOf(placed: PlacedSegment): CodecName {
  const codec = CODEC_BY_NAME[placed.codec.name];
  if (!codec) {
    throw new TapedeckError(
      'UNSUPPORTED_CODEC',
      `${placed.segment.sdpPath}: codec ${placed.codec.mimeType} is not supported (opus, VP8, VP9, H264, AV1 are)`,
    );
  }
  return codec;
}

function emptyTrackStats(): TrackReadStats {
  return {
    ...emptyStats(),
    malformed: 0,
    foreignPayloadType: 0,
    rtcp: 0,
    dtxFramesInserted: 0,
    dtxGaps: 0,
    discontinuities: 0,
    framesBeforeKeyframe: 0,
  };
}

function addStats(into: TrackReadStats, from: Partial<PacketStats>): void {
  for (const key of Object.keys(from) as (keyof PacketStats)[]) {
    const v = from[key];
    if (typeof v === 'number') into[key] += v;
  }
}

/** Streams one track's frames; `stats` is complete once iteration ends. */
export class TrackFrames {
  readonly track: Track;
  readonly stats: TrackReadStats = emptyTrackStats();
  #depacketizer: Depacketizer | undefined;
  #lastDescription: Uint8Array | undefined;
  readonly #segments: readonly PlacedSegment[];
  readonly #options: TrackFramesOptions;

  constructor(track: Track, segments: readonly PlacedSegment[], options: TrackFramesOptions = {}) {
    this.track = track;
    this.#segments = segments;
    this.#options = options;
  }

  /** H264: the AVCDecoderConfigurationRecord in effect for the frame last yielded. */
  get codecDescription(): Uint8Array | undefined {
    return this.#depacketizer?.codecDescription ?? this.#lastDescription;
  }

  get segments(): readonly PlacedSegment[] {
    return this.#segments;
  }

  async *frames(): AsyncGenerator<TimedFrame> {
    const sizes = await Promise.all(this.#segments.map(async (s) => (await stat(s.segment.rtpdumpPath)).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    let done = 0;
    for (const [index, placed] of this.#segments.entries()) {
      // Each segment is a new stream (new SSRC or republish): video starts at its keyframe.
      let seenKeyframe = this.track.kind === 'audio';
      const frames = this.#segmentFrames(placed, index, (bytes) => {
        this.#options.onProgress?.(done + bytes, total);
      });
      for await (const frame of withFileName(placed.displayName, frames)) {
        if (!seenKeyframe) {
          if (!frame.keyframe) {
            this.stats.framesBeforeKeyframe++;
            continue;
          }
          seenKeyframe = true;
        }
        yield frame;
      }
      done += sizes[index] ?? 0;
      this.#options.onProgress?.(done, total);
    }
  }

  async *#segmentFrames(
    placed: PlacedSegment,
    index: number,
    progress: (bytes: number) => void,
  ): AsyncGenerator<TimedFrame> {
    const codec = codecOf(placed);
    const { codec: resolved, clock } = placed;
    const primaryPt = resolved.payloadType;
    const rtx = resolved.rtx.size > 0 ? new RtxRestorer({ payloadTypes: resolved.rtx }) : undefined;
    const red =
      resolved.redPayloadType !== undefined ? new RedUnwrapper({ redPayloadType: resolved.redPayloadType }) : undefined;
    const reorder = new ReorderBuffer({ clockRate: resolved.clockRate });
    const depacketizer = createDepacketizer(codec);
    this.#depacketizer = depacketizer;
    const dtx =
      codec === 'opus' && this.#options.fixDtx !== false
        ? new DtxFiller({ clockRate: resolved.clockRate, maxSpanTicks: spanTicks(placed) })
        : undefined;
    const stats = this.stats;
    let reference: number | undefined;

    const toTimed = (frame: EncodedFrame, synthetic: boolean): TimedFrame => {
      const ticks = frame.timestampTicks - (reference ?? frame.timestampTicks);
      const base = { ...frame, timeMs: clock.timeOfTicksMs(ticks), segmentIndex: index };
      return synthetic ? { ...base, synthetic: 'dtx' } : base;
    };
    const depacketize = (p: OrderedPacket, out: TimedFrame[]): void => {
      if (reference === undefined) {
        reference = p.extTimestamp + tsDelta(p.packet.timestamp, placed.clockInput.firstRtpTimestamp);
      }
      for (const frame of depacketizer.push(p)) {
        if (!dtx) {
          out.push(toTimed(frame, false));
          continue;
        }
        for (const f of dtx.push({ frame, extSeq: p.extSeq })) out.push(toTimed(f.frame, f.synthetic));
      }
    };
    const fromOrdered = (ordered: readonly OrderedPacket[]): TimedFrame[] => {
      const out: TimedFrame[] = [];
      for (const p of ordered) {
        if (red && p.packet.payloadType === red.redPayloadType) {
          for (const q of red.push(p)) depacketize(q, out);
        } else if (p.packet.payloadType === primaryPt) {
          depacketize(p, out);
        } else {
          stats.foreignPayloadType++;
        }
      }
      return out;
    };

    let lastOffset = 0;
    for await (const record of readRtpdump(placed.segment.rtpdumpPath, this.#signalOption())) {
      if (record.fileOffset - lastOffset > 1 << 20) {
        lastOffset = record.fileOffset;
        progress(record.fileOffset);
      }
      if (record.isRtcp) {
        stats.rtcp++;
        continue;
      }
      let packet: RtpPacket;
      try {
        packet = parseRtpPacket(record.packet);
      } catch {
        stats.malformed++;
        continue;
      }
      const received = { packet, arrivalMs: record.offsetMs };
      const inputs = rtx?.handles(packet.payloadType) ? rtx.push(received) : [received];
      for (const input of inputs) yield* fromOrdered(reorder.push(input));
    }
    yield* fromOrdered(reorder.flush());
    const tail: TimedFrame[] = [];
    if (red) for (const q of red.flush()) depacketize(q, tail);
    for (const f of depacketizer.flush()) {
      if (dtx) for (const d of dtx.push({ frame: f, extSeq: Number.MAX_SAFE_INTEGER })) tail.push(toTimed(d.frame, d.synthetic));
      else tail.push(toTimed(f, false));
    }
    if (dtx) {
      for (const f of dtx.flush()) tail.push(toTimed(f.frame, f.synthetic));
      stats.dtxFramesInserted += dtx.stats.dtxFramesInserted;
      stats.dtxGaps += dtx.stats.dtxGaps;
      stats.discontinuities += dtx.stats.discontinuities;
    }
    yield* tail;
    addStats(stats, reorder.stats);
    addStats(stats, {
      framesDropped: depacketizer.stats.framesDropped,
      framesSkippedUntilKeyframe: depacketizer.stats.framesSkippedUntilKeyframe,
      padding: depacketizer.stats.padding,
    });
    if (rtx) addStats(stats, { rtxRestored: rtx.stats.rtxRestored, padding: rtx.stats.padding });
    if (red) addStats(stats, { redRecovered: red.stats.redRecovered, framesDropped: red.stats.framesDropped });
    if (depacketizer.codecDescription) this.#lastDescription = depacketizer.codecDescription;
  }

  #signalOption(): { signal?: AbortSignal } {
    return this.#options.signal ? { signal: this.#options.signal } : {};
  }
}

function spanTicks(placed: PlacedSegment): number {
  const c = placed.clockInput;
  return Math.max(0, tsDelta(c.firstRtpTimestamp, c.lastRtpTimestamp));
}

/** Prefixes errors from reading a segment with the segment's file name. */
async function* withFileName<T>(name: string, source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw inFile(name, error);
  }
}
