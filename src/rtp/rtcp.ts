/**
 * RTCP compound packet parsing and RTP/RTCP demultiplexing.
 *
 * Every RTCP packet starts with the common header; `length` is the packet's size in 32-bit
 * words minus one, header included, so packets in a compound follow each other exactly.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|  count  |      PT       |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * SR (PT 200):  SSRC | NTP seconds | NTP fraction | RTP timestamp | packet count | octet count
 *               | count × report block (24 bytes) | profile-specific extension
 * RR (PT 201):  SSRC | count × report block | profile-specific extension
 * report block: SSRC | fraction lost (8) cumulative lost (24, signed) | ext. highest seq
 *               | jitter | LSR | DLSR
 * SDES (PT 202): count × chunk { SSRC | items { type (8) | length (8) | text } | END (0)
 *               | null bytes to the next 32-bit boundary }
 * BYE (PT 203): count × SSRC | [ reason length (8) | reason ] | padding to 32 bits
 * ```
 *
 * With P set, the packet's last byte counts the padding bytes (itself included) at the end
 * of that packet, a multiple of 4 (§6.4.1); they are removed before the body is read.
 *
 * @see RFC 3550 §6.4–§6.7, §A.2; RFC 5761 §4 (demultiplexing)
 */
import { ParseError } from '../errors.js';
import { ByteReader } from '../lib/byte-reader.js';
import { RtcpPacketType } from './rtcp-types.js';
import type {
  RtcpBye,
  RtcpPacket,
  RtcpReceiverReport,
  RtcpReportBlock,
  RtcpSdesChunk,
  RtcpSdesItem,
  RtcpSenderReport,
  RtcpSourceDescription,
} from './rtcp-types.js';

const utf8 = new TextDecoder('utf-8');

/**
 * True when `bytes` look like RTCP rather than RTP on a multiplexed port: version 2 and a
 * second byte in 192..223 (RTCP packet types; RTP payload types 64..95 with the marker bit
 * would collide and must not be used). Classifies only; `parseRtcpCompound` validates.
 * @see RFC 5761 §4
 */
export function isRtcpPacket(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 2) return false;
  const second = bytes[1]!;
  return bytes[0]! >>> 6 === 2 && second >= 192 && second <= 223;
}

/**
 * Parses a compound RTCP packet (one or more RTCP packets back to back) into values. Views
 * (`body`, `data`, `profileExtension`) are subarrays of `bytes`.
 *
 * Throws `ParseError('RTCP', offset, …)` with the absolute offset of the bad field when the
 * input is empty, a packet is not version 2, a length runs past the end, bytes are left
 * over, the padding count is 0, not a multiple of 4 or too large, or a packet's body does
 * not hold what its count says.
 * SR, RR, SDES and BYE are decoded; every other type (APP included) is kept as `unknown`.
 * Leniency: SDES/BYE padding bytes are skipped whatever their value (rtptools writes
 * non-zero ones), and padding is accepted on any packet of the compound, not only the last.
 * @see RFC 3550 §6, §A.2
 */
export function parseRtcpCompound(bytes: Uint8Array): RtcpPacket[] {
  const size = bytes.byteLength;
  if (size === 0) throw new ParseError('RTCP', 0, 'empty compound packet');
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const packets: RtcpPacket[] = [];
  let pos = 0;
  while (pos < size) {
    if (size - pos < 4)
      throw new ParseError('RTCP', pos, `common header needs 4 bytes, ${size - pos} left`);
    const b0 = view.getUint8(pos);
    const version = b0 >>> 6;
    if (version !== 2) throw new ParseError('RTCP', pos, `version is ${version}, expected 2`);
    const packetType = view.getUint8(pos + 1);
    const packetBytes = (view.getUint16(pos + 2) + 1) * 4;
    if (pos + packetBytes > size) {
      throw new ParseError(
        'RTCP',
        pos + 2,
        `packet length ${packetBytes} exceeds the ${size - pos} bytes left`,
      );
    }
    let bodyEnd = pos + packetBytes;
    if ((b0 & 0x20) !== 0) {
      const padding = view.getUint8(bodyEnd - 1);
      if (padding === 0 || padding % 4 !== 0 || padding > packetBytes - 4) {
        throw new ParseError(
          'RTCP',
          bodyEnd - 1,
          `padding count ${padding} is not a multiple of 4 that fits the ${packetBytes - 4}-byte body`,
        );
      }
      bodyEnd -= padding;
    }
    const body = new ByteReader(bytes.subarray(pos + 4, bodyEnd), 'RTCP', pos + 4);
    packets.push(parsePacket(packetType, b0 & 0x1f, body));
    pos += packetBytes;
  }
  return packets;
}

function parsePacket(packetType: number, count: number, body: ByteReader): RtcpPacket {
  switch (packetType) {
    case RtcpPacketType.SR:
      return parseSenderReport(count, body);
    case RtcpPacketType.RR:
      return parseReceiverReport(count, body);
    case RtcpPacketType.SDES:
      return parseSourceDescription(count, body);
    case RtcpPacketType.BYE:
      return parseBye(count, body);
    default:
      return { type: 'unknown', packetType, count, body: body.bytes(body.remaining, 'body') };
  }
}

function parseSenderReport(count: number, r: ByteReader): RtcpSenderReport {
  r.need(24 + count * 24, `sender report with ${count} report blocks`);
  const ssrc = r.u32('SSRC');
  const ntpSeconds = r.u32('NTP seconds');
  const ntpFraction = r.u32('NTP fraction');
  const rtpTimestamp = r.u32('RTP timestamp');
  const packetCount = r.u32('packet count');
  const octetCount = r.u32('octet count');
  const reportBlocks = parseReportBlocks(count, r);
  const profileExtension = r.bytes(r.remaining, 'profile extension');
  return {
    type: 'sr',
    ssrc,
    ntpSeconds,
    ntpFraction,
    rtpTimestamp,
    packetCount,
    octetCount,
    reportBlocks,
    profileExtension,
  };
}

function parseReceiverReport(count: number, r: ByteReader): RtcpReceiverReport {
  r.need(4 + count * 24, `receiver report with ${count} report blocks`);
  const ssrc = r.u32('SSRC');
  const reportBlocks = parseReportBlocks(count, r);
  const profileExtension = r.bytes(r.remaining, 'profile extension');
  return { type: 'rr', ssrc, reportBlocks, profileExtension };
}

function parseReportBlocks(count: number, r: ByteReader): RtcpReportBlock[] {
  const blocks: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const ssrc = r.u32('report block SSRC');
    const lossWord = r.u32('report block loss');
    const lost24 = lossWord & 0xff_ffff;
    blocks.push({
      ssrc,
      fractionLost: lossWord >>> 24,
      cumulativeLost: lost24 & 0x80_0000 ? lost24 - 0x100_0000 : lost24,
      highestSequence: r.u32('extended highest sequence number'),
      jitter: r.u32('jitter'),
      lastSr: r.u32('LSR'),
      delaySinceLastSr: r.u32('DLSR'),
    });
  }
  return blocks;
}

function parseSourceDescription(count: number, r: ByteReader): RtcpSourceDescription {
  const chunks: RtcpSdesChunk[] = [];
  for (let i = 0; i < count; i++) {
    const ssrc = r.u32(`SDES chunk ${i} SSRC`);
    const items: RtcpSdesItem[] = [];
    for (;;) {
      const type = r.u8(`SDES chunk ${i} item type (chunk ends without an END item)`);
      if (type === 0) break;
      const length = r.u8('SDES item length');
      const data = r.bytes(length, `SDES item ${type}`);
      items.push({ type, text: utf8.decode(data), data });
    }
    skipToWordBoundary(r);
    chunks.push({ ssrc, items });
  }
  if (r.remaining > 0) throw r.error(`${r.remaining} bytes after the last of ${count} SDES chunks`);
  return { type: 'sdes', chunks };
}

function parseBye(count: number, r: ByteReader): RtcpBye {
  r.need(count * 4, `BYE with ${count} SSRCs`);
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(r.u32('BYE SSRC'));
  let reason: string | undefined;
  if (r.remaining > 0) {
    const length = r.u8('BYE reason length');
    reason = utf8.decode(r.bytes(length, 'BYE reason'));
    skipToWordBoundary(r);
    if (r.remaining > 0) throw r.error(`${r.remaining} bytes after the BYE reason`);
  }
  return { type: 'bye', ssrcs, reason };
}

/**
 * Skips the null bytes that pad to the next 32-bit boundary (bodies start on one), without
 * checking their value: rtptools writes non-zero SDES padding. Stops early at the end of a
 * body that P-padding shortened.
 */
function skipToWordBoundary(r: ByteReader): void {
  const gap = (4 - (r.position % 4)) % 4;
  r.skip(Math.min(gap, r.remaining), 'padding');
}

// One entry point for RTCP: the values, the serializers and the NTP helpers.
export { RtcpPacketType, SdesItemType } from './rtcp-types.js';
export type {
  RtcpBye,
  RtcpByeInit,
  RtcpPacket,
  RtcpPacketInit,
  RtcpReceiverReport,
  RtcpReceiverReportInit,
  RtcpReportBlock,
  RtcpSdesChunk,
  RtcpSdesItem,
  RtcpSdesItemInit,
  RtcpSenderReport,
  RtcpSenderReportInit,
  RtcpSourceDescription,
  RtcpSourceDescriptionInit,
  RtcpUnknownPacket,
} from './rtcp-types.js';
export { serializeRtcpCompound, serializeRtcpPacket } from './rtcp-serialize.js';
export type { SerializeRtcpOptions } from './rtcp-serialize.js';
export { ntpToUnixMs, unixMsToNtp, NTP_UNIX_OFFSET_SECONDS } from './ntp-time.js';
export type { NtpTimestamp } from './ntp-time.js';
