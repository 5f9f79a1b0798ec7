/**
 * VP8 key frame headers: the uncompressed data chunk, the bool-coded frame header at the
 * start of the first partition, and the per-macroblock prediction records that follow it.
 *
 * ```
 * uncompressed chunk (10 bytes on a key frame):
 *  frame tag, 24 bits little-endian:
 *    bit 0      frame type (0 = key frame)
 *    bits 1–3   version (0: bicubic reconstruction, normal loop filter)
 *    bit 4      show_frame
 *    bits 5–23  first_part_size (bytes of the first partition)
 *  start code 9D 01 2A
 *  u16le  width (14 bits) | horizontal scale (2 bits)
 *  u16le  height (14 bits) | vertical scale (2 bits)
 * then: first partition (frame header + modes), token partition(s)
 * ```
 *
 * @see RFC 6386 §9 (frame header), §19.1–19.3 (syntax), §11.2–11.4 (key frame modes)
 */
import type { BoolEncoder } from './bool-encoder.js';
import { COEFF_UPDATE_PROBS } from './coeff-probs.js';

/** Largest first partition the 19-bit size field can describe. */
export const MAX_FIRST_PARTITION_BYTES = (1 << 19) - 1;
/** Largest width/height (14 bits). */
export const MAX_VP8_DIMENSION = 0x3fff;

/** Key frame luma (16×16) modes. B_PRED would need sub-block modes and is not offered. */
export const Vp8YMode = { DC_PRED: 0, V_PRED: 1, H_PRED: 2, TM_PRED: 3 } as const;
export type Vp8YMode = (typeof Vp8YMode)[keyof typeof Vp8YMode];
/** Chroma modes share the numbering. */
export type Vp8UvMode = Vp8YMode;

const B_PRED = 4;
/** kf_ymode_tree (RFC 6386 §11.2), leaves as −value; B_PRED is leaf 4. */
const KF_YMODE_TREE = [
  -B_PRED,
  2,
  4,
  6,
  -Vp8YMode.DC_PRED,
  -Vp8YMode.V_PRED,
  -Vp8YMode.H_PRED,
  -Vp8YMode.TM_PRED,
];
const KF_YMODE_PROBS = [145, 156, 163, 128];
/** uv_mode_tree (RFC 6386 §11.4). */
const UV_MODE_TREE = [
  -Vp8YMode.DC_PRED,
  2,
  -Vp8YMode.V_PRED,
  4,
  -Vp8YMode.H_PRED,
  -Vp8YMode.TM_PRED,
];
const KF_UV_MODE_PROBS = [142, 114, 183];

export type Vp8KeyFrameHeader = {
  /** Base quantizer index y_ac_qi, 0..127 (no per-plane deltas). */
  readonly quantizerIndex: number;
  /** 0..63; 0 turns the loop filter off. */
  readonly loopFilterLevel: number;
  /**
   * Probability (1..255, ×1/256) that a macroblock is NOT skipped; enables
   * mb_no_coeff_skip so macroblocks without residual cost a fraction of a bit.
   */
  readonly probSkipFalse: number;
};

/**
 * Writes the key frame header (RFC 6386 §19.2) into the first partition: BT.601 colour
 * space, clamping required, no segmentation, no loop filter deltas, one token partition,
 * no quantizer deltas, default token probabilities (every update flag 0).
 */
export function writeKeyFrameHeader(enc: BoolEncoder, header: Vp8KeyFrameHeader): void {
  enc.writeLiteral(0, 1); // color_space: YUV BT.601
  enc.writeLiteral(0, 1); // clamping_type: decoder clamps
  enc.writeLiteral(0, 1); // segmentation_enabled
  enc.writeLiteral(0, 1); // filter_type: normal
  enc.writeLiteral(header.loopFilterLevel, 6);
  enc.writeLiteral(0, 3); // sharpness_level
  enc.writeLiteral(0, 1); // loop_filter_adj_enable
  enc.writeLiteral(0, 2); // log2_nbr_of_dct_partitions: one partition
  enc.writeLiteral(header.quantizerIndex, 7); // y_ac_qi
  for (let i = 0; i < 5; i++) enc.writeLiteral(0, 1); // y_dc, y2_dc, y2_ac, uv_dc, uv_ac deltas
  enc.writeLiteral(0, 1); // refresh_entropy_probs: no need to keep them
  for (const prob of COEFF_UPDATE_PROBS) enc.writeBool(prob, false); // token_prob_update
  enc.writeLiteral(1, 1); // mb_no_skip_coeff
  enc.writeLiteral(header.probSkipFalse, 8);
}

/** One key frame macroblock's prediction record (RFC 6386 §19.3). */
export function writeKeyFrameMacroblockHeader(
  enc: BoolEncoder,
  probSkipFalse: number,
  mb: { readonly skip: boolean; readonly yMode: Vp8YMode; readonly uvMode: Vp8UvMode },
): void {
  enc.writeBool(probSkipFalse, mb.skip);
  enc.writeTree(KF_YMODE_TREE, KF_YMODE_PROBS, mb.yMode);
  enc.writeTree(UV_MODE_TREE, KF_UV_MODE_PROBS, mb.uvMode);
}

/**
 * Joins the uncompressed chunk, the first partition and the (single) token partition into
 * a shown key frame. Throws RangeError for sizes the header cannot carry.
 */
export function assembleKeyFrame(
  width: number,
  height: number,
  firstPartition: Uint8Array,
  tokenPartition: Uint8Array,
): Uint8Array {
  if (firstPartition.byteLength > MAX_FIRST_PARTITION_BYTES) {
    throw new RangeError(
      `VP8 first partition of ${firstPartition.byteLength} bytes exceeds the 19-bit size`,
    );
  }
  const out = new Uint8Array(10 + firstPartition.byteLength + tokenPartition.byteLength);
  // key frame (bit 0 = 0), version 0 (bits 1–3), show_frame (bit 4), first_part_size.
  const tag = ((1 << 4) | (firstPartition.byteLength << 5)) >>> 0;
  out[0] = tag & 0xff;
  out[1] = (tag >>> 8) & 0xff;
  out[2] = (tag >>> 16) & 0xff;
  out.set([0x9d, 0x01, 0x2a], 3);
  out[6] = width & 0xff;
  out[7] = (width >>> 8) & 0x3f; // scale 0
  out[8] = height & 0xff;
  out[9] = (height >>> 8) & 0x3f;
  out.set(firstPartition, 10);
  out.set(tokenPartition, 10 + firstPartition.byteLength);
  return out;
}
