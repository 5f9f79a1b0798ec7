/**
 * AVCC framing, shared by the depacketizer, the black-frame encoder and the writers:
 * NAL units with 4-byte big-endian length prefixes, and the parameter sets listed in an
 * AVCDecoderConfigurationRecord.
 * @see ISO/IEC 14496-15 §5.3.3.1 (AVCDecoderConfigurationRecord)
 */

/** NAL units as one AVCC access unit (4-byte big-endian lengths). */
export function toAvcc(nals: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nals) size += 4 + n.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const n of nals) {
    view.setUint32(pos, n.byteLength);
    out.set(n, pos + 4);
    pos += 4 + n.byteLength;
  }
  return out;
}

/** The SPS then PPS NAL units an avcC lists (views into it); stops at the first overrun. */
export function avccParameterSets(avcC: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (avcC.byteLength < 7) return out;
  let pos = 5;
  const readList = (count: number): boolean => {
    for (let i = 0; i < count; i++) {
      if (pos + 2 > avcC.byteLength) return false;
      const len = ((avcC[pos] ?? 0) << 8) | (avcC[pos + 1] ?? 0);
      pos += 2;
      if (pos + len > avcC.byteLength) return false;
      out.push(avcC.subarray(pos, pos + len));
      pos += len;
    }
    return true;
  };
  const spsCount = (avcC[pos] ?? 0) & 0x1f;
  pos += 1;
  if (!readList(spsCount) || pos >= avcC.byteLength) return out;
  const ppsCount = avcC[pos] ?? 0;
  pos += 1;
  readList(ppsCount);
  return out;
}
