/**
 * Fuzzing (fast-check, fixed seeds, ≥ 20 000 runs each): depacketizers and restorers never
 * throw on any packet sequence; they count instead. Seeds for mutation: helpers/fuzz-seeds.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDepacketizer } from '../../../src/media/depacketize/index.js';
import { RedUnwrapper } from '../../../src/media/depacketize/red.js';
import { RtxRestorer } from '../../../src/media/depacketize/rtx.js';
import type { CodecName, OrderedPacket } from '../../../src/media/types.js';
import { SEEDS } from './helpers/fuzz-seeds.js';
import { rtp } from './helpers/rtp.js';

const RUNS = 20_000;

/** A payload: random bytes, or a valid payload with a few bytes replaced and maybe truncated. */
function payloadArb(codec: CodecName): fc.Arbitrary<Uint8Array> {
  const seeds = SEEDS[codec];
  const mutated = fc
    .tuple(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([i, edits, cut]) => {
      const bytes = Uint8Array.from(seeds[i]!);
      for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
    });
  return fc.oneof(fc.uint8Array({ maxLength: 48 }), mutated);
}

/** A short packet sequence with mostly consecutive seqs, timestamps that repeat or step. */
function streamArb(codec: CodecName): fc.Arbitrary<OrderedPacket[]> {
  return fc
    .array(
      fc.record({
        payload: payloadArb(codec),
        marker: fc.boolean(),
        seqStep: fc.constantFrom(1, 1, 1, 1, 2, 5, 0, -1),
        tsStep: fc.constantFrom(0, 0, 3000, -3000),
      }),
      { minLength: 1, maxLength: 8 },
    )
    .map((items) => {
      let seq = 1000;
      let ts = 90_000;
      return items.map((item, i) => {
        seq += item.seqStep;
        ts += item.tsStep;
        return {
          packet: rtp({
            sequenceNumber: seq & 0xffff,
            timestamp: ts >>> 0,
            marker: item.marker,
            payload: item.payload,
          }),
          extSeq: seq,
          extTimestamp: ts,
          arrivalMs: i,
        };
      });
    });
}

describe('depacketizer fuzzing', () => {
  for (const codec of ['opus', 'VP8', 'VP9', 'H264', 'AV1'] as const) {
    it(`${codec}: ${RUNS} seeded random packet sequences never throw and every packet is counted`, () => {
      let emitted = 0;
      fc.assert(
        fc.property(streamArb(codec), (packets) => {
          const d = createDepacketizer(codec);
          const frames = [...packets.flatMap((p) => d.push(p)), ...d.flush()];
          // Plain checks: expect() per frame would dominate the run time.
          if (d.stats.received !== packets.length) return false;
          if (
            !frames.every((f) => f.data instanceof Uint8Array && Number.isFinite(f.timestampTicks))
          )
            return false;
          emitted += frames.length;
          return true;
        }),
        { seed: 0x5eed + codec.length, numRuns: RUNS },
      );
      // The mutated valid payloads reach the frame-emitting paths, not only the rejections.
      expect(emitted).toBeGreaterThan(RUNS / 100);
    });
  }

  it(`RtxRestorer and RedUnwrapper: ${RUNS} random packets never throw`, () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ pt: fc.constantFrom(96, 97, 63), payload: fc.uint8Array({ maxLength: 24 }) }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        (items) => {
          const rtx = new RtxRestorer({ payloadTypes: new Map([[97, 96]]) });
          const red = new RedUnwrapper({ redPayloadType: 63 });
          items.forEach((item, i) => {
            const packet = rtp({
              payloadType: item.pt,
              sequenceNumber: i,
              timestamp: i * 960,
              payload: item.payload,
            });
            for (const r of rtx.push({ packet, arrivalMs: i })) {
              red.push({
                packet: r.packet,
                extSeq: i + 10,
                extTimestamp: i * 960 + 5000,
                arrivalMs: i,
              });
            }
          });
          expect(rtx.stats.received).toBe(items.length);
        },
      ),
      { seed: 4588, numRuns: RUNS },
    );
  });
});
