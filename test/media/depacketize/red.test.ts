import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { parseRedPayload, RedUnwrapper } from '../../../src/media/depacketize/red.js';
import type { OrderedPacket } from '../../../src/media/types.js';
import { rtp } from './helpers/rtp.js';

const RED = 63;
const OPUS = 111;

/** RED payload: redundant blocks (pt, ts offset, data) oldest first, then the primary. */
function redPayload(
  redundant: readonly { offset: number; data: number[] }[],
  primary: number[],
  pt = OPUS,
): Uint8Array {
  const out: number[] = [];
  for (const r of redundant)
    out.push(
      0x80 | pt,
      r.offset >> 6,
      ((r.offset & 0x3f) << 2) | (r.data.length >> 8),
      r.data.length & 0xff,
    );
  out.push(pt);
  for (const r of redundant) out.push(...r.data);
  out.push(...primary);
  return Uint8Array.from(out);
}

/** Opus-over-RED stream: packet i carries frame i (primary, 960 ticks) and frames i-1, i-2. */
function redStream(count: number, distance = 2, dtxAfter?: number): OrderedPacket[] {
  const tsOf = (i: number) =>
    1000 + i * 960 + (dtxAfter !== undefined && i > dtxAfter ? 48_000 : 0);
  const out: OrderedPacket[] = [];
  for (let i = 0; i < count; i++) {
    const redundant = [];
    for (let d = distance; d >= 1; d--) {
      if (i - d >= 0) redundant.push({ offset: tsOf(i) - tsOf(i - d), data: [0xf8, i - d] });
    }
    out.push({
      packet: rtp({
        payloadType: RED,
        sequenceNumber: 100 + i,
        timestamp: tsOf(i),
        payload: redPayload(redundant, [0xf8, i]),
      }),
      extSeq: 100 + i,
      extTimestamp: tsOf(i),
      arrivalMs: i * 20,
    });
  }
  return out;
}

function unwrapAll(red: RedUnwrapper, packets: readonly OrderedPacket[]): OrderedPacket[] {
  return packets.flatMap((p) => red.push(p));
}

describe('parseRedPayload()', () => {
  it('splits redundant blocks (14-bit offset, 10-bit length) and the primary', () => {
    const blocks = parseRedPayload(
      redPayload(
        [
          { offset: 0x3fff, data: new Array(700).fill(1) },
          { offset: 960, data: [2] },
        ],
        [3, 3],
      ),
    );
    expect(blocks.map((b) => [b.payloadType, b.timestampOffset, b.data.length, b.primary])).toEqual(
      [
        [OPUS, 0x3fff, 700, false],
        [OPUS, 960, 1, false],
        [OPUS, 0, 2, true],
      ],
    );
  });

  it('throws ParseError when a header or a block overruns the payload', () => {
    expect(() => parseRedPayload(new Uint8Array(0))).toThrow(ParseError);
    expect(() => parseRedPayload(Uint8Array.of(0x80 | OPUS, 0, 0))).toThrow(/4 bytes/);
    expect(() => parseRedPayload(Uint8Array.of(0x80 | OPUS, 0, 0, 9, OPUS, 1))).toThrow(ParseError);
  });
});

describe('RedUnwrapper', () => {
  it('emits only the primaries when nothing was lost (no duplicates from redundancy)', () => {
    const red = new RedUnwrapper({ redPayloadType: RED });
    const out = unwrapAll(red, redStream(6));
    expect(out.map((p) => p.packet.payload[1])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.every((p) => p.packet.payloadType === OPUS)).toBe(true);
    expect(red.stats.redRecovered).toBe(0);
  });

  it('recovers one and two lost packets from the next packet’s redundancy, with their timestamps and sequence numbers', () => {
    const packets = redStream(8);
    const red = new RedUnwrapper({ redPayloadType: RED });
    const out = unwrapAll(
      red,
      packets.filter((_, i) => i !== 2 && i !== 5 && i !== 6),
    );
    expect(out.map((p) => p.packet.payload[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(out.map((p) => p.extSeq)).toEqual(packets.map((p) => p.extSeq));
    expect(out.map((p) => p.extTimestamp)).toEqual(packets.map((p) => p.extTimestamp));
    expect(out.map((p) => p.packet.timestamp)).toEqual(packets.map((p) => p.packet.timestamp));
    expect(red.stats.redRecovered).toBe(3);
  });

  it('recovers only as far back as the redundancy reaches', () => {
    const red = new RedUnwrapper({ redPayloadType: RED });
    const out = unwrapAll(
      red,
      redStream(8, 1).filter((_, i) => i < 2 || i > 4),
    );
    expect(out.map((p) => p.packet.payload[1])).toEqual([0, 1, 4, 5, 6, 7]);
    expect(red.stats.redRecovered).toBe(1);
  });

  it('never re-emits a redundant block older than the last emitted packet (DTX jump)', () => {
    const red = new RedUnwrapper({ redPayloadType: RED });
    const out = unwrapAll(red, redStream(6, 2, 2));
    expect(out.map((p) => p.packet.payload[1])).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('drops malformed RED packets (counted) and recovers their primary from the next packet', () => {
    const packets = redStream(4);
    const broken = {
      ...packets[1]!,
      packet: { ...packets[1]!.packet, payload: Uint8Array.of(0x80 | OPUS, 0) },
    };
    const red = new RedUnwrapper({ redPayloadType: RED });
    const out = unwrapAll(red, [packets[0]!, broken, packets[2]!, packets[3]!]);
    expect(out.map((p) => p.packet.payload[1])).toEqual([0, 1, 2, 3]);
    expect(red.stats).toMatchObject({ framesDropped: 1, redRecovered: 1 });
  });

  it('ignores padding-only packets (counted) without mistaking them for loss, and passes other payload types through', () => {
    const red = new RedUnwrapper({ redPayloadType: RED });
    const padding: OrderedPacket = {
      packet: rtp({ payloadType: RED, sequenceNumber: 1 }),
      extSeq: 1,
      extTimestamp: 0,
      arrivalMs: 0,
    };
    const plain: OrderedPacket = {
      packet: rtp({ payloadType: OPUS, sequenceNumber: 2, payload: Uint8Array.of(1) }),
      extSeq: 2,
      extTimestamp: 960,
      arrivalMs: 0,
    };
    expect(red.push(padding)).toEqual([]);
    expect(red.push(plain)).toEqual([plain]);
    expect(red.stats).toMatchObject({ padding: 1, received: 2 });
    expect(red.redPayloadType).toBe(RED);
  });

  it('rejects a bad payload type option', () => {
    expect(() => new RedUnwrapper({ redPayloadType: 128 })).toThrow(/options\.redPayloadType/);
  });
});
