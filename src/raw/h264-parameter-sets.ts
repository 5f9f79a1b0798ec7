/**
 * H264 parameter sets carried in-band: every real keyframe written by tapedeck starts with
 * the SPS/PPS that were active for it, so a decoder stays correct across a black gap filler
 * (which carries its own SPS/PPS) and across resolution changes between segments.
 */
import { avccParameterSets, toAvcc } from '../media/h264/avcc.js';

/** The access unit with the avcC's SPS and PPS NAL units in front. */
export function withParameterSets(avcC: Uint8Array, accessUnit: Uint8Array): Uint8Array {
  const prefix = toAvcc(avccParameterSets(avcC));
  const out = new Uint8Array(prefix.byteLength + accessUnit.byteLength);
  out.set(prefix);
  out.set(accessUnit, prefix.byteLength);
  return out;
}
