import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRtcpCompound } from '../../src/rtp/rtcp.js';
import { serializeRtcpCompound } from '../../src/rtp/rtcp-serialize.js';
import type { RtcpPacket } from '../../src/rtp/rtcp-types.js';
import { RtpdumpParser } from '../../src/rtpdump/core/rtpdump-parser.js';
import { readBark } from '../rtpdump/bark-fixture.js';
import { FUZZ_RUNS, mutated, outcome, regressionInputs } from './rtp-fuzz-support.js';

/** parseRtcpCompound; when it succeeds, what it returned serializes and parses again. */
function check(bytes: Uint8Array): void {
  const result = outcome(() => parseRtcpCompound(bytes));
  if (!result.ok) return;
  const packets = result.value as RtcpPacket[];
  expect(packets.length).toBeGreaterThan(0);
  // SDES text is re-encoded from the decoded data bytes, so values survive a second trip
  const again = outcome(() => parseRtcpCompound(serializeRtcpCompound(packets)));
  expect(again.ok).toBe(true);
  if (again.ok)
    expect((again.value as RtcpPacket[]).map((p) => p.type)).toEqual(packets.map((p) => p.type));
}

let seeds: Uint8Array[];
beforeAll(async () => {
  const records = new RtpdumpParser().push(await readBark());
  const block = {
    ssrc: 1,
    fractionLost: 3,
    cumulativeLost: -7,
    highestSequence: 70000,
    jitter: 9,
    lastSr: 10,
    delaySinceLastSr: 11,
  };
  seeds = [
    records.find((r) => r.isRtcp)!.packet,
    serializeRtcpCompound(
      [
        { type: 'rr', ssrc: 5, reportBlocks: [block, block] },
        {
          type: 'sdes',
          chunks: [
            {
              ssrc: 5,
              items: [
                { type: 1, text: 'user@host' },
                { type: 8, text: '\u0003abcdef' },
              ],
            },
            { ssrc: 6, items: [] },
          ],
        },
        { type: 'bye', ssrcs: [5, 6], reason: 'done' },
      ],
      { paddingLength: 8 },
    ),
    serializeRtcpCompound([
      {
        type: 'sr',
        ssrc: 1,
        ntpSeconds: 2,
        ntpFraction: 3,
        rtpTimestamp: 4,
        packetCount: 5,
        octetCount: 6,
        reportBlocks: [block],
        profileExtension: new Uint8Array(8),
      },
      {
        type: 'unknown',
        packetType: 204,
        count: 1,
        body: Uint8Array.of(0, 0, 0, 1, 0x61, 0x62, 0x63, 0x64),
      },
      { type: 'unknown', packetType: 206, count: 15, body: new Uint8Array(12) },
    ]),
  ];
});

describe('parseRtcpCompound() fuzz', () => {
  it('returns packets or throws ParseError for arbitrary bytes', () => {
    const header = fc.tuple(
      fc.integer({ min: 0x80, max: 0xbf }),
      fc.integer({ min: 198, max: 207 }),
      fc.nat({ max: 40 }),
    );
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      // a plausible common header (version 2, RTCP types, small length) in front of random bytes
      fc
        .tuple(header, fc.uint8Array({ maxLength: 160 }))
        .map(([[b0, pt, words], rest]) => Uint8Array.of(b0, pt, 0, words, ...rest)),
    );
    fc.assert(fc.property(bytes, check), { seed: 0x5243, numRuns: FUZZ_RUNS });
  });

  it('returns packets or throws ParseError for mutated valid compounds', () => {
    fc.assert(fc.property(mutated(seeds), check), { seed: 0x5244, numRuns: FUZZ_RUNS });
  });

  it('replays every saved crashing input in test/fuzz/regressions/rtcp/', () => {
    for (const { bytes } of regressionInputs('rtcp')) check(bytes);
  });
});
