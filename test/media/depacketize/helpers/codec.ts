/** Hand-built codec bitstream fragments for depacketizer tests. */
import { BitWriter, hex } from './rtp.js';

/** A VP8 keyframe start: frame tag (P = 0), start code 9d 01 2a, 14-bit width/height, filler. */
export function vp8Keyframe(width: number, height: number, filler = 20): number[] {
  return [
    0x10,
    0x02,
    0x00,
    0x9d,
    0x01,
    0x2a,
    width & 0xff,
    width >> 8,
    height & 0xff,
    height >> 8,
    ...fill(filler, 0xa0),
  ];
}

/** A VP8 interframe: frame tag with P = 1, filler. */
export function vp8Interframe(filler = 10): number[] {
  return [0x11, 0x01, 0x00, ...fill(filler, 0xb0)];
}

export function fill(n: number, base: number): number[] {
  return Array.from({ length: n }, (_, i) => (base + i) & 0xff);
}

/** VP9 profile-0 keyframe uncompressed header start (+ filler bytes). */
export function vp9Keyframe(width: number, height: number, filler = 12): number[] {
  const w = new BitWriter()
    .u(2, 2) // frame_marker
    .u(1, 0) // profile_low_bit
    .u(1, 0) // profile_high_bit
    .u(1, 0) // show_existing_frame
    .u(1, 0) // frame_type = KEY_FRAME
    .u(1, 1) // show_frame
    .u(1, 0) // error_resilient_mode
    .u(24, 0x498342)
    .u(3, 1) // color_space BT.601
    .u(1, 0) // color_range
    .u(16, width - 1)
    .u(16, height - 1);
  return [...w.bytes(), ...fill(filler, 0x30)];
}

/** VP9 inter frame header start: frame_type = 1. */
export function vp9Interframe(filler = 8): number[] {
  return [0x86, ...fill(filler, 0x50)];
}

/** Real x264 parameter sets, 320x240 Constrained Baseline (ffmpeg -c:v libx264 -profile:v baseline). */
export const SPS_320x240 = hex('6742c00bd90141fb011000000300100000030140f142a480');
/** Real x264 SPS, 1920x1080 High (cropped from 1088). */
export const SPS_1920x1080 = hex('67640028acd940780227e5c044000003000400000300503c60c658');
export const PPS = hex('68ce3c80');
export const PPS_ID1 = hex('68' + '5e3c80'); // pic_parameter_set_id = 1 (ue '010')
export const IDR = Uint8Array.from([0x65, 0x88, 0x84, ...fill(30, 0x10)]);
export const NON_IDR = Uint8Array.from([0x41, 0x9a, ...fill(12, 0x60)]);
export const SEI = Uint8Array.from([0x06, 0x05, 0x01, 0x00, 0x80]);
export const AUD = Uint8Array.from([0x09, 0xf0]);

/** STAP-A payload aggregating NAL units. */
export function stapA(...nals: Uint8Array[]): number[] {
  const out = [0x18];
  for (const n of nals) out.push(n.length >> 8, n.length & 0xff, ...n);
  return out;
}

/** FU-A fragments of one NAL unit, split into `parts` pieces of its body. */
export function fuA(nal: Uint8Array, parts: number): number[][] {
  const header = nal[0]!;
  const body = [...nal.subarray(1)];
  const size = Math.ceil(body.length / parts);
  const out: number[][] = [];
  for (let i = 0; i < parts; i++) {
    const s = i === 0 ? 0x80 : 0;
    const e = i === parts - 1 ? 0x40 : 0;
    out.push([
      (header & 0xe0) | 28,
      s | e | (header & 0x1f),
      ...body.slice(i * size, (i + 1) * size),
    ]);
  }
  return out;
}

/** AV1 sequence header OBU payload: profile 0, level 8, max frame size width x height. */
export function av1SequenceHeaderPayload(width: number, height: number): Uint8Array {
  return new BitWriter()
    .u(3, 0) // seq_profile
    .u(1, 0) // still_picture
    .u(1, 0) // reduced_still_picture_header
    .u(1, 0) // timing_info_present_flag
    .u(1, 0) // initial_display_delay_present_flag
    .u(5, 0) // operating_points_cnt_minus_1
    .u(12, 0) // operating_point_idc[0]
    .u(5, 8) // seq_level_idx[0]
    .u(1, 0) // seq_tier[0]
    .u(4, 15) // frame_width_bits_minus_1
    .u(4, 15) // frame_height_bits_minus_1
    .u(16, width - 1)
    .u(16, height - 1)
    .u(8, 0x5a) // the rest of the header (not read)
    .bytes();
}

/** An OBU without size field: header byte for `type`, then payload. */
export function obu(type: number, payload: Uint8Array | readonly number[]): Uint8Array {
  return Uint8Array.from([type << 3, ...payload]);
}

/** The same OBU in low-overhead form (obu_has_size_field = 1, leb128 size). */
export function obuSized(type: number, payload: Uint8Array | readonly number[]): Uint8Array {
  return Uint8Array.from([(type << 3) | 0x02, ...leb128(payload.length), ...payload]);
}

export function leb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const low = v & 0x7f;
    v >>>= 7;
    out.push(v > 0 ? low | 0x80 : low);
  } while (v > 0);
  return out;
}

/** AV1 frame OBU payload: key (frame_type 0) or inter (frame_type 1), plus filler. */
export function av1FramePayload(key: boolean, filler = 20): number[] {
  return [key ? 0x10 : 0x30, ...fill(filler, 0x70)];
}

/** AV1 aggregation header byte. */
export function aggregation(z: boolean, y: boolean, w: number, n: boolean): number {
  return (z ? 0x80 : 0) | (y ? 0x40 : 0) | (w << 4) | (n ? 0x08 : 0);
}
