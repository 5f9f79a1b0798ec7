/**
 * H.264 NAL unit framing: header byte, emulation prevention, AVCC length prefixes and the
 * AVCDecoderConfigurationRecord.
 *
 * ```
 * NAL header:  | F (1) = 0 | nal_ref_idc (2) | nal_unit_type (5) |
 * emulation prevention: inside a NAL, 00 00 followed by 00/01/02/03 becomes 00 00 03 xx
 *
 * AVCDecoderConfigurationRecord (lengthSizeMinusOne = 3, one SPS, one PPS):
 *   01 | profile_idc | constraint flags | level_idc | FF | E1 | u16 spsLength | SPS
 *      | 01 | u16 ppsLength | PPS
 * ```
 *
 * @see ITU-T H.264 §7.3.1, §7.4.1 (NAL units, emulation prevention);
 *      ISO/IEC 14496-15 §5.3.3 (AVCDecoderConfigurationRecord)
 */
import { toAvcc } from '../../h264/avcc.js';

export const NalType = { NON_IDR_SLICE: 1, IDR_SLICE: 5, SPS: 7, PPS: 8 } as const;

/** A NAL unit (no start code, no length): header byte + RBSP with emulation prevention. */
export function nalUnit(nalRefIdc: number, nalUnitType: number, rbsp: Uint8Array): Uint8Array {
  const out: number[] = [((nalRefIdc & 3) << 5) | (nalUnitType & 0x1f)];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

/** NAL units with 4-byte big-endian length prefixes (one AVCC access unit). */
export const avccAccessUnit = toAvcc;

/** The AVCDecoderConfigurationRecord for one SPS and one PPS NAL unit, 4-byte lengths. */
export function avcDecoderConfigurationRecord(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  const out = new Uint8Array(11 + sps.byteLength + pps.byteLength);
  const view = new DataView(out.buffer);
  out[0] = 1; // configurationVersion
  out[1] = sps[1] ?? 0; // AVCProfileIndication
  out[2] = sps[2] ?? 0; // profile_compatibility
  out[3] = sps[3] ?? 0; // AVCLevelIndication
  out[4] = 0xfc | 3; // reserved | lengthSizeMinusOne
  out[5] = 0xe0 | 1; // reserved | numOfSequenceParameterSets
  view.setUint16(6, sps.byteLength);
  out.set(sps, 8);
  out[8 + sps.byteLength] = 1; // numOfPictureParameterSets
  view.setUint16(9 + sps.byteLength, pps.byteLength);
  out.set(pps, 11 + sps.byteLength);
  return out;
}
