/**
 * What a recorder learns about a video stream from single RTP payloads, without
 * reassembling frames: whether a packet starts a keyframe, and the coded size when the
 * packet carries it (VP8/VP9 keyframe headers, H264 SPS).
 *
 * - VP8: S = 1 and PID = 0 start a frame; the payload header's P bit is 0 on keyframes
 *   (RFC 7741 §4.3, RFC 6386 §9.1).
 * - VP9: B = 1 starts a frame; the keyframe flag comes from the VP9 frame header, not the
 *   descriptor's P bit (ffmpeg 5.1's packetizer never sets P). Sizes also come from the
 *   scalability structure when it carries them (RFC 9628 §4.2).
 * - H264: an IDR slice (NAL type 5) alone, inside STAP-A (24) or starting a FU-A (28);
 *   sizes from an SPS (type 7) alone or inside STAP-A (RFC 6184 §5.6–§5.8).
 * - AV1: the aggregation header's N bit (first packet of a coded video sequence, which
 *   starts with a keyframe); sizes from a sequence header OBU that is the packet's first
 *   element (AV1 RTP payload format §4.4, AV1 spec §5.5).
 */
import {
  parseAv1SequenceHeader,
  parseH264Sps,
  parseVp8Descriptor,
  parseVp8FrameHeader,
  parseVp9Descriptor,
  parseVp9FrameHeader,
  readLeb128,
} from '../../media/depacketize/index.js';
import { TapedeckError } from '../../errors.js';

export type VideoCodecName = 'VP8' | 'VP9' | 'H264' | 'AV1';

export type VideoPacketProbe = {
  /** The packet starts (or, for H264, carries) a keyframe. */
  readonly keyframe: boolean;
  readonly width?: number;
  readonly height?: number;
};

const NONE: VideoPacketProbe = { keyframe: false };

/** Probes one RTP payload of `codec`; malformed payloads probe as "nothing learned". */
export function probeVideoPayload(codec: VideoCodecName, payload: Uint8Array): VideoPacketProbe {
  switch (codec) {
    case 'VP8':
      return probeVp8(payload);
    case 'VP9':
      return probeVp9(payload);
    case 'H264':
      return probeH264(payload);
    case 'AV1':
      return probeAv1(payload);
  }
}

function probeVp8(payload: Uint8Array): VideoPacketProbe {
  // Per packet: only a partition 0 start (S = 1, PID = 0) can tell anything; the rest are
  // turned away on the first byte, before the descriptor is parsed.
  const b0 = payload[0];
  if (b0 === undefined || (b0 & 0x17) !== 0x10) return NONE;
  const d = parseVp8Descriptor(payload);
  if (d === undefined || !d.startOfPartition || d.partitionIndex !== 0) return NONE;
  const header = parseVp8FrameHeader(payload.subarray(d.headerLength));
  if (header === undefined) return NONE;
  return header.keyframe && header.width !== undefined && header.height !== undefined
    ? { keyframe: true, width: header.width, height: header.height }
    : { keyframe: header.keyframe };
}

function probeVp9(payload: Uint8Array): VideoPacketProbe {
  const d = parseVp9Descriptor(payload);
  if (d === undefined) return NONE;
  const layer = d.layerSizes?.at(-1);
  const sized = layer === undefined ? {} : { width: layer.width, height: layer.height };
  if (!d.beginsFrame) return { keyframe: false, ...sized };
  try {
    const h = parseVp9FrameHeader(payload.subarray(d.headerLength));
    if (h.keyframe && h.width !== undefined && h.height !== undefined) {
      return { keyframe: true, width: h.width, height: h.height };
    }
    return { keyframe: h.keyframe, ...sized };
  } catch (error) {
    if (error instanceof TapedeckError) return { keyframe: false, ...sized };
    throw error;
  }
}

function probeH264(payload: Uint8Array): VideoPacketProbe {
  const first = payload[0];
  if (first === undefined) return NONE;
  const type = first & 0x1f;
  if (type === 28) {
    // FU-A: FU indicator, then FU header S|E|R|type.
    const fu = payload[1];
    return { keyframe: fu !== undefined && (fu & 0x80) !== 0 && (fu & 0x1f) === 5 };
  }
  const nals: Uint8Array[] = [];
  if (type === 24) {
    let at = 1;
    while (at + 2 <= payload.byteLength) {
      const size = (payload[at]! << 8) | payload[at + 1]!;
      at += 2;
      if (size === 0 || at + size > payload.byteLength) break;
      nals.push(payload.subarray(at, at + size));
      at += size;
    }
  } else if (type >= 1 && type <= 23) {
    nals.push(payload);
  }
  let keyframe = false;
  let size: { width: number; height: number } | undefined;
  for (const nal of nals) {
    const nalType = nal[0]! & 0x1f;
    if (nalType === 5) keyframe = true;
    if (nalType === 7) {
      try {
        const sps = parseH264Sps(nal);
        size = { width: sps.width, height: sps.height };
      } catch (error) {
        if (!(error instanceof TapedeckError)) throw error;
      }
    }
  }
  return size === undefined ? { keyframe } : { keyframe, ...size };
}

/** OBU type of a sequence header (AV1 spec §6.2.2). */
const OBU_SEQUENCE_HEADER = 1;

function probeAv1(payload: Uint8Array): VideoPacketProbe {
  const agg = payload[0];
  // Z = 1: the first element continues an OBU from the previous packet.
  if (agg === undefined || (agg & 0x80) !== 0) return NONE;
  const keyframe = (agg & 0x08) !== 0;
  const w = (agg >>> 4) & 0x03;
  let start = 1;
  let end = payload.byteLength;
  if (w !== 1) {
    // Every element but the last of a W = 1..3 packet, and every element of W = 0, has a length.
    const length = readLeb128(payload, 1);
    if (length === undefined) return { keyframe };
    start = 1 + length.length;
    end = Math.min(end, start + length.value);
  }
  const header = payload[start];
  if (header === undefined || ((header >>> 3) & 0x0f) !== OBU_SEQUENCE_HEADER) return { keyframe };
  let at = start + 1 + ((header & 0x04) !== 0 ? 1 : 0);
  if ((header & 0x02) !== 0) {
    const size = readLeb128(payload, at);
    if (size === undefined) return { keyframe };
    at += size.length;
    end = Math.min(end, at + size.value);
  }
  try {
    const seq = parseAv1SequenceHeader(payload.subarray(at, end));
    return { keyframe, width: seq.maxWidth, height: seq.maxHeight };
  } catch (error) {
    if (error instanceof TapedeckError) return { keyframe };
    throw error;
  }
}
