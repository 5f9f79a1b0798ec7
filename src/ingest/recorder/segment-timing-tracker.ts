/**
 * Computes a segment's timing metadata (`SegmentTiming`) from the packets a recorder
 * writes into its rtpdump, in arrival order: first/last RTP timestamp and arrival time,
 * first/last sender report of the stream's SSRC (NTP as integer Unix ms), and for video
 * the first keyframe's offset from the first packet (the keyframe's time is its first
 * packet's: same RTP timestamp) and the largest coded size seen.
 * Used by the recorder (live, and again over the rtpdump when recovering a killed
 * recording), by the ffmpeg capture harness and by the synthetic call generator, so all of
 * them write metadata that is true of their files by construction.
 */
import type { SegmentTiming, TrackType } from '../../archive/types.js';
import { ntpToUnixMs } from '../../rtp/ntp-time.js';
import { parseRtcpCompound } from '../../rtp/rtcp.js';
import { parseRtpPacket, type RtpPacket } from '../../rtp/rtp-packet.js';
import { probeVideoPayload, type VideoCodecName } from './video-packet-probe.js';

export type TrackedCodec = 'opus' | VideoCodecName;

export type SegmentTimingTrackerOptions = {
  readonly baseFilename: string;
  readonly codec: TrackedCodec;
  readonly trackId: string;
  readonly trackType: TrackType;
  /** Whether to write the (older, optional) `ssrc` field. Default true. */
  readonly writeSsrc?: boolean;
};

type SenderReportPoint = { readonly rtpTimestamp: number; readonly ntpUnixMs: number };

const MIME: Record<TrackedCodec, string> = {
  opus: 'audio/opus',
  VP8: 'video/VP8',
  VP9: 'video/VP9',
  H264: 'video/H264',
  AV1: 'video/AV1',
};

export class SegmentTimingTracker {
  readonly #options: SegmentTimingTrackerOptions;
  #first: { packet: RtpPacket; arrivalMs: number } | undefined;
  /** The last RTP packet's timestamp and arrival (plain fields: set per packet). */
  #lastTimestamp = 0;
  #lastArrivalMs = 0;
  /** RTP timestamp and arrival of the current frame's first packet. */
  #frameTimestamp = -1;
  #frameArrivalMs = 0;
  #firstKeyframeArrivalMs: number | undefined;
  #maxSize: { width: number; height: number } | undefined;
  /** First and last SR per SSRC (SRs may arrive before the first RTP packet). */
  readonly #reports = new Map<
    number,
    { first: SenderReportPoint; last: SenderReportPoint; count: number }
  >();
  #rtpPackets = 0;
  #rtcpPackets = 0;
  #markers = 0;

  constructor(options: SegmentTimingTrackerOptions) {
    this.#options = { ...options };
  }

  get isVideo(): boolean {
    return this.#options.codec !== 'opus';
  }

  /** RTP packets seen. */
  get rtpPackets(): number {
    return this.#rtpPackets;
  }

  /** RTCP compounds seen. */
  get rtcpPackets(): number {
    return this.#rtcpPackets;
  }

  /** Packets with the marker bit (video: completed frames). */
  get markedPackets(): number {
    return this.#markers;
  }

  /** Sender reports seen for the stream's SSRC (all SSRCs before the first RTP packet). */
  get senderReports(): number {
    let n = 0;
    for (const [ssrc, r] of this.#reports)
      if (this.#first === undefined || ssrc === this.#first.packet.ssrc) n += r.count;
    return n;
  }

  /** One RTP packet, arrived at `arrivalMs` (integer Unix ms). */
  addRtp(packet: RtpPacket, arrivalMs: number): void {
    this.#first ??= { packet, arrivalMs };
    this.#add(packet.marker, packet.timestamp, arrivalMs, packet.payload);
  }

  /**
   * `addRtp()` for a valid RTP packet as bytes, its payload at `payloadOffset` (see
   * rtpPayloadOffset): header fields are read in place; only the first packet is parsed.
   */
  addRtpBytes(bytes: Uint8Array, payloadOffset: number, arrivalMs: number): void {
    if (this.#first === undefined) {
      this.addRtp(parseRtpPacket(bytes), arrivalMs);
      return;
    }
    const timestamp = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
    let payload: Uint8Array | undefined;
    if (this.#options.codec !== 'opus') {
      const padding = (bytes[0]! & 0x20) !== 0 ? bytes[bytes.byteLength - 1]! : 0;
      payload = bytes.subarray(payloadOffset, bytes.byteLength - padding);
    }
    this.#add((bytes[1]! & 0x80) !== 0, timestamp, arrivalMs, payload);
  }

  #add(
    marker: boolean,
    timestamp: number,
    arrivalMs: number,
    payload: Uint8Array | undefined,
  ): void {
    this.#rtpPackets += 1;
    if (marker) this.#markers += 1;
    this.#lastTimestamp = timestamp;
    this.#lastArrivalMs = arrivalMs;
    if (this.#options.codec === 'opus' || payload === undefined) return;
    if (this.#frameTimestamp !== timestamp) {
      this.#frameTimestamp = timestamp;
      this.#frameArrivalMs = arrivalMs;
    }
    const probe = probeVideoPayload(this.#options.codec, payload);
    // A keyframe starts with its frame's first packet (H264: parameter sets before the IDR).
    if (probe.keyframe) this.#firstKeyframeArrivalMs ??= this.#frameArrivalMs;
    if (probe.width !== undefined && probe.height !== undefined) {
      const max = this.#maxSize;
      if (max === undefined || probe.width * probe.height > max.width * max.height) {
        this.#maxSize = { width: probe.width, height: probe.height };
      }
    }
  }

  /** One RTCP compound as captured. Throws ParseError when it is malformed. */
  addRtcp(bytes: Uint8Array): void {
    this.#rtcpPackets += 1;
    for (const p of parseRtcpCompound(bytes)) {
      if (p.type !== 'sr' || (p.ntpSeconds === 0 && p.ntpFraction === 0)) continue;
      const point = {
        rtpTimestamp: p.rtpTimestamp,
        ntpUnixMs: Math.round(ntpToUnixMs(p.ntpSeconds, p.ntpFraction)),
      };
      const seen = this.#reports.get(p.ssrc);
      if (seen === undefined) {
        this.#reports.set(p.ssrc, { first: point, last: point, count: 1 });
      } else {
        seen.last = point;
        seen.count += 1;
      }
    }
  }

  /** The segment's timing; RangeError when no RTP packet was seen. */
  finish(): SegmentTiming {
    const first = this.#first;
    if (first === undefined) {
      throw new RangeError(`segment ${this.#options.baseFilename} has no RTP packets`);
    }
    const sr = this.#reports.get(first.packet.ssrc);
    const video = this.isVideo;
    return {
      baseFilename: this.#options.baseFilename,
      codec: MIME[this.#options.codec],
      trackId: this.#options.trackId,
      trackType: this.#options.trackType,
      firstRtpRtpTimestamp: first.packet.timestamp,
      lastRtpRtpTimestamp: this.#lastTimestamp,
      firstRtpUnixTimestamp: first.arrivalMs,
      lastRtpUnixTimestamp: this.#lastArrivalMs,
      firstRtcpRtpTimestamp: sr?.first.rtpTimestamp,
      firstRtcpNtpTimestamp: sr?.first.ntpUnixMs,
      lastRtcpRtpTimestamp: sr?.last.rtpTimestamp,
      lastRtcpNtpTimestamp: sr?.last.ntpUnixMs,
      firstKeyFrameOffsetMs:
        video && this.#firstKeyframeArrivalMs !== undefined
          ? this.#firstKeyframeArrivalMs - first.arrivalMs
          : undefined,
      maxFrameDimension: video ? this.#maxSize : undefined,
      ssrc: this.#options.writeSsrc === false ? undefined : first.packet.ssrc,
    };
  }
}
