/**
 * What one datagram is, by its bytes alone (the sender's address is judged elsewhere).
 *
 * On a port carrying both (rtcp-mux), RTP and RTCP are told apart by the second byte: RTCP
 * packet types 192..223 fall where an RTP marker bit plus payload type 64..95 would, a
 * range RTP must then not use.
 *
 * ```text
 *  byte 0           byte 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |   RTP:  M/PT   any but 192..223 as one byte
 * |V=2|P|  count  |      PT       |   RTCP: PT     200 SR, 201 RR, 202 SDES, 203 BYE, … (192..223)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * RTP is checked as RFC 3550 §A.1 asks (version, CSRC list, extension and padding inside
 * the packet) by `parseRtpPacket`; RTCP as §A.2 asks (every length inside the datagram,
 * nothing left over) by `parseRtcpCompound`.
 * @see RFC 3550 §5.1, §6.4, §A.1, §A.2; RFC 5761 §4
 */
import { ParseError } from '../../errors.js';
import { isRtcpPacket, parseRtcpCompound } from '../../rtp/rtcp.js';
import { rtpPayloadOffset, rtpPayloadType, rtpSsrc } from '../../rtp/rtp-header-check.js';

/** Which port the datagram came in on, and what that port carries. */
export type PortRole = 'rtp' | 'rtp+rtcp' | 'rtcp';

export type DatagramVerdict = 'rtp' | 'rtcp' | 'malformed' | 'payloadType' | 'ssrc';

export type RtpFilters = {
  /** 128 flags indexed by payload type, undefined = any. */
  readonly payloadTypes: Uint8Array | undefined;
  readonly expectedSsrcs: ReadonlySet<number> | undefined;
};

/**
 * Classifies `bytes` received on a port of role `role`. Never throws for bad input:
 * `unexpected` is called (and the datagram judged malformed) only if a parser fails with
 * something other than its `ParseError`, which would be a bug.
 */
export function classifyDatagram(
  bytes: Uint8Array,
  role: PortRole,
  filters: RtpFilters,
  unexpected: (error: unknown) => void,
): DatagramVerdict {
  try {
    if (role === 'rtcp' || (role === 'rtp+rtcp' && isRtcpPacket(bytes))) {
      if (!isRtcpPacket(bytes)) return 'malformed';
      parseRtcpCompound(bytes);
      return 'rtcp';
    }
    // Per datagram: checked in place, nothing allocated (the same rules as parseRtpPacket).
    if (rtpPayloadOffset(bytes) < 0) return 'malformed';
    if (filters.payloadTypes !== undefined && filters.payloadTypes[rtpPayloadType(bytes)] !== 1) {
      return 'payloadType';
    }
    if (filters.expectedSsrcs !== undefined && !filters.expectedSsrcs.has(rtpSsrc(bytes))) {
      return 'ssrc';
    }
    return 'rtp';
  } catch (error) {
    if (!(error instanceof ParseError)) unexpected(error);
    return 'malformed';
  }
}
