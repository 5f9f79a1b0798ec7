import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer, type ReceivedPacket } from '../../../src/media/reorder/reorder-buffer.js';
import type { OrderedPacket } from '../../../src/media/types.js';
import { rtp } from '../depacketize/helpers/rtp.js';

function input(seq: number, ts = seq * 10, arrivalMs = 0): ReceivedPacket {
  return { packet: rtp({ sequenceNumber: seq & 0xffff, timestamp: ts >>> 0 }), arrivalMs };
}

function run(buffer: ReorderBuffer, seqs: readonly number[]): OrderedPacket[] {
  const out: OrderedPacket[] = [];
  for (const s of seqs) out.push(...buffer.push(input(s)));
  out.push(...buffer.flush());
  return out;
}

const seqsOf = (out: readonly OrderedPacket[]): number[] => out.map((p) => p.packet.sequenceNumber);

describe('ReorderBuffer', () => {
  it('holds packets until the window fills, then releases them in sequence order', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 3 });
    expect(buffer.push(input(11))).toEqual([]);
    expect(buffer.push(input(10))).toEqual([]);
    expect(buffer.push(input(12))).toEqual([]);
    expect(seqsOf(buffer.push(input(13)))).toEqual([10, 11, 12, 13]);
    expect(seqsOf(buffer.push(input(14)))).toEqual([14]);
    expect(buffer.stats).toMatchObject({ received: 5, lost: 0, late: 0, duplicates: 0 });
  });

  it('puts packets reordered within the window back in order with consecutive extSeq', () => {
    const out = run(new ReorderBuffer({ maxDelayPackets: 4 }), [1, 3, 2, 5, 4, 7, 6, 8]);
    expect(seqsOf(out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out.map((p) => p.extSeq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => s + 0x1_0000));
  });

  it('drops duplicates, both held and already released, and counts them', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 2 });
    const out = run(buffer, [1, 2, 2, 3, 4, 1, 5]);
    expect(seqsOf(out)).toEqual([1, 2, 3, 4, 5]);
    expect(buffer.stats.duplicates).toBe(2);
    expect(buffer.stats.late).toBe(0);
  });

  it('declares a gap lost once a packet maxDelayPackets newer arrives, and counts the straggler late', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 3 });
    const out: OrderedPacket[] = [];
    for (const s of [1, 2, 4, 5]) out.push(...buffer.push(input(s)));
    expect(seqsOf(out)).toEqual([1, 2]);
    out.push(...buffer.push(input(6)));
    expect(seqsOf(out)).toEqual([1, 2, 4, 5, 6]);
    expect(buffer.stats.lost).toBe(1);
    expect(buffer.push(input(3))).toEqual([]);
    expect(buffer.stats).toMatchObject({ lost: 1, late: 1, duplicates: 0 });
  });

  it('flush() releases everything held and counts the gaps between held packets as lost', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 50 });
    const out = run(buffer, [5, 9, 7]);
    expect(seqsOf(out)).toEqual([5, 7, 9]);
    expect(buffer.stats.lost).toBe(2);
    expect(buffer.heldCount).toBe(0);
  });

  it('unwraps sequence numbers across 65535 → 0 without counting loss', () => {
    const seqs = [65530, 65531, 65533, 65532, 65534, 65535, 0, 2, 1, 3, 4];
    const buffer = new ReorderBuffer({ maxDelayPackets: 4 });
    const out = run(buffer, seqs);
    expect(seqsOf(out)).toEqual([65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4]);
    const ext = out.map((p) => p.extSeq);
    expect(ext).toEqual(ext.map((_, i) => 65530 + 0x1_0000 + i));
    expect(buffer.stats.lost).toBe(0);
  });

  it('unwraps timestamps across 2^32 with signed deltas, relative to the first packet', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 2 });
    const first = 0xffff_ffff - 5000;
    const out: OrderedPacket[] = [];
    for (let i = 0; i < 6; i++) out.push(...buffer.push(input(100 + i, first + i * 3000)));
    out.push(...buffer.flush());
    expect(out.map((p) => p.packet.timestamp)).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => (first + i * 3000) >>> 0),
    );
    expect(out.map((p) => p.extTimestamp - 0x1_0000_0000)).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => first + i * 3000),
    );
  });

  it('keeps timestamps that step backwards (B-frames) as negative deltas', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 1 });
    const out = [1, 2, 3].flatMap((s, i) => buffer.push(input(s, [9000, 3000, 6000][i])));
    out.push(...buffer.flush());
    expect(out.map((p) => p.extTimestamp - 0x1_0000_0000)).toEqual([9000, 3000, 6000]);
  });

  it('resynchronises on a sender restart (forward jump) instead of counting 60k losses', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 3 });
    const out = run(buffer, [100, 101, 102, 103, 104, 40000, 40001, 40002, 40003]);
    expect(seqsOf(out)).toEqual([100, 101, 102, 103, 104, 40000, 40001, 40002, 40003]);
    const ext = out.map((p) => p.extSeq);
    expect(ext.every((e, i) => i === 0 || e === ext[i - 1]! + 1)).toBe(true);
    expect(buffer.stats).toMatchObject({ lost: 0, late: 0 });
    expect(buffer.resyncs).toBe(1);
  });

  it('resynchronises on a backward restart and keeps extSeq increasing', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 3 });
    const out = run(buffer, [50000, 50001, 50002, 7, 8, 9, 10]);
    expect(seqsOf(out)).toEqual([50000, 50001, 50002, 7, 8, 9, 10]);
    const ext = out.map((p) => p.extSeq);
    expect(ext.every((e, i) => i === 0 || e > ext[i - 1]!)).toBe(true);
    expect(buffer.resyncs).toBe(1);
  });

  it('drops a lone stray packet far outside the window as late and carries on', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 3 });
    const out = run(buffer, [1, 2, 3, 30000, 4, 5, 6, 7]);
    expect(seqsOf(out)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(buffer.stats).toMatchObject({ late: 1, lost: 0 });
    expect(buffer.resyncs).toBe(0);
  });

  it('rebases timestamps on a restart by the arrival gap when clockRate is given', () => {
    const buffer = new ReorderBuffer({ maxDelayPackets: 1, clockRate: 90_000 });
    const out: OrderedPacket[] = [];
    out.push(...buffer.push(input(10, 1000, 0)));
    out.push(...buffer.push(input(11, 4000, 33)));
    out.push(...buffer.push(input(20000, 777_777, 133)));
    out.push(...buffer.push(input(20001, 780_777, 166)));
    out.push(...buffer.flush());
    const rel = out.map((p) => p.extTimestamp - out[0]!.extTimestamp);
    expect(rel).toEqual([0, 3000, 3000 + 9000, 3000 + 9000 + 3000]);
  });

  it('rejects bad options with a RangeError naming the option', () => {
    expect(() => new ReorderBuffer({ maxDelayPackets: 0 })).toThrow(/options\.maxDelayPackets/);
    expect(() => new ReorderBuffer({ maxDelayPackets: 10, resyncThreshold: 5 })).toThrow(
      /options\.resyncThreshold/,
    );
    expect(() => new ReorderBuffer({ resyncPackets: 0 })).toThrow(/options\.resyncPackets/);
    expect(() => new ReorderBuffer({ clockRate: -1 })).toThrow(RangeError);
  });
});

describe('ReorderBuffer properties (seeded)', () => {
  it('with random loss, reorder within the window and duplication: output is strictly increasing, holds exactly the unique received packets, and lost = missing count', () => {
    fc.assert(
      fc.property(
        fc.record({
          startSeq: fc.oneof(fc.constant(65500), fc.integer({ min: 0, max: 65535 })),
          startTs: fc.oneof(
            fc.constant(0xffff_ffff - 20_000),
            fc.integer({ min: 0, max: 0xffff_ffff }),
          ),
          count: fc.integer({ min: 1, max: 400 }),
          window: fc.integer({ min: 2, max: 100 }),
          seed: fc.integer(),
          lossRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          dupRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
        }),
        ({ startSeq, startTs, count, window, seed, lossRate, dupRate }) => {
          let state = seed >>> 0;
          const rand = (): number => {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            return state / 2 ** 32;
          };
          const step = 960;
          // Sent packets; some never arrive (but keep first and last to bound the count).
          const arrivals: { index: number; key: number }[] = [];
          for (let i = 0; i < count; i++) {
            const dropped = i !== 0 && i !== count - 1 && rand() < lossRate;
            if (dropped) continue;
            // Displacement below window/2 keeps every packet within the window.
            const jitter = i === 0 ? 0 : rand() * (window / 2);
            arrivals.push({ index: i, key: i + jitter });
            if (rand() < dupRate) arrivals.push({ index: i, key: i + rand() * (window / 2) });
          }
          arrivals.sort((a, b) => a.key - b.key);
          const buffer = new ReorderBuffer({ maxDelayPackets: window });
          const out: OrderedPacket[] = [];
          for (const a of arrivals) {
            const seq = (startSeq + a.index) & 0xffff;
            const ts = (startTs + a.index * step) >>> 0;
            out.push(
              ...buffer.push({
                packet: rtp({ sequenceNumber: seq, timestamp: ts }),
                arrivalMs: a.key,
              }),
            );
          }
          out.push(...buffer.flush());
          const unique = [...new Set(arrivals.map((a) => a.index))].sort((x, y) => x - y);
          for (let i = 1; i < out.length; i++)
            expect(out[i]!.extSeq).toBeGreaterThan(out[i - 1]!.extSeq);
          expect(out.map((p) => p.packet.sequenceNumber)).toEqual(
            unique.map((i) => (startSeq + i) & 0xffff),
          );
          expect(out.map((p) => p.extSeq - out[0]!.extSeq)).toEqual(unique);
          expect(out.map((p) => p.extTimestamp - out[0]!.extTimestamp)).toEqual(
            unique.map((i) => i * step),
          );
          expect(buffer.stats.lost).toBe(count - unique.length);
          expect(buffer.stats.late).toBe(0);
          expect(buffer.stats.duplicates).toBe(arrivals.length - unique.length);
          expect(buffer.stats.received).toBe(
            out.length + buffer.stats.duplicates + buffer.stats.late,
          );
        },
      ),
      { seed: 20260101, numRuns: 400 },
    );
  });

  it('any arrival sequence keeps the accounting invariant and never throws', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            seq: fc.integer({ min: 0, max: 65535 }),
            ts: fc.integer({ min: 0, max: 0xffff_ffff }),
          }),
          {
            maxLength: 200,
          },
        ),
        fc.integer({ min: 1, max: 64 }),
        (packets, window) => {
          const buffer = new ReorderBuffer({ maxDelayPackets: window });
          const out: OrderedPacket[] = [];
          for (const p of packets) {
            out.push(
              ...buffer.push({
                packet: rtp({ sequenceNumber: p.seq, timestamp: p.ts }),
                arrivalMs: 0,
              }),
            );
          }
          out.push(...buffer.flush());
          for (let i = 1; i < out.length; i++)
            expect(out[i]!.extSeq).toBeGreaterThan(out[i - 1]!.extSeq);
          const s = buffer.stats;
          expect(s.received).toBe(packets.length);
          expect(out.length + s.duplicates + s.late).toBe(packets.length);
        },
      ),
      { seed: 7, numRuns: 20_000 },
    );
  });
});
