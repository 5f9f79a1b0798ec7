/**
 * The start of the VP9 uncompressed frame header: enough to tell keyframes and read their
 * size. (The RTP descriptor's P bit is not trusted: ffmpeg 5.1's packetizer sets it wrong.)
 * ```
 * frame_marker (2) = 2 | profile_low_bit (1) | profile_high_bit (1) | [reserved_zero (1) if profile 3]
 * show_existing_frame (1) ── 1: frame_to_show_map_idx (3), end
 * frame_type (1) (0 = KEY_FRAME) | show_frame (1) | error_resilient_mode (1)
 * key frame: frame_sync_code 0x49 0x83 0x42 | color_config | frame_width_minus_1 (16) | frame_height_minus_1 (16)
 * ```
 * Superframes (several frames with a trailing index) start with their first frame, so the
 * header read at byte 0 is the first frame's.
 * @see VP9 Bitstream & Decoding Process Specification v0.6, §6.2, §7.2, Annex B
 */
import { ParseError } from '../../errors.js';
import { BitReader } from './bit-reader.js';

export type Vp9FrameHeader = {
  readonly profile: number;
  readonly showExistingFrame: boolean;
  readonly keyframe: boolean;
  /** Keyframes only. */
  readonly width?: number;
  readonly height?: number;
};

const FORMAT = 'vp9-header';
const CS_RGB = 7;

/** Parses the header start; throws `ParseError` (format `vp9-header`) on malformed input. */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameHeader {
  const r = new BitReader(frame, FORMAT);
  if (r.bits(2, 'frame_marker') !== 2) throw new ParseError(FORMAT, 0, 'frame_marker is not 2');
  const low = r.bit('profile_low_bit');
  const high = r.bit('profile_high_bit');
  const profile = (high << 1) | low;
  if (profile === 3 && r.bit('reserved_zero') !== 0) {
    throw new ParseError(FORMAT, 0, 'reserved_zero after profile 3 is set');
  }
  if (r.bool('show_existing_frame')) {
    r.skip(3, 'frame_to_show_map_idx');
    return { profile, showExistingFrame: true, keyframe: false };
  }
  const frameType = r.bit('frame_type');
  r.skip(2, 'show_frame, error_resilient_mode');
  if (frameType !== 0) return { profile, showExistingFrame: false, keyframe: false };
  if (r.bits(24, 'frame_sync_code') !== 0x49_83_42) {
    throw new ParseError(FORMAT, r.bitPosition >>> 3, 'frame_sync_code is not 49 83 42');
  }
  if (profile >= 2) r.skip(1, 'ten_or_twelve_bit');
  const colorSpace = r.bits(3, 'color_space');
  if (colorSpace !== CS_RGB) {
    r.skip(1, 'color_range');
    if (profile === 1 || profile === 3) r.skip(3, 'subsampling_x, subsampling_y, reserved_zero');
  } else if (profile === 1 || profile === 3) {
    r.skip(1, 'reserved_zero');
  }
  const width = r.bits(16, 'frame_width_minus_1') + 1;
  const height = r.bits(16, 'frame_height_minus_1') + 1;
  return { profile, showExistingFrame: false, keyframe: true, width, height };
}

/** True when `data` ends with a valid superframe index (VP9 Annex B). */
export function hasVp9SuperframeIndex(data: Uint8Array): boolean {
  const marker = data[data.length - 1];
  if (marker === undefined || (marker & 0xe0) !== 0xc0) return false;
  const frames = (marker & 0x07) + 1;
  const bytesPerSize = ((marker >>> 3) & 0x03) + 1;
  const indexSize = 2 + bytesPerSize * frames;
  return data.length >= indexSize && data[data.length - indexSize] === marker;
}

/**
 * Joins frames (spatial layers of one picture) into a superframe: the frames, then the
 * index `marker | sizes (little-endian) | marker`. One frame is returned as is; more than
 * 8 frames, or frames that are superframes already, are concatenated without an index
 * (libvpx decodes that serially).
 */
export function buildVp9Superframe(frames: readonly Uint8Array[]): Uint8Array {
  const only = frames[0];
  if (frames.length === 1 && only !== undefined) return only;
  let total = 0;
  let largest = 0;
  for (const f of frames) {
    total += f.length;
    largest = Math.max(largest, f.length);
  }
  const withIndex = frames.length <= 8 && !frames.some(hasVp9SuperframeIndex);
  const bytesPerSize = largest < 0x100 ? 1 : largest < 0x1_0000 ? 2 : largest < 0x100_0000 ? 3 : 4;
  const indexSize = withIndex ? 2 + bytesPerSize * frames.length : 0;
  const out = new Uint8Array(total + indexSize);
  let pos = 0;
  for (const f of frames) {
    out.set(f, pos);
    pos += f.length;
  }
  if (withIndex) {
    const marker = 0xc0 | ((bytesPerSize - 1) << 3) | (frames.length - 1);
    out[pos++] = marker;
    for (const f of frames) {
      for (let i = 0; i < bytesPerSize; i++) out[pos++] = (f.length >>> (8 * i)) & 0xff;
    }
    out[pos] = marker;
  }
  return out;
}
