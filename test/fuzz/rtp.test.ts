import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  headerExtensionForm,
  parseHeaderExtensionElements,
} from '../../src/rtp/header-extensions.js';
import { parseRtpPacket, serializeRtpPacket } from '../../src/rtp/rtp-packet.js';
import type { RtpPacket } from '../../src/rtp/rtp-packet.js';
import { RtpdumpParser } from '../../src/rtpdump/core/rtpdump-parser.js';
import { readBark } from '../rtpdump/bark-fixture.js';
import { FUZZ_RUNS, mutated, outcome, regressionInputs, toHex } from './rtp-fuzz-support.js';

/** parseRtpPacket and, when it succeeds with an RFC 8285 extension, the element parser. */
function check(bytes: Uint8Array): void {
  const result = outcome(() => parseRtpPacket(bytes));
  if (!result.ok) return;
  const p = result.value as RtpPacket;
  // zero-copy, in bounds, and the parts add up to the whole packet
  expect(p.payload.buffer).toBe(bytes.buffer);
  const extBytes = p.extension === undefined ? 0 : 4 + p.extension.data.byteLength;
  expect(12 + p.csrcs.length * 4 + extBytes + p.payload.byteLength + p.paddingLength).toBe(
    bytes.byteLength,
  );
  // re-serializing gives the same bytes, except padding content (the serializer writes zeros)
  const again = serializeRtpPacket(p);
  expect(again.byteLength).toBe(bytes.byteLength);
  const kept = bytes.byteLength - p.paddingLength;
  expect(toHex(again.subarray(0, kept))).toBe(toHex(bytes.subarray(0, kept)));
  if (p.extension !== undefined && headerExtensionForm(p.extension.profile) !== undefined) {
    outcome(() => parseHeaderExtensionElements(p.extension!));
  }
}

let seeds: Uint8Array[];
beforeAll(async () => {
  const records = new RtpdumpParser().push(await readBark());
  seeds = [
    ...records
      .filter((r) => !r.isRtcp)
      .slice(0, 3)
      .map((r) => r.packet),
    serializeRtpPacket({
      payloadType: 111,
      sequenceNumber: 65535,
      timestamp: 0xffff_ffff,
      ssrc: 1,
      csrcs: [2, 3],
      payload: new Uint8Array(20),
      paddingLength: 4,
    }),
    serializeRtpPacket({
      payloadType: 96,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      extension: { profile: 0xbede, data: Uint8Array.of(0x10, 0xaa, 0x21, 1, 2, 0, 0, 0) },
      payload: new Uint8Array(5),
    }),
    serializeRtpPacket({
      payloadType: 97,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      extension: { profile: 0x1000, data: Uint8Array.of(1, 2, 9, 9, 0, 5, 0, 0) },
      payload: new Uint8Array(0),
      paddingLength: 12,
    }),
  ];
});

describe('parseRtpPacket() fuzz', () => {
  it('returns a packet or throws ParseError for arbitrary bytes', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      // version 2 first byte, so the parse goes past the version check
      fc
        .tuple(fc.integer({ min: 0x80, max: 0xbf }), fc.uint8Array({ maxLength: 80 }))
        .map(([b0, rest]) => Uint8Array.of(b0, ...rest)),
    );
    fc.assert(fc.property(bytes, check), { seed: 0x5250, numRuns: FUZZ_RUNS });
  });

  it('returns a packet or throws ParseError for mutated valid packets', () => {
    fc.assert(fc.property(mutated(seeds), check), { seed: 0x5251, numRuns: FUZZ_RUNS });
  });

  it('replays every saved crashing input in test/fuzz/regressions/rtp/', () => {
    for (const { bytes } of regressionInputs('rtp')) check(bytes);
  });
});
