/**
 * Sequence and picture parameter sets for the black H.264 stream: Constrained Baseline,
 * CAVLC, frame pictures, POC type 2 (output order = decoding order), one reference frame,
 * cropping for sizes that are not multiples of 16, and a VUI that says no frame is ever
 * reordered (decoders output each picture at once).
 *
 * ```
 * SPS: profile_idc 66 | constraint_set0=1 set1=1 (Constrained Baseline) | level_idc
 *      | ue sps_id | ue log2_max_frame_num−4 = 0 | ue poc_type = 2 | ue max_num_ref_frames = 1
 *      | u1 gaps = 0 | ue width_mbs−1 | ue height_map_units−1 | u1 frame_mbs_only = 1
 *      | u1 direct_8x8 = 1 | u1 cropping [ue left, right, top, bottom in 2-pixel units]
 *      | u1 vui = 1 [bitstream_restriction: max_num_reorder_frames 0, max_dec_frame_buffering 1]
 * PPS: ue pps_id | ue sps_id | CAVLC | one slice group | 1 reference | QP 26 | deblocking
 *      control present (slices turn it off) | no constrained intra | no redundant pictures
 * ```
 *
 * @see ITU-T H.264 §7.3.2.1.1 (SPS), §7.3.2.2 (PPS), Annex E (VUI), Table A-1 (levels)
 */
import { BitWriter } from './bit-writer.js';
import { NalType, nalUnit } from './nal.js';

export const PROFILE_BASELINE = 66;
/** log2_max_frame_num: frame_num counts 0..15. */
export const LOG2_MAX_FRAME_NUM = 4;

/** Level limits that matter here: MaxFS (macroblocks per frame), Table A-1. */
const LEVELS: readonly { readonly levelIdc: number; readonly maxFs: number }[] = [
  { levelIdc: 10, maxFs: 99 },
  { levelIdc: 11, maxFs: 396 },
  { levelIdc: 21, maxFs: 792 },
  { levelIdc: 22, maxFs: 1620 },
  { levelIdc: 31, maxFs: 3600 },
  { levelIdc: 32, maxFs: 5120 },
  { levelIdc: 40, maxFs: 8192 },
  { levelIdc: 42, maxFs: 8704 },
  { levelIdc: 50, maxFs: 22080 },
  { levelIdc: 51, maxFs: 36864 },
  { levelIdc: 60, maxFs: 139264 },
];

/**
 * The lowest level whose MaxFS holds the frame and whose implied side limit
 * (√(8 × MaxFS) macroblocks, Annex A.3.1) holds each dimension; undefined if none does.
 */
export function levelFor(widthMbs: number, heightMbs: number): number | undefined {
  const frameMbs = widthMbs * heightMbs;
  const level = LEVELS.find(
    (l) => frameMbs <= l.maxFs && widthMbs ** 2 <= 8 * l.maxFs && heightMbs ** 2 <= 8 * l.maxFs,
  );
  return level?.levelIdc;
}

export type SpsFields = {
  readonly id: number;
  readonly levelIdc: number;
  readonly widthMbs: number;
  readonly heightMbs: number;
  /** Pixels cropped at the right and bottom (even numbers: 4:2:0 crop units are 2). */
  readonly cropRight: number;
  readonly cropBottom: number;
};

/** The SPS NAL unit (header byte included, no start code). */
export function buildSps(f: SpsFields): Uint8Array {
  const w = new BitWriter();
  w.u(8, PROFILE_BASELINE);
  w.u(8, 0b1100_0000); // constraint_set0_flag, constraint_set1_flag: Constrained Baseline
  w.u(8, f.levelIdc);
  w.ue(f.id);
  w.ue(LOG2_MAX_FRAME_NUM - 4);
  w.ue(2); // pic_order_cnt_type
  w.ue(1); // max_num_ref_frames
  w.flag(false); // gaps_in_frame_num_value_allowed_flag
  w.ue(f.widthMbs - 1);
  w.ue(f.heightMbs - 1);
  w.flag(true); // frame_mbs_only_flag
  w.flag(true); // direct_8x8_inference_flag
  const cropping = f.cropRight > 0 || f.cropBottom > 0;
  w.flag(cropping);
  if (cropping)
    w.ue(0)
      .ue(f.cropRight / 2)
      .ue(0)
      .ue(f.cropBottom / 2);
  w.flag(true); // vui_parameters_present_flag
  writeVui(w);
  w.trailingBits();
  return nalUnit(3, NalType.SPS, w.bytes());
}

/** VUI with only bitstream_restriction: no reordering, one frame buffer. */
function writeVui(w: BitWriter): void {
  w.flag(false); // aspect_ratio_info_present_flag
  w.flag(false); // overscan_info_present_flag
  w.flag(false); // video_signal_type_present_flag (default: studio range)
  w.flag(false); // chroma_loc_info_present_flag
  w.flag(false); // timing_info_present_flag
  w.flag(false); // nal_hrd_parameters_present_flag
  w.flag(false); // vcl_hrd_parameters_present_flag
  w.flag(false); // pic_struct_present_flag
  w.flag(true); // bitstream_restriction_flag
  w.flag(true); // motion_vectors_over_pic_boundaries_flag
  w.ue(0); // max_bytes_per_pic_denom: no limit
  w.ue(0); // max_bits_per_mb_denom: no limit
  w.ue(15); // log2_max_mv_length_horizontal
  w.ue(15); // log2_max_mv_length_vertical
  w.ue(0); // max_num_reorder_frames
  w.ue(1); // max_dec_frame_buffering
}

/** The PPS NAL unit (header byte included, no start code). */
export function buildPps(id: number, spsId: number): Uint8Array {
  const w = new BitWriter();
  w.ue(id);
  w.ue(spsId);
  w.flag(false); // entropy_coding_mode_flag: CAVLC
  w.flag(false); // bottom_field_pic_order_in_frame_present_flag
  w.ue(0); // num_slice_groups_minus1
  w.ue(0); // num_ref_idx_l0_default_active_minus1
  w.ue(0); // num_ref_idx_l1_default_active_minus1
  w.flag(false); // weighted_pred_flag
  w.u(2, 0); // weighted_bipred_idc
  w.se(0); // pic_init_qp_minus26
  w.se(0); // pic_init_qs_minus26
  w.se(0); // chroma_qp_index_offset
  w.flag(true); // deblocking_filter_control_present_flag
  w.flag(false); // constrained_intra_pred_flag
  w.flag(false); // redundant_pic_cnt_present_flag
  w.trailingBits();
  return nalUnit(3, NalType.PPS, w.bytes());
}
