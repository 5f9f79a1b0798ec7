/**
 * H.264 sequence parameter set: the fields a container needs (profile, level, chroma and
 * bit depth for the AVCDecoderConfigurationRecord; the cropped picture size).
 * ```
 * NAL header (1) = forbidden_zero (1) | nal_ref_idc (2) | nal_unit_type (5) = 7
 * profile_idc u(8) | constraint_set0..5 + reserved u(8) | level_idc u(8)
 * seq_parameter_set_id ue(v)
 * [high profiles: chroma_format_idc ue | (separate_colour_plane u1) | bit_depth_luma_minus8 ue
 *   | bit_depth_chroma_minus8 ue | qpprime_y_zero_transform_bypass u1 | scaling matrices]
 * log2_max_frame_num_minus4 ue | pic_order_cnt_type ue | (poc fields)
 * max_num_ref_frames ue | gaps_in_frame_num_value_allowed u1
 * pic_width_in_mbs_minus1 ue | pic_height_in_map_units_minus1 ue
 * frame_mbs_only u1 | (mb_adaptive_frame_field u1) | direct_8x8_inference u1
 * frame_cropping u1 | (crop left, right, top, bottom: ue each) | vui … (not read)
 * ```
 * @see ITU-T H.264 (08/2021) §7.3.2.1.1, §7.4.2.1.1 (cropping), §7.3.2.1.1.1 (scaling list)
 */
import { ParseError } from '../../errors.js';
import { BitReader } from './bit-reader.js';

export type H264Sps = {
  readonly profileIdc: number;
  /** The constraint_set flags byte as sent. */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly frameMbsOnly: boolean;
  /** Picture size after cropping, in pixels. */
  readonly width: number;
  readonly height: number;
};

const FORMAT = 'h264-sps';

/** Profiles whose SPS carries chroma format, bit depth and scaling matrices. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Removes emulation-prevention bytes (00 00 03 → 00 00) from a NAL unit body. */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let escapes = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      escapes += 1;
      zeros = 0;
    } else {
      zeros = b === 0 ? zeros + 1 : 0;
    }
  }
  if (escapes === 0) return nal;
  const out = new Uint8Array(nal.length - escapes);
  let pos = 0;
  zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[pos++] = b;
  }
  return out;
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.se('delta_scale');
      if (delta < -128 || delta > 127)
        throw new ParseError(FORMAT, r.bitPosition >>> 3, 'delta_scale out of range');
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

function checkRange(value: number, max: number, what: string, r: BitReader): number {
  if (value > max)
    throw new ParseError(FORMAT, r.bitPosition >>> 3, `${what} ${value} exceeds ${max}`);
  return value;
}

/**
 * Parses an SPS NAL unit (with its 1-byte NAL header). Throws `ParseError` (format
 * `h264-sps`; offsets count bytes of the unescaped payload) when it is truncated, not an
 * SPS, or holds out-of-range values.
 */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  const header = nal[0];
  if (header === undefined || (header & 0x1f) !== 7) {
    throw new ParseError(FORMAT, 0, 'not an SPS NAL unit (type 7)');
  }
  const r = new BitReader(unescapeRbsp(nal.subarray(1)), FORMAT);
  const profileIdc = r.bits(8, 'profile_idc');
  const constraintFlags = r.bits(8, 'constraint_set flags');
  const levelIdc = r.bits(8, 'level_idc');
  const spsId = checkRange(r.ue('seq_parameter_set_id'), 31, 'seq_parameter_set_id', r);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = checkRange(r.ue('chroma_format_idc'), 3, 'chroma_format_idc', r);
    if (chromaFormatIdc === 3) separateColourPlane = r.bool('separate_colour_plane_flag');
    bitDepthLuma = 8 + checkRange(r.ue('bit_depth_luma_minus8'), 6, 'bit_depth_luma_minus8', r);
    bitDepthChroma =
      8 + checkRange(r.ue('bit_depth_chroma_minus8'), 6, 'bit_depth_chroma_minus8', r);
    r.skip(1, 'qpprime_y_zero_transform_bypass_flag');
    if (r.bool('seq_scaling_matrix_present_flag')) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.bool('seq_scaling_list_present_flag')) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  checkRange(r.ue('log2_max_frame_num_minus4'), 12, 'log2_max_frame_num_minus4', r);
  const pocType = checkRange(r.ue('pic_order_cnt_type'), 2, 'pic_order_cnt_type', r);
  if (pocType === 0) {
    checkRange(
      r.ue('log2_max_pic_order_cnt_lsb_minus4'),
      12,
      'log2_max_pic_order_cnt_lsb_minus4',
      r,
    );
  } else if (pocType === 1) {
    r.skip(1, 'delta_pic_order_always_zero_flag');
    r.se('offset_for_non_ref_pic');
    r.se('offset_for_top_to_bottom_field');
    const cycle = checkRange(
      r.ue('num_ref_frames_in_pic_order_cnt_cycle'),
      255,
      'num_ref_frames_in_pic_order_cnt_cycle',
      r,
    );
    for (let i = 0; i < cycle; i++) r.se('offset_for_ref_frame');
  }
  r.ue('max_num_ref_frames');
  r.skip(1, 'gaps_in_frame_num_value_allowed_flag');
  const widthMbs =
    checkRange(r.ue('pic_width_in_mbs_minus1'), 1023, 'pic_width_in_mbs_minus1', r) + 1;
  const heightMapUnits =
    checkRange(r.ue('pic_height_in_map_units_minus1'), 1023, 'pic_height_in_map_units_minus1', r) +
    1;
  const frameMbsOnly = r.bool('frame_mbs_only_flag');
  if (!frameMbsOnly) r.skip(1, 'mb_adaptive_frame_field_flag');
  r.skip(1, 'direct_8x8_inference_flag');
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.bool('frame_cropping_flag')) {
    cropLeft = r.ue('frame_crop_left_offset');
    cropRight = r.ue('frame_crop_right_offset');
    cropTop = r.ue('frame_crop_top_offset');
    cropBottom = r.ue('frame_crop_bottom_offset');
  }
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 3 ? 1 : 2;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = chromaArrayType === 0 ? fieldFactor : subHeightC * fieldFactor;
  const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = fieldFactor * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0) {
    throw new ParseError(
      FORMAT,
      r.bitPosition >>> 3,
      `cropping leaves no picture (${width}x${height})`,
    );
  }
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    width,
    height,
  };
}
