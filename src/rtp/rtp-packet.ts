/**
 * RTP packet: a zero-copy view over the wire bytes. (CONTRACT — implementation pending.)
 * @see RFC 3550 §5.1
 */

export type RtpHeaderExtension = {
  /** "defined by profile" 16-bit value (0xBEDE = one-byte, 0x100x = two-byte, RFC 8285). */
  readonly profile: number;
  /** Extension body (without the 4-byte profile/length header). */
  readonly data: Uint8Array;
};

export type RtpPacket = {
  readonly version: 2;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtension | undefined;
  /** Payload without padding: a subarray of the input. */
  readonly payload: Uint8Array;
  /** Number of padding bytes (including the count byte), 0 when P is clear. */
  readonly paddingLength: number;
};

export function parseRtpPacket(_bytes: Uint8Array): RtpPacket {
  throw new Error('parseRtpPacket: not implemented yet');
}
