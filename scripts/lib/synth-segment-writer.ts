/**
 * Writes one synthetic segment (one SSRC, one rtpdump) of an Opus or VP8 track: a clip's
 * packets looped over media "slots" (20 ms Opus packets, video frames) with continuing
 * RTP timestamps, arrival times = send time + network delay + deterministic jitter
 * (never decreasing: a FIFO network), and RTCP sender reports on the participant's
 * sender clock (its wall clock, off by `clockSkewMs`) interleaved by send time.
 * Streams to disk record by record; memory holds the clip and one buffer.
 */
import type { SegmentTiming, TrackType } from '../../src/archive/types.js';
import {
  OpusPacketizer,
  Vp8Packetizer,
  buildSenderReport,
} from '../../src/media/packetize/index.js';
import { parseRtpPacket } from '../../src/rtp/rtp-packet.js';
import { RtpdumpWriter } from '../../src/rtpdump/rtpdump-writer.js';
import type { AudioClip, VideoClip } from './media-clips.js';
import { SegmentTimingTracker } from '../../src/ingest/recorder/segment-timing-tracker.js';

export type DtxPattern = {
  /** Speech ms, then silence ms, repeating from the participant's join. */
  readonly talkMs: number;
  readonly silenceMs: number;
};

export type SynthSegmentPlan = {
  readonly rtpdumpPath: string;
  readonly baseFilename: string;
  readonly trackId: string;
  readonly trackType: TrackType;
  readonly clip:
    | { readonly kind: 'audio'; readonly clip: AudioClip }
    | { readonly kind: 'video'; readonly clip: VideoClip };
  readonly ssrc: number;
  readonly payloadType: number;
  /** RTP timestamp of the segment's first slot. */
  readonly rtpBase: number;
  readonly initialSequenceNumber: number;
  /** Slots [firstSlot, endSlot) on the participant's media clock (slot 0 = join). */
  readonly firstSlot: number;
  readonly endSlot: number;
  /** Clip position of slot 0 (in slots). */
  readonly phaseSlots: number;
  /** True Unix ms at which the sender captured slot 0 (the participant's join). */
  readonly joinUnixMs: number;
  readonly clockSkewMs: number;
  readonly networkDelayMs: number;
  readonly jitterMs: number;
  readonly seed: number;
  readonly senderReportIntervalMs: number;
  /** First SR this long after the segment's first packet is sent. */
  readonly senderReportPhaseMs: number;
  readonly dtx: DtxPattern | undefined;
  readonly cname: string;
  /** Port in the rtpdump's text line. */
  readonly port: number;
};

export type SynthSegmentResult = {
  readonly timing: SegmentTiming;
  readonly rtpPackets: number;
  readonly rtcpPackets: number;
  /** Video frames or Opus packets (DTX packets included) sent. */
  readonly mediaUnits: number;
  readonly dtxPackets: number;
  readonly bytes: number;
};

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Below the pacing of a WebRTC sender: packets of one frame leave this far apart. */
const PACKET_SPACING_MS = 0.5;
const DTX_INTERVAL_SLOTS = 20; // one DTX packet per 400 ms of silence

export async function writeSynthSegment(plan: SynthSegmentPlan): Promise<SynthSegmentResult> {
  const audio = plan.clip.kind === 'audio';
  const clockRate = audio ? 48_000 : 90_000;
  const frameRate = plan.clip.kind === 'video' ? plan.clip.clip.spec.frameRate : 50;
  const slotMs = 1000 / frameRate;
  const ticksAt = (slot: number): number => Math.round((slot * clockRate) / frameRate);
  const sendAt = (slot: number): number => plan.joinUnixMs + slot * slotMs;
  const firstTicks = ticksAt(plan.firstSlot);
  const segmentStartMs = sendAt(plan.firstSlot);
  const random = prng(plan.seed);

  const tracker = new SegmentTimingTracker({
    baseFilename: plan.baseFilename,
    codec: audio ? 'opus' : 'VP8',
    trackId: plan.trackId,
    trackType: plan.trackType,
  });
  const stream = {
    ssrc: plan.ssrc,
    payloadType: plan.payloadType,
    initialSequenceNumber: plan.initialSequenceNumber,
  };
  const opus = audio ? new OpusPacketizer(stream) : undefined;
  const vp8 = audio
    ? undefined
    : new Vp8Packetizer({ ...stream, initialPictureId: plan.seed & 0x7fff });
  const fileStartMs = Math.floor(segmentStartMs + plan.networkDelayMs);
  const writer = await RtpdumpWriter.open(
    plan.rtpdumpPath,
    {
      address: '127.0.0.1',
      port: plan.port,
      startSeconds: Math.floor(fileStartMs / 1000),
      startMicroseconds: (fileStartMs % 1000) * 1000,
    },
    { bufferSize: 1024 * 1024 },
  );

  let lastArrival = fileStartMs;
  let rtpPackets = 0;
  let rtcpPackets = 0;
  let mediaUnits = 0;
  let dtxPackets = 0;
  let bytes = 0;
  const emit = async (packet: Uint8Array, sendMs: number, isRtcp: boolean): Promise<void> => {
    const arrival = Math.max(
      lastArrival,
      Math.round(sendMs + plan.networkDelayMs + random() * plan.jitterMs),
    );
    lastArrival = arrival;
    if (isRtcp) {
      tracker.addRtcp(packet);
      rtcpPackets += 1;
    } else {
      tracker.addRtp(parseRtpPacket(packet), arrival);
      rtpPackets += 1;
    }
    bytes += packet.byteLength;
    await writer.write({ offsetMs: arrival - fileStartMs, packet, isRtcp });
  };

  let nextReportMs = segmentStartMs + plan.senderReportPhaseMs;
  const sendReportsUntil = async (untilMs: number): Promise<void> => {
    while (nextReportMs <= untilMs) {
      const counters = opus ?? vp8!;
      const report = buildSenderReport({
        ssrc: plan.ssrc,
        ntpUnixMs: nextReportMs + plan.clockSkewMs,
        rtpTimestamp:
          (plan.rtpBase + Math.round(((nextReportMs - segmentStartMs) * clockRate) / 1000)) >>> 0,
        packetCount: counters.packetCount,
        octetCount: counters.octetCount,
        cname: plan.cname,
      });
      await emit(report, nextReportMs, true);
      nextReportMs += plan.senderReportIntervalMs;
    }
  };

  let inSilence = false;
  try {
    for (let slot = plan.firstSlot; slot < plan.endSlot; slot++) {
      const sendMs = sendAt(slot);
      await sendReportsUntil(sendMs);
      const timestamp = (plan.rtpBase + ticksAt(slot) - firstTicks) >>> 0;
      if (plan.clip.kind === 'audio') {
        const packets = plan.clip.clip.packets;
        const data = packets[(slot + plan.phaseSlots) % packets.length]!;
        const silenceSlot = dtxSilenceSlot(plan.dtx, slot, slotMs);
        if (silenceSlot === undefined) {
          await emit(opus!.packetize(data, timestamp, inSilence), sendMs, false);
          inSilence = false;
          mediaUnits += 1;
        } else {
          inSilence = true;
          if (silenceSlot % DTX_INTERVAL_SLOTS === 0) {
            // A TOC byte alone (code 0, empty frame): what an encoder in DTX sends.
            await emit(opus!.packetize(Uint8Array.of(data[0]! & 0xfc), timestamp), sendMs, false);
            dtxPackets += 1;
            mediaUnits += 1;
          }
        }
      } else {
        const frames = plan.clip.clip.frames;
        const frame = frames[(slot + plan.phaseSlots) % frames.length]!;
        const packets = vp8!.packetize(frame.data, timestamp);
        for (let i = 0; i < packets.length; i++)
          await emit(packets[i]!, sendMs + i * PACKET_SPACING_MS, false);
        mediaUnits += 1;
      }
    }
    await sendReportsUntil(sendAt(plan.endSlot) - 1);
  } finally {
    await writer.close();
  }
  return { timing: tracker.finish(), rtpPackets, rtcpPackets, mediaUnits, dtxPackets, bytes };
}

/** Slots since the current silence began, or undefined while talking. */
function dtxSilenceSlot(
  dtx: DtxPattern | undefined,
  slot: number,
  slotMs: number,
): number | undefined {
  if (dtx === undefined || dtx.silenceMs <= 0) return undefined;
  const cycle = dtx.talkMs + dtx.silenceMs;
  const within = (slot * slotMs) % cycle;
  if (within < dtx.talkMs) return undefined;
  return Math.floor((within - dtx.talkMs) / slotMs);
}
