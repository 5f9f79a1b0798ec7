/**
 * Test helpers: RTP packets built field by field (the project's RTP parser is written
 * elsewhere), ordered streams, a seeded PRNG, and a minimal RTP parser for capturing
 * ffmpeg's sender in tests.
 */
import type { RtpPacket } from '../../../../src/rtp/rtp-packet.js';
import type { OrderedPacket } from '../../../../src/media/types.js';

export type PacketFields = Partial<Omit<RtpPacket, 'version'>>;

/** An RtpPacket with defaults: PT 96, seq 0, ts 0, SSRC 0x1234, empty payload. */
export function rtp(fields: PacketFields = {}): RtpPacket {
  return {
    version: 2,
    marker: false,
    payloadType: 96,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0x1234,
    csrcs: [],
    extension: undefined,
    payload: new Uint8Array(0),
    paddingLength: 0,
    ...fields,
  };
}

export type StreamItem = {
  readonly payload: Uint8Array | readonly number[];
  readonly ts: number;
  readonly marker?: boolean;
  readonly payloadType?: number;
};

/** Ordered packets with consecutive extended sequence numbers from `firstSeq`. */
export function stream(items: readonly StreamItem[], firstSeq = 1000): OrderedPacket[] {
  return items.map((item, i) => ({
    packet: rtp({
      sequenceNumber: (firstSeq + i) & 0xffff,
      timestamp: item.ts >>> 0,
      marker: item.marker ?? false,
      payloadType: item.payloadType ?? 96,
      payload: Uint8Array.from(item.payload),
    }),
    extSeq: firstSeq + i,
    extTimestamp: item.ts,
    arrivalMs: i * 10,
  }));
}

/** Removes the packets at the given indexes (simulated loss; extSeq keeps its gaps). */
export function without<T>(items: readonly T[], ...indexes: number[]): T[] {
  return items.filter((_, i) => !indexes.includes(i));
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Minimal RTP parser for trusted test captures (RFC 3550 §5.1). */
export function parseRtpForTest(bytes: Uint8Array): RtpPacket {
  if (bytes.length < 12 || bytes[0]! >> 6 !== 2) throw new Error('not RTP');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cc = bytes[0]! & 0x0f;
  let pos = 12 + 4 * cc;
  let extension: RtpPacket['extension'];
  if ((bytes[0]! & 0x10) !== 0) {
    const words = view.getUint16(pos + 2);
    extension = {
      profile: view.getUint16(pos),
      data: bytes.subarray(pos + 4, pos + 4 + 4 * words),
    };
    pos += 4 + 4 * words;
  }
  const paddingLength = (bytes[0]! & 0x20) !== 0 ? bytes[bytes.length - 1]! : 0;
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(view.getUint32(12 + 4 * i));
  return {
    version: 2,
    marker: (bytes[1]! & 0x80) !== 0,
    payloadType: bytes[1]! & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    extension,
    payload: bytes.subarray(pos, bytes.length - paddingLength),
    paddingLength,
  };
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** MSB-first bit writer for building codec headers in tests (ue/se for H.264). */
export class BitWriter {
  readonly #bits: number[] = [];

  u(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) this.#bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    this.u(len, 0);
    return this.u(len + 1, v);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Bytes with a stop bit and zero padding (rbsp_trailing_bits). */
  bytes(trailing = true): Uint8Array {
    const bits = [...this.#bits];
    if (trailing) bits.push(1);
    while (bits.length % 8 !== 0) bits.push(0);
    const out = new Uint8Array(bits.length / 8);
    bits.forEach((b, i) => {
      out[i >> 3]! |= b << (7 - (i & 7));
    });
    return out;
  }
}
