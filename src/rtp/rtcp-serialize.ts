/**
 * RTCP serializers: SR, RR, SDES, BYE and opaque packets (APP and others), alone or as a
 * compound. Output parses back with `parseRtcpCompound` to the same values.
 * Wire layouts: see rtcp.ts.
 * @see RFC 3550 §6.4–§6.7
 */
import { RtcpPacketType } from './rtcp-types.js';
import type {
  RtcpByeInit,
  RtcpPacketInit,
  RtcpReceiverReportInit,
  RtcpReportBlock,
  RtcpSenderReportInit,
  RtcpSourceDescriptionInit,
  RtcpUnknownPacket,
} from './rtcp-types.js';

const utf8 = new TextEncoder();
const MAX_PACKET_BYTES = 0x1_0000 * 4;

export type SerializeRtcpOptions = {
  /**
   * Padding bytes appended to the packet (the last packet of a compound), count byte
   * included: 0 (default) or a multiple of 4 in 4..252, so lengths stay whole words.
   */
  readonly paddingLength?: number;
};

/** Serializes one RTCP packet. Throws `RangeError` naming the field that does not fit. */
export function serializeRtcpPacket(
  packet: RtcpPacketInit,
  options: SerializeRtcpOptions = {},
): Uint8Array {
  const paddingLength = options.paddingLength ?? 0;
  if (
    !Number.isInteger(paddingLength) ||
    paddingLength < 0 ||
    paddingLength > 252 ||
    paddingLength % 4 !== 0
  ) {
    throw new RangeError(
      `options.paddingLength must be 0 or a multiple of 4 in 4..252, got ${paddingLength}`,
    );
  }
  const [packetType, count, body] = encodeBody(packet);
  const size = 4 + body.byteLength + paddingLength;
  if (size > MAX_PACKET_BYTES)
    throw new RangeError(`packet is ${size} bytes, more than RTCP's ${MAX_PACKET_BYTES}`);
  const out = new Uint8Array(size);
  out[0] = 0x80 | (paddingLength > 0 ? 0x20 : 0) | count;
  out[1] = packetType;
  new DataView(out.buffer).setUint16(2, size / 4 - 1);
  out.set(body, 4);
  if (paddingLength > 0) out[size - 1] = paddingLength;
  return out;
}

/**
 * Serializes packets back to back into one compound packet; `options.paddingLength` pads
 * the last one (RFC 3550 §6.4.1: only the last packet of a compound is padded).
 */
export function serializeRtcpCompound(
  packets: readonly RtcpPacketInit[],
  options: SerializeRtcpOptions = {},
): Uint8Array {
  if (packets.length === 0) throw new RangeError('packets must hold at least one RTCP packet');
  return concat(
    packets.map((p, i) => serializeRtcpPacket(p, i === packets.length - 1 ? options : {})),
  );
}

function encodeBody(packet: RtcpPacketInit): [packetType: number, count: number, body: Uint8Array] {
  switch (packet.type) {
    case 'sr':
      return [RtcpPacketType.SR, blockCount(packet.reportBlocks), senderReportBody(packet)];
    case 'rr':
      return [RtcpPacketType.RR, blockCount(packet.reportBlocks), receiverReportBody(packet)];
    case 'sdes':
      return [RtcpPacketType.SDES, listCount('chunks', packet.chunks.length), sdesBody(packet)];
    case 'bye':
      return [RtcpPacketType.BYE, listCount('ssrcs', packet.ssrcs.length), byeBody(packet)];
    case 'unknown':
      return unknownBody(packet);
  }
}

function senderReportBody(sr: RtcpSenderReportInit): Uint8Array {
  const blocks = sr.reportBlocks ?? [];
  const ext = wordAligned('profileExtension', sr.profileExtension);
  const out = new Uint8Array(24 + blocks.length * 24 + ext.byteLength);
  const view = new DataView(out.buffer);
  const fields = [
    'ssrc',
    'ntpSeconds',
    'ntpFraction',
    'rtpTimestamp',
    'packetCount',
    'octetCount',
  ] as const;
  fields.forEach((name, i) => view.setUint32(i * 4, u32(name, sr[name])));
  writeReportBlocks(view, 24, blocks);
  out.set(ext, 24 + blocks.length * 24);
  return out;
}

function receiverReportBody(rr: RtcpReceiverReportInit): Uint8Array {
  const blocks = rr.reportBlocks ?? [];
  const ext = wordAligned('profileExtension', rr.profileExtension);
  const out = new Uint8Array(4 + blocks.length * 24 + ext.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, u32('ssrc', rr.ssrc));
  writeReportBlocks(view, 4, blocks);
  out.set(ext, 4 + blocks.length * 24);
  return out;
}

function writeReportBlocks(
  view: DataView,
  start: number,
  blocks: readonly RtcpReportBlock[],
): void {
  blocks.forEach((b, i) => {
    const at = start + i * 24;
    const name = `reportBlocks[${i}]`;
    const fraction = uint(`${name}.fractionLost`, b.fractionLost, 0xff);
    const lost = b.cumulativeLost;
    if (!Number.isInteger(lost) || lost < -0x80_0000 || lost > 0x7f_ffff) {
      throw new RangeError(`${name}.cumulativeLost must be a signed 24-bit integer, got ${lost}`);
    }
    view.setUint32(at, u32(`${name}.ssrc`, b.ssrc));
    view.setUint32(at + 4, ((fraction << 24) | (lost & 0xff_ffff)) >>> 0);
    view.setUint32(at + 8, u32(`${name}.highestSequence`, b.highestSequence));
    view.setUint32(at + 12, u32(`${name}.jitter`, b.jitter));
    view.setUint32(at + 16, u32(`${name}.lastSr`, b.lastSr));
    view.setUint32(at + 20, u32(`${name}.delaySinceLastSr`, b.delaySinceLastSr));
  });
}

function sdesBody(sdes: RtcpSourceDescriptionInit): Uint8Array {
  const encoded = sdes.chunks.map((chunk, c) => {
    const items = chunk.items.map((item, i) => {
      uint(`chunks[${c}].items[${i}].type`, item.type, 0xff);
      if (item.type === 0)
        throw new RangeError(`chunks[${c}].items[${i}].type must be 1..255 (0 is END)`);
      const data =
        'data' in item && item.data !== undefined
          ? item.data
          : utf8.encode('text' in item ? item.text : '');
      if (data.byteLength > 255) {
        throw new RangeError(
          `chunks[${c}].items[${i}] is ${data.byteLength} bytes, at most 255 fit`,
        );
      }
      return { type: item.type, data };
    });
    // SSRC, items, END, then nulls to the next 32-bit boundary.
    const used = 4 + items.reduce((n, it) => n + 2 + it.data.byteLength, 0) + 1;
    const out = new Uint8Array(Math.ceil(used / 4) * 4);
    new DataView(out.buffer).setUint32(0, u32(`chunks[${c}].ssrc`, chunk.ssrc));
    let pos = 4;
    for (const it of items) {
      out[pos] = it.type;
      out[pos + 1] = it.data.byteLength;
      out.set(it.data, pos + 2);
      pos += 2 + it.data.byteLength;
    }
    return out;
  });
  return concat(encoded);
}

function byeBody(bye: RtcpByeInit): Uint8Array {
  const reason = bye.reason === undefined ? undefined : utf8.encode(bye.reason);
  if (reason !== undefined && reason.byteLength > 255) {
    throw new RangeError(`reason is ${reason.byteLength} bytes of UTF-8, at most 255 fit`);
  }
  const ssrcBytes = bye.ssrcs.length * 4;
  const size = ssrcBytes + (reason === undefined ? 0 : Math.ceil((1 + reason.byteLength) / 4) * 4);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  bye.ssrcs.forEach((ssrc, i) => view.setUint32(i * 4, u32(`ssrcs[${i}]`, ssrc)));
  if (reason !== undefined) {
    out[ssrcBytes] = reason.byteLength;
    out.set(reason, ssrcBytes + 1);
  }
  return out;
}

function unknownBody(p: RtcpUnknownPacket): [number, number, Uint8Array] {
  uint('packetType', p.packetType, 0xff);
  uint('count', p.count, 0x1f);
  return [p.packetType, p.count, wordAligned('body', p.body)];
}

function blockCount(blocks: readonly RtcpReportBlock[] | undefined): number {
  return listCount('reportBlocks', blocks?.length ?? 0);
}

function listCount(name: string, n: number): number {
  if (n > 31) throw new RangeError(`${name} holds ${n} entries, at most 31 fit the 5-bit count`);
  return n;
}

function wordAligned(name: string, bytes: Uint8Array | undefined): Uint8Array {
  const b = bytes ?? new Uint8Array(0);
  if (b.byteLength % 4 !== 0)
    throw new RangeError(`${name} is ${b.byteLength} bytes, must be a multiple of 4`);
  return b;
}

function u32(name: string, value: number): number {
  return uint(name, value, 0xffff_ffff);
}

function uint(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
  return value;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}
