/**
 * H264 parameter sets carried in-band: every real keyframe written by tapedeck starts with
 * the SPS/PPS that were active for it, so a decoder stays correct across a black gap filler
 * (which carries its own SPS/PPS) and across resolution changes between segments.
 * @see ISO/IEC 14496-15 §5.3.3.1 (AVCDecoderConfigurationRecord)
 */

/** The SPS and PPS NAL units listed in an AVCDecoderConfigurationRecord. */
export function parameterSetsOf(avcc: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (avcc.byteLength < 7) return out;
  let pos = 5;
  const readList = (count: number): boolean => {
    for (let i = 0; i < count; i++) {
      if (pos + 2 > avcc.byteLength) return false;
      const len = ((avcc[pos] ?? 0) << 8) | (avcc[pos + 1] ?? 0);
      pos += 2;
      if (pos + len > avcc.byteLength) return false;
      out.push(avcc.subarray(pos, pos + len));
      pos += len;
    }
    return true;
  };
  const spsCount = (avcc[pos] ?? 0) & 0x1f;
  pos += 1;
  if (!readList(spsCount) || pos >= avcc.byteLength) return out;
  const ppsCount = avcc[pos] ?? 0;
  pos += 1;
  readList(ppsCount);
  return out;
}

/** Prepends NAL units (4-byte length-prefixed, AVCC) to a length-prefixed access unit. */
export function prependNalUnits(nalUnits: readonly Uint8Array[], accessUnit: Uint8Array): Uint8Array {
  const extra = nalUnits.reduce((n, u) => n + 4 + u.byteLength, 0);
  const out = new Uint8Array(extra + accessUnit.byteLength);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const u of nalUnits) {
    view.setUint32(pos, u.byteLength);
    out.set(u, pos + 4);
    pos += 4 + u.byteLength;
  }
  out.set(accessUnit, pos);
  return out;
}
