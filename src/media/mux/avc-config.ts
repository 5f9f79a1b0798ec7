/**
 * H.264 in Matroska (`V_MPEG4/ISO/AVC`): CodecPrivate is the AVCDecoderConfigurationRecord
 * (avcC) and each block is one access unit of NAL units, each prefixed by its length.
 *
 * ```
 * avcC:  version(8)=1  profile(8)  compat(8)  level(8)
 *        111111 lengthSizeMinusOne(2)   111 numSPS(5)  { len(16) SPS }…
 *        numPPS(8)  { len(16) PPS }…   [profile-specific extension, optional]
 * frame: { len(32) NAL }…   (this project always uses 4-byte lengths)
 * ```
 * @see ISO/IEC 14496-15, 5.3.3.1 "AVC decoder configuration record"
 */

const NAL_SPS = 7;
const NAL_PPS = 8;

export type AvcConfigSummary = {
  readonly profile: number;
  readonly compatibility: number;
  readonly level: number;
  /** Bytes in each NAL length prefix (lengthSizeMinusOne + 1). */
  readonly nalLengthSize: number;
};

/** Checks the fixed part of an avcC and returns its fields, or null when it is not one. */
export function readAvcConfig(avcC: Uint8Array): AvcConfigSummary | null {
  if (avcC.byteLength < 7 || avcC[0] !== 1) return null;
  const numSps = (avcC[5] ?? 0) & 0x1f;
  let pos = 6;
  for (let i = 0; i < numSps; i++) {
    if (pos + 2 > avcC.byteLength) return null;
    pos += 2 + (((avcC[pos] ?? 0) << 8) | (avcC[pos + 1] ?? 0));
  }
  if (pos + 1 > avcC.byteLength) return null;
  const numPps = avcC[pos++] ?? 0;
  for (let i = 0; i < numPps; i++) {
    if (pos + 2 > avcC.byteLength) return null;
    pos += 2 + (((avcC[pos] ?? 0) << 8) | (avcC[pos + 1] ?? 0));
  }
  if (pos > avcC.byteLength) return null;
  return {
    profile: avcC[1] ?? 0,
    compatibility: avcC[2] ?? 0,
    level: avcC[3] ?? 0,
    nalLengthSize: ((avcC[4] ?? 0) & 0x03) + 1,
  };
}

const hex = (n: number): string => n.toString(16).padStart(2, '0');

/** `avc1.PPCCLL` (RFC 6381 3.3) from an avcC's profile, compatibility and level bytes. */
export function avcCodecString(config: AvcConfigSummary): string {
  return `avc1.${hex(config.profile)}${hex(config.compatibility)}${hex(config.level)}`;
}

/**
 * Builds an avcC from the SPS and PPS NAL units carried in-band in a keyframe (4-byte length
 * prefixes), as WebRTC senders do. Returns null when the frame lacks either, or when its
 * length prefixes overrun the frame.
 */
export function avcConfigFromFrame(frame: Uint8Array): Uint8Array | null {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  let pos = 0;
  while (pos + 4 <= frame.byteLength) {
    const length =
      (((frame[pos] ?? 0) << 24) |
        ((frame[pos + 1] ?? 0) << 16) |
        ((frame[pos + 2] ?? 0) << 8) |
        (frame[pos + 3] ?? 0)) >>>
      0;
    pos += 4;
    if (length === 0 || pos + length > frame.byteLength) return null;
    const nal = frame.subarray(pos, pos + length);
    const type = (nal[0] ?? 0) & 0x1f;
    if ((type === NAL_SPS || type === NAL_PPS) && length > 0xffff) return null;
    if (type === NAL_SPS && nal.byteLength >= 4) sps.push(nal);
    if (type === NAL_PPS) pps.push(nal);
    pos += length;
  }
  const first = sps[0];
  if (first === undefined || pps.length === 0 || sps.length > 31 || pps.length > 255) return null;
  const size = 7 + [...sps, ...pps].reduce((sum, nal) => sum + 2 + nal.byteLength, 0);
  const out = new Uint8Array(size);
  out.set([1, first[1] ?? 0, first[2] ?? 0, first[3] ?? 0, 0xfc | 3, 0xe0 | sps.length]);
  let at = 6;
  const put = (nal: Uint8Array): void => {
    out[at] = (nal.byteLength >>> 8) & 0xff;
    out[at + 1] = nal.byteLength & 0xff;
    out.set(nal, at + 2);
    at += 2 + nal.byteLength;
  };
  sps.forEach(put);
  out[at++] = pps.length;
  pps.forEach(put);
  return out;
}
