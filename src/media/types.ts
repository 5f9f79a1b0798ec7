/**
 * Types shared by the media pipeline stages. Time inside the pipeline is integer ticks of
 * the stream's clock (`clockRate` ticks per second), unwrapped; seconds appear only at the
 * muxer boundary.
 */
import type { RtpPacket } from '../rtp/rtp-packet.js';

export type MediaKind = 'audio' | 'video';

/** Codec names as the pipeline knows them (the MIME subtype, upper-cased for video). */
export type CodecName = 'opus' | 'VP8' | 'VP9' | 'H264' | 'AV1';

/** An RTP packet after reordering: sequence and timestamp unwrapped, arrival time kept. */
export type OrderedPacket = {
  readonly packet: RtpPacket;
  /** Unwrapped (extended) sequence number. */
  readonly extSeq: number;
  /** Unwrapped RTP timestamp, in ticks of the stream's clock. */
  readonly extTimestamp: number;
  /** Milliseconds since the capture start (rtpdump record offset). */
  readonly arrivalMs: number;
};

/** One encoded access unit (an Opus packet, a video frame) on the stream's clock. */
export type EncodedFrame = {
  /** Unwrapped RTP timestamp of the frame, in ticks. */
  readonly timestampTicks: number;
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** Duration in ticks when the codec tells it (Opus TOC); video leaves it undefined. */
  readonly durationTicks?: number;
  /** Video: coded size when the frame carries it (keyframes). */
  readonly width?: number;
  readonly height?: number;
  /**
   * H264 keyframes: the AVCDecoderConfigurationRecord in effect for this frame and those
   * after it (a new object when the in-band SPS/PPS change). Other codecs leave it unset.
   */
  readonly codecDescription?: Uint8Array;
  /** Milliseconds since capture start of the frame's first packet. */
  readonly arrivalMs: number;
};

/** Per-stage irregularity counters: loss and friends are data, never exceptions. */
export type PacketStats = {
  received: number;
  /** Sequence numbers never seen (after the reorder window closed on them). */
  lost: number;
  /** Packets that arrived after the reorder window had moved past them (dropped). */
  late: number;
  duplicates: number;
  /** Padding-only packets ignored. */
  padding: number;
  /** RTX packets restored to the original stream. */
  rtxRestored: number;
  /** RED blocks whose redundant copies filled a loss. */
  redRecovered: number;
  /** Frames that could not be completed (missing fragments) and were dropped. */
  framesDropped: number;
  /** Frames dropped while waiting for a keyframe after loss. */
  framesSkippedUntilKeyframe: number;
};

export function emptyStats(): PacketStats {
  return {
    received: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    padding: 0,
    rtxRestored: 0,
    redRecovered: 0,
    framesDropped: 0,
    framesSkippedUntilKeyframe: 0,
  };
}

/**
 * A depacketizer turns ordered RTP packets of one stream into encoded frames.
 * `push` never throws for media irregularities: it counts them in `stats`.
 */
export type Depacketizer = {
  push(packet: OrderedPacket): EncodedFrame[];
  flush(): EncodedFrame[];
  readonly stats: PacketStats;
  /** H264: the AVCDecoderConfigurationRecord built from in-band SPS/PPS, once seen. */
  readonly codecDescription?: Uint8Array | undefined;
};
