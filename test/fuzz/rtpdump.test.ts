import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { encodeRtpdumpPreamble } from '../../src/rtpdump/core/rtpdump-encode.js';
import { RtpdumpParser } from '../../src/rtpdump/core/rtpdump-parser.js';
import type { RtpdumpRecord } from '../../src/rtpdump/core/types.js';
import { readBark } from '../rtpdump/bark-fixture.js';
import { FUZZ_RUNS, mutated, outcome, regressionInputs } from './rtp-fuzz-support.js';

type Result = { records: RtpdumpRecord[]; errorOffset: number | undefined };

/** Pushes `bytes` cut at `cuts`, then ends; only ParseError may escape the parser. */
function run(bytes: Uint8Array, cuts: readonly number[]): Result {
  const parser = new RtpdumpParser();
  const records: RtpdumpRecord[] = [];
  let from = 0;
  const result = outcome(() => {
    for (const cut of [...cuts, bytes.byteLength]) {
      records.push(...parser.push(bytes.subarray(from, Math.max(from, cut))));
      from = Math.max(from, cut);
    }
    parser.end();
  });
  if (!result.ok) expect(result.error).toBeInstanceOf(ParseError);
  return { records, errorOffset: result.ok ? undefined : (result.error as ParseError).offset };
}

function summary(r: Result): unknown {
  return {
    error: r.errorOffset,
    records: r.records.map((x) => [
      x.fileOffset,
      x.offsetMs,
      x.isRtcp,
      x.originalLength,
      x.packet.byteLength,
    ]),
  };
}

/** Whole-buffer and chunked parses agree: same records before the error, same error offset. */
function check(bytes: Uint8Array, cuts: readonly number[]): void {
  const whole = run(bytes, []);
  const chunked = run(
    bytes,
    [...cuts].sort((a, b) => a - b),
  );
  expect(summary(chunked)).toEqual(summary(whole));
  for (const r of whole.records) {
    expect(r.fileOffset + 8 + r.packet.byteLength).toBeLessThanOrEqual(bytes.byteLength);
    if (r.isRtcp) expect(r.originalLength).toBe(r.packet.byteLength);
  }
}

let bark: Uint8Array;
let preamble: Uint8Array;
beforeAll(async () => {
  bark = await readBark();
  preamble = encodeRtpdumpPreamble({ address: '127.0.0.1', port: 5004, startSeconds: 1 });
});

const cuts = fc.array(fc.nat({ max: 3000 }), { maxLength: 8 });

describe('RtpdumpParser fuzz', () => {
  it('returns records or throws ParseError for arbitrary bytes, the same in any chunking', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // after a valid preamble, so the records path sees the random bytes
      fc.uint8Array({ maxLength: 300 }).map((rest) => Uint8Array.of(...preamble, ...rest)),
      fc
        .string({ maxLength: 40 })
        .map((s) => Uint8Array.from(`#!rtpplay1.0 ${s}`, (c) => c.charCodeAt(0) & 0xff)),
    );
    fc.assert(fc.property(bytes, cuts, check), { seed: 0x7264, numRuns: FUZZ_RUNS });
  });

  it('returns records or throws ParseError for mutated rtptools-bark.rtp, the same in any chunking', () => {
    // Mostly the preamble and the first records (where the structure is), sometimes the
    // whole file: each case stays cheap.
    const seeds = [bark.subarray(0, 303), bark.subarray(0, 483), bark.subarray(0, 303), bark];
    fc.assert(fc.property(mutated(seeds), cuts, check), { seed: 0x7265, numRuns: FUZZ_RUNS });
  });

  it('replays every saved crashing input in test/fuzz/regressions/rtpdump/', () => {
    for (const { bytes } of regressionInputs('rtpdump')) check(bytes, [1, 2, 3, 50]);
  });
});
