/**
 * AVCDecoderConfigurationRecord (the `avcC` box body, Matroska CodecPrivate for
 * V_MPEG4/ISO/AVC, WebCodecs `description`):
 * ```
 * configurationVersion = 1 | AVCProfileIndication | profile_compatibility | AVCLevelIndication
 * 111111b + lengthSizeMinusOne (2) = 3   → 4-byte NAL lengths
 * 111b + numOfSequenceParameterSets (5) | { u16 length, SPS NAL } …
 * numOfPictureParameterSets (8)         | { u16 length, PPS NAL } …
 * high profiles (100, 110, 122, 144): 111111b + chroma_format (2) | 11111b + bit_depth_luma_minus8 (3)
 *                                     | 11111b + bit_depth_chroma_minus8 (3) | numOfSequenceParameterSetExt = 0
 * ```
 * @see ISO/IEC 14496-15 §5.3.3.1
 */
import type { H264Sps } from './h264-sps.js';

const PROFILES_WITH_EXTENSION = new Set([100, 110, 122, 144]);

/**
 * Builds the record from parameter-set NAL units (each with its NAL header, no start code
 * or length). Profile fields come from `active`, the parsed SPS in use. At most 31 SPS and
 * 255 PPS of at most 65535 bytes each (the record's field widths); callers pass fewer.
 */
export function buildAvcDecoderConfig(
  spsNals: readonly Uint8Array[],
  ppsNals: readonly Uint8Array[],
  active: H264Sps,
): Uint8Array {
  if (spsNals.length === 0 || spsNals.length > 31) {
    throw new RangeError(`spsNals must hold 1..31 SPS, got ${spsNals.length}`);
  }
  if (ppsNals.length > 255)
    throw new RangeError(`ppsNals must hold at most 255 PPS, got ${ppsNals.length}`);
  for (const nal of [...spsNals, ...ppsNals]) {
    if (nal.length > 0xffff)
      throw new RangeError(`parameter set of ${nal.length} bytes exceeds 65535`);
  }
  const extension = PROFILES_WITH_EXTENSION.has(active.profileIdc);
  let size = 6 + 1 + (extension ? 4 : 0);
  for (const nal of spsNals) size += 2 + nal.length;
  for (const nal of ppsNals) size += 2 + nal.length;
  const out = new Uint8Array(size);
  let pos = 0;
  const u8 = (v: number): void => {
    out[pos++] = v & 0xff;
  };
  const withLength = (nal: Uint8Array): void => {
    u8(nal.length >>> 8);
    u8(nal.length);
    out.set(nal, pos);
    pos += nal.length;
  };
  u8(1);
  u8(active.profileIdc);
  u8(active.constraintFlags);
  u8(active.levelIdc);
  u8(0xfc | 3);
  u8(0xe0 | spsNals.length);
  spsNals.forEach(withLength);
  u8(ppsNals.length);
  ppsNals.forEach(withLength);
  if (extension) {
    u8(0xfc | active.chromaFormatIdc);
    u8(0xf8 | (active.bitDepthLuma - 8));
    u8(0xf8 | (active.bitDepthChroma - 8));
    u8(0);
  }
  return out;
}
