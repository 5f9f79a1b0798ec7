/**
 * Datagrams for endpoint tests: valid RTP and RTCP carrying a numeric tag a test can find
 * again in what the sink received, and malformed ones.
 */
import { serializeRtcpCompound } from '../../../../src/rtp/rtcp-serialize.js';
import { serializeRtpPacket, type RtpPacketInit } from '../../../../src/rtp/rtp-packet.js';

export const SSRC = 0x1234_5678;
let sequence = 0;

/** A valid Opus-like RTP packet (PT 111 unless told), its payload tagged with `tag`. */
export function rtp(fields: Partial<RtpPacketInit> & { tag?: number } = {}): Uint8Array {
  const { tag = 0, ...rest } = fields;
  return serializeRtpPacket({
    payloadType: 111,
    sequenceNumber: ++sequence & 0xffff,
    timestamp: (sequence * 960) >>> 0,
    ssrc: SSRC,
    payload: Uint8Array.of(0xfc, tag & 0xff, (tag >>> 8) & 0xff),
    ...rest,
  });
}

/** The tag `rtp()` put into a packet's payload. */
export function tagOf(packet: Uint8Array): number {
  return packet[13]! | (packet[14]! << 8);
}

/** A sender report whose packet count is `tag`, as one compound packet. */
export function sr(tag = 0, ssrc = SSRC): Uint8Array {
  return serializeRtcpCompound([
    {
      type: 'sr',
      ssrc,
      ntpSeconds: 3_900_000_000,
      ntpFraction: 0,
      rtpTimestamp: 0,
      packetCount: tag,
      octetCount: 0,
    },
  ]);
}

/** The packet count of the first SR in `packet`. */
export function srTagOf(packet: Uint8Array): number {
  return new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(20);
}

/** Datagrams that are neither valid RTP nor valid RTCP, each with why. */
export const MALFORMED: readonly (readonly [string, Uint8Array])[] = [
  ['shorter than the RTP fixed header', Uint8Array.of(0x80, 111, 0, 1, 0)],
  ['version 0', new Uint8Array(20)],
  ['15 CSRCs announced, none present', Uint8Array.of(0x8f, 111, ...new Array<number>(14).fill(0))],
  [
    'padding count larger than the packet',
    Uint8Array.of(0xa0, 111, ...new Array<number>(10).fill(0), 200),
  ],
  ['RTCP length past the datagram end', Uint8Array.of(0x80, 200, 0x00, 0x10, 0, 0, 0, 0)],
  ['text', new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')],
];
