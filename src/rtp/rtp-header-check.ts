/**
 * Allocation-free RTP header checks for the ingest hot path: the same validity rules as
 * `parseRtpPacket` (which builds a full RtpPacket), answered with plain numbers.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |                             SSRC                              |
 * |                 CSRC list (CC × 32 bits)                      |
 * | profile (16) | length in words (16) | extension (X = 1) ...   |
 * | payload ...                           | padding ... | count   |
 * ```
 *
 * @see RFC 3550 §5.1, §A.1
 */

/**
 * Where the payload starts, or -1 when `parseRtpPacket(bytes)` would throw (too short,
 * version ≠ 2, CSRC list / extension / padding past the end, padding count 0).
 */
export function rtpPayloadOffset(bytes: Uint8Array): number {
  const size = bytes.byteLength;
  if (size < 12) return -1;
  const b0 = bytes[0]!;
  if (b0 >>> 6 !== 2) return -1;
  let pos = 12 + (b0 & 0x0f) * 4;
  if (pos > size) return -1;
  if ((b0 & 0x10) !== 0) {
    if (pos + 4 > size) return -1;
    pos += 4 + ((bytes[pos + 2]! << 8) | bytes[pos + 3]!) * 4;
    if (pos > size) return -1;
  }
  if ((b0 & 0x20) !== 0) {
    if (pos === size) return -1;
    const padding = bytes[size - 1]!;
    if (padding === 0 || padding > size - pos) return -1;
  }
  return pos;
}

/** The payload type (7 bits) of an RTP header of at least 2 bytes. */
export function rtpPayloadType(bytes: Uint8Array): number {
  return bytes[1]! & 0x7f;
}

/** The SSRC (u32) of an RTP header of at least 12 bytes. */
export function rtpSsrc(bytes: Uint8Array): number {
  return ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
}
