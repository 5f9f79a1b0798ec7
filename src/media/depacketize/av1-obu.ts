/**
 * AV1 OBU helpers: leb128, OBU header, the sequence header fields a recorder needs, and the
 * first bits of a frame header (keyframe or not).
 * ```
 * OBU header:  |0| obu_type (4) |X|S|0|   X: extension byte follows (temporal_id 3, spatial_id 2, 3 reserved)
 *              S (obu_has_size_field): leb128 obu_size follows the header
 * ```
 * @see AV1 Bitstream & Decoding Process Specification 1.0.0 with Errata, §4.10.5 (leb128),
 *   §5.3 (OBU header), §5.5 (sequence header), §5.9.2 (uncompressed header)
 */
import { ParseError } from '../../errors.js';
import { BitReader } from './bit-reader.js';

export const OBU_SEQUENCE_HEADER = 1;
export const OBU_TEMPORAL_DELIMITER = 2;
export const OBU_FRAME_HEADER = 3;
export const OBU_FRAME = 6;
export const OBU_TILE_LIST = 8;
export const OBU_PADDING = 15;

/** Reads a leb128 value at `offset`; undefined when it runs past the end or exceeds 2^32 − 1. */
export function readLeb128(
  bytes: Uint8Array,
  offset: number,
): { value: number; length: number } | undefined {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = bytes[offset + i];
    if (b === undefined) return undefined;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return value > 0xffff_ffff ? undefined : { value, length: i + 1 };
  }
  return undefined;
}

/** Encodes a leb128 value (minimal length). */
export function encodeLeb128(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    const low = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? low | 0x80 : low);
  } while (v > 0);
  return Uint8Array.from(out);
}

export type Av1SequenceHeader = {
  readonly seqProfile: number;
  readonly reducedStillPictureHeader: boolean;
  /** max_frame_width_minus_1 + 1 and max_frame_height_minus_1 + 1. */
  readonly maxWidth: number;
  readonly maxHeight: number;
};

const SEQ_FORMAT = 'av1-sequence-header';

/**
 * Parses a sequence header OBU payload (after the OBU header and size) up to the maximum
 * frame size. Throws `ParseError` (format `av1-sequence-header`) when truncated.
 */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const r = new BitReader(payload, SEQ_FORMAT);
  const seqProfile = r.bits(3, 'seq_profile');
  if (seqProfile > 2) throw new ParseError(SEQ_FORMAT, 0, `seq_profile ${seqProfile} is reserved`);
  r.skip(1, 'still_picture');
  const reducedStillPictureHeader = r.bool('reduced_still_picture_header');
  if (reducedStillPictureHeader) {
    r.skip(5, 'seq_level_idx[0]');
  } else {
    let bufferDelayLength = 0;
    let decoderModelInfoPresent = false;
    if (r.bool('timing_info_present_flag')) {
      r.skip(64, 'num_units_in_display_tick, time_scale');
      if (r.bool('equal_picture_interval')) r.uvlc('num_ticks_per_picture_minus_1');
      decoderModelInfoPresent = r.bool('decoder_model_info_present_flag');
      if (decoderModelInfoPresent) {
        bufferDelayLength = r.bits(5, 'buffer_delay_length_minus_1') + 1;
        r.skip(32, 'num_units_in_decoding_tick');
        r.skip(10, 'buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1');
      }
    }
    const initialDisplayDelayPresent = r.bool('initial_display_delay_present_flag');
    const operatingPoints = r.bits(5, 'operating_points_cnt_minus_1') + 1;
    for (let i = 0; i < operatingPoints; i++) {
      r.skip(12, 'operating_point_idc');
      const level = r.bits(5, 'seq_level_idx');
      if (level > 7) r.skip(1, 'seq_tier');
      if (decoderModelInfoPresent && r.bool('decoder_model_present_for_this_op')) {
        r.skip(2 * bufferDelayLength + 1, 'operating_parameters_info');
      }
      if (initialDisplayDelayPresent && r.bool('initial_display_delay_present_for_this_op')) {
        r.skip(4, 'initial_display_delay_minus_1');
      }
    }
  }
  const widthBits = r.bits(4, 'frame_width_bits_minus_1') + 1;
  const heightBits = r.bits(4, 'frame_height_bits_minus_1') + 1;
  const maxWidth = r.bits(widthBits, 'max_frame_width_minus_1') + 1;
  const maxHeight = r.bits(heightBits, 'max_frame_height_minus_1') + 1;
  return { seqProfile, reducedStillPictureHeader, maxWidth, maxHeight };
}

/**
 * Whether a frame header (OBU_FRAME_HEADER or OBU_FRAME payload) starts a key frame:
 * `show_existing_frame` = 0 and `frame_type` = KEY_FRAME (0). With a reduced still
 * picture header every frame is a key frame. Undefined when the payload is empty.
 */
export function isAv1KeyFrameHeader(
  payload: Uint8Array,
  reducedStillPictureHeader: boolean,
): boolean | undefined {
  if (reducedStillPictureHeader) return true;
  const b = payload[0];
  if (b === undefined) return undefined;
  if ((b & 0x80) !== 0) return false;
  return ((b >>> 5) & 0x03) === 0;
}
