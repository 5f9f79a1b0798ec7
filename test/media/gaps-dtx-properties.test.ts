import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DtxFiller, type DtxOutput } from '../../src/media/gaps/dtx.js';
import { PACKETS, SAMPLES_48K, frame, run, summary, type In } from './gaps-dtx-helpers.js';

const CLOCK_RATES = [8000, 16_000, 44_100, 48_000, 90_000] as const;

type Step = { packet: number; seqStep: number; tsStep: number; arrivalStep: number };

const stepArb = (clean: boolean): fc.Arbitrary<Step> =>
  fc.record({
    packet: fc.integer({ min: 0, max: PACKETS.length - 1 }),
    seqStep: clean
      ? fc.integer({ min: 1, max: 4 })
      : fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -2, max: 40_000 })),
    // In units of 1/4 of a 20 ms packet at 48 kHz, scaled to the clock below.
    tsStep: clean
      ? fc.integer({ min: 1, max: 40 })
      : fc.oneof(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: -50, max: 0 }),
          fc.constant(2 ** 32),
          fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
        ),
    arrivalStep: fc.integer({ min: 0, max: 1000 }),
  });

function inputsFrom(clockRate: number, steps: readonly Step[]): In[] {
  let ts = 1_000_000;
  let seq = 5;
  let arrivalMs = 0;
  return steps.map((s, i) => {
    if (i > 0) {
      ts +=
        Math.abs(s.tsStep) >= 2 ** 32
          ? s.tsStep
          : Math.round((s.tsStep * 240 * clockRate) / 48_000);
      seq += s.seqStep;
      arrivalMs += s.arrivalStep;
    }
    return { ts, seq, data: PACKETS[s.packet]!, arrivalMs };
  });
}

/** Plain checks (thousands of frames per run): throws describing the first violation. */
function checkInvariants(out: readonly DtxOutput[]): void {
  // Start of the next real frame after each position (Infinity after the last one).
  const nextRealStart: number[] = new Array<number>(out.length);
  let next = Number.POSITIVE_INFINITY;
  for (let i = out.length - 1; i >= 0; i--) {
    nextRealStart[i] = next;
    if (!out[i]!.synthetic) next = out[i]!.frame.timestampTicks;
  }
  let previousRealEnd = Number.NEGATIVE_INFINITY;
  const fail = (i: number, what: string): never => {
    throw new Error(
      `output ${i}: ${what}: ${JSON.stringify(summary(out.slice(Math.max(0, i - 2), i + 2)))}`,
    );
  };
  for (const [i, o] of out.entries()) {
    const { timestampTicks: ts, durationTicks } = o.frame;
    if (i > 0 && !(ts > out[i - 1]!.frame.timestampTicks)) fail(i, 'timestamp does not increase');
    if (!(durationTicks >= 1)) fail(i, 'duration below one tick');
    if (o.synthetic) {
      // Inserted silence lies between the end of the real frame before it and the next one.
      if (ts < previousRealEnd) fail(i, 'silence overlaps the real frame before it');
      if (ts + durationTicks > nextRealStart[i]!)
        fail(i, 'silence overlaps the real frame after it');
    } else {
      previousRealEnd = ts + durationTicks;
    }
  }
}

describe('DtxFiller properties', () => {
  it('never throws; output timestamps strictly increase; silence never overlaps real frames; the span cap holds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLOCK_RATES),
        fc.array(stepArb(false), { minLength: 1, maxLength: 40 }),
        fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
        (clockRate, steps, maxSpanTicks) => {
          const options = maxSpanTicks === undefined ? { clockRate } : { clockRate, maxSpanTicks };
          const { out, filler } = run(inputsFrom(clockRate, steps), options);
          checkInvariants(out);
          if (maxSpanTicks !== undefined)
            expect(filler.stats.dtxTicksInserted).toBeLessThanOrEqual(maxSpanTicks);
          expect(filler.stats.framesOut).toBe(out.length);
        },
      ),
      { numRuns: 2000, seed: 7587 },
    );
  });

  it('without discontinuities, real frames keep their timestamps and the output spans at most the input span + the last duration', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLOCK_RATES),
        fc.array(stepArb(true), { minLength: 1, maxLength: 40 }),
        (clockRate, steps) => {
          const inputs = inputsFrom(clockRate, steps);
          const { out, filler } = run(inputs, { clockRate });
          checkInvariants(out);
          expect(filler.stats.discontinuities).toBe(0);
          expect(out.filter((o) => !o.synthetic).map((o) => o.frame.timestampTicks)).toEqual(
            inputs.map((i) => i.ts),
          );
          const last = out.at(-1)!.frame;
          const inputSpan = inputs.at(-1)!.ts - inputs[0]!.ts;
          expect(
            last.timestampTicks + last.durationTicks - out[0]!.frame.timestampTicks,
          ).toBeLessThanOrEqual(inputSpan + last.durationTicks);
        },
      ),
      { numRuns: 2000, seed: 6716 },
    );
  });

  it('a 2^32 timestamp glitch (one packet or the rest of the stream) inserts no more than the clean stream and spans at most two packets longer', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLOCK_RATES),
        fc.array(stepArb(true), { minLength: 3, maxLength: 30 }),
        fc.nat(),
        fc.boolean(),
        (clockRate, steps, at, persistent) => {
          const clean = inputsFrom(clockRate, steps);
          const k = 1 + (at % (clean.length - 1));
          const glitched = clean.map((i, n) =>
            n === k || (persistent && n > k) ? { ...i, ts: i.ts + 2 ** 32 } : i,
          );
          const a = run(clean, { clockRate });
          const b = run(glitched, { clockRate });
          checkInvariants(b.out);
          expect(b.filler.stats.discontinuities).toBeGreaterThanOrEqual(1);
          expect(b.filler.stats.dtxTicksInserted).toBeLessThanOrEqual(
            a.filler.stats.dtxTicksInserted,
          );
          const span = (out: readonly DtxOutput[]): number =>
            out.at(-1)!.frame.timestampTicks - out[0]!.frame.timestampTicks;
          // Each of the (at most two) collapsed jumps advances by seqDelta × packet duration,
          // which can exceed the clean spacing when packets overlap: ≤ 4 × 60 ms each.
          const slack = 2 * 4 * Math.round((2880 * clockRate) / 48_000);
          expect(span(b.out)).toBeLessThanOrEqual(span(a.out) + slack);
        },
      ),
      { numRuns: 2000, seed: 32 },
    );
  });
});

describe('DtxFiller sample counts', () => {
  it('PACKETS durations are what the test assumes', () => {
    const filler = new DtxFiller();
    PACKETS.forEach((data, i) => {
      const out = filler.push({ frame: frame(i * 10_000, data), extSeq: i + 1 });
      expect(out.at(-1)!.frame.durationTicks).toBe(SAMPLES_48K[i]);
    });
  });
});
