/**
 * Slices of the black H.264 stream.
 *
 * IDR: one I slice at QP 51 (pic_init_qp 26 + slice_qp_delta 25), deblocking off. Every
 * macroblock is I_16x16 with DC prediction and no coded AC or chroma (mb_type 3 =
 * I_16x16_2_0_0), chroma DC prediction. Intra 16×16 DC prediction with no neighbour
 * predicts 128; on the top row it averages the left column, on the left column the row
 * above. So only the first macroblock needs residual: one Intra16x16DCLevel coefficient.
 *
 * ```
 * c = −8 at DC position 0, QP′Y = 51 (LevelScale4x4(51 % 6 = 3, 0, 0) = 16 × 14 = 224):
 *   inverse luma DC Hadamard, one coefficient:  f = −8 for all 16 blocks
 *   scaling (QP ≥ 36):  dcY = (f × 224) << (51 / 6 − 6)  = −7168
 *   4×4 inverse transform, DC only:  (−7168 + 32) >> 6    = −112
 *   sample:  128 + (−112) = 16 (black, studio range); chroma stays 128
 *
 * per macroblock (CAVLC):
 *   ue mb_type 3 "00100" | ue intra_chroma_pred_mode 0 "1" | se mb_qp_delta 0 "1"
 *   | Intra16x16DCLevel coeff_token (nC 0): TotalCoeff 0 → "1"
 *   first macroblock: TotalCoeff 1, TrailingOnes 0 → "000101", level_prefix 13
 *   (levelCode 15 − 2, suffixLength 0) → 13 zeros + "1", total_zeros 0 → "1"
 * ```
 *
 * P: one P slice whose macroblocks are all P_Skip (mb_skip_run = all): zero motion, a copy
 * of the previous (black) picture.
 *
 * @see ITU-T H.264 §7.3.3 (slice header), §7.3.4 (slice data), §7.3.5 (macroblock layer),
 *      §8.3.3 (Intra_16x16 prediction), §8.5.10 (luma DC scaling), §8.5.12, §9.2 (CAVLC)
 */
import { BitWriter } from './bit-writer.js';
import { LOG2_MAX_FRAME_NUM } from './parameter-sets.js';
import { NalType, nalUnit } from './nal.js';

const SLICE_TYPE_P = 5;
const SLICE_TYPE_I = 7;
/** pic_init_qp (26) + this = 51. */
const IDR_SLICE_QP_DELTA = 25;
const MB_TYPE_I16X16_DC_NO_CBP = 3;
/** Luma DC level for the first macroblock at QP 51 (see the module comment). */
const FIRST_MB_DC_LEVEL = -8;

/**
 * The CAVLC Intra16x16DCLevel block for one coefficient at position 0 with |level| ≥ 2,
 * nC = 0: coeff_token, level (suffixLength 0), total_zeros 0.
 */
function writeSingleDcLevel(w: BitWriter, level: number): void {
  w.u(6, 0b000101); // coeff_token: TrailingOnes 0, TotalCoeff 1 (Table 9-5, 0 ≤ nC < 2)
  // levelCode as the decoder derives it, minus the 2 it adds to a first non-trailing-one.
  const levelCode = (level > 0 ? 2 * level - 2 : -2 * level - 1) - 2;
  if (levelCode < 14) {
    w.u(levelCode + 1, 1); // level_prefix: levelCode zeros, then 1
  } else if (levelCode < 30) {
    w.u(15, 1).u(4, levelCode - 14); // level_prefix 14, 4-bit suffix
  } else {
    w.u(16, 1).u(12, levelCode - 30); // level_prefix 15, 12-bit suffix
  }
  w.u(1, 1); // total_zeros 0 (Table 9-7, tzVlcIndex 1)
}

function sliceHeaderStart(w: BitWriter, sliceType: number, ppsId: number, frameNum: number): void {
  w.ue(0); // first_mb_in_slice
  w.ue(sliceType);
  w.ue(ppsId);
  w.u(LOG2_MAX_FRAME_NUM, frameNum & ((1 << LOG2_MAX_FRAME_NUM) - 1));
}

/** The IDR slice NAL unit of an all-black picture of `mbCount` macroblocks. */
export function buildBlackIdrSlice(ppsId: number, mbCount: number): Uint8Array {
  const w = new BitWriter();
  sliceHeaderStart(w, SLICE_TYPE_I, ppsId, 0);
  w.ue(0); // idr_pic_id
  w.flag(false); // no_output_of_prior_pics_flag
  w.flag(false); // long_term_reference_flag
  w.se(IDR_SLICE_QP_DELTA);
  w.ue(1); // disable_deblocking_filter_idc: off
  for (let mb = 0; mb < mbCount; mb++) {
    w.ue(MB_TYPE_I16X16_DC_NO_CBP);
    w.ue(0); // intra_chroma_pred_mode: DC
    w.se(0); // mb_qp_delta
    if (mb === 0) writeSingleDcLevel(w, FIRST_MB_DC_LEVEL);
    else w.u(1, 1); // coeff_token: TotalCoeff 0
  }
  w.trailingBits();
  return nalUnit(3, NalType.IDR_SLICE, w.bytes());
}

/**
 * A P slice NAL unit whose `mbCount` macroblocks are all skipped. `resetReferences` adds
 * memory_management_control_operation 5, after which the picture counts as frame_num 0 and
 * POC 0: with `frameNum` 1 the same bytes are valid after the IDR and after each other,
 * any number of times. Without it, pass the picture's position after the IDR (mod 16).
 */
export function buildSkipPSlice(
  ppsId: number,
  mbCount: number,
  frameNum: number,
  resetReferences: boolean,
): Uint8Array {
  const w = new BitWriter();
  sliceHeaderStart(w, SLICE_TYPE_P, ppsId, frameNum);
  w.flag(false); // num_ref_idx_active_override_flag
  w.flag(false); // ref_pic_list_modification_flag_l0
  // dec_ref_pic_marking (nal_ref_idc ≠ 0)
  w.flag(resetReferences); // adaptive_ref_pic_marking_mode_flag
  if (resetReferences) w.ue(5).ue(0); // MMCO 5, end of list
  w.se(0); // slice_qp_delta
  w.ue(1); // disable_deblocking_filter_idc: off
  w.ue(mbCount); // mb_skip_run: every macroblock
  w.trailingBits();
  return nalUnit(2, NalType.NON_IDR_SLICE, w.bytes());
}
