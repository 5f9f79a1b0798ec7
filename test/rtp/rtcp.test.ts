import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { isRtcpPacket, parseRtcpCompound } from '../../src/rtp/rtcp.js';
import { serializeRtcpCompound, serializeRtcpPacket } from '../../src/rtp/rtcp-serialize.js';
import type { RtcpPacket, RtcpPacketInit, RtcpReportBlock } from '../../src/rtp/rtcp-types.js';

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
}

function parseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ParseError);
    return error as ParseError;
  }
  throw new TypeError('expected a ParseError, nothing was thrown');
}

/** Byte arrays as plain number arrays, so values compare across Uint8Array views. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)),
  );
}

/** The RTCP record of rtptools-bark.rtp (file bytes 231..302): SR + SDES (CNAME, NAME). */
const BARK_RTCP = hex(
  '80c80006 00059c72 bcd2bff7 d7e6b8c9 edc34d54 00000001 000000a0' +
    '81ca000a 00059c72 0115 676f6f645f646f6740636f6c756d6269612e656475 0208 6e6963655f646f67 0000c8',
);

describe('parseRtcpCompound()', () => {
  it('reads the SR and SDES that rtptools wrote, non-zero chunk padding included', () => {
    const [sr, sdes, ...rest] = parseRtcpCompound(BARK_RTCP);
    expect(rest).toEqual([]);
    expect(sr).toMatchObject({
      type: 'sr',
      ssrc: 0x00059c72,
      ntpSeconds: 0xbcd2bff7,
      ntpFraction: 0xd7e6b8c9,
      rtpTimestamp: 0xedc34d54,
      packetCount: 1,
      octetCount: 160,
      reportBlocks: [],
    });
    expect(sdes).toMatchObject({
      type: 'sdes',
      chunks: [
        {
          ssrc: 0x00059c72,
          items: [
            { type: 1, text: 'good_dog@columbia.edu' },
            { type: 2, text: 'nice_dog' },
          ],
        },
      ],
    });
  });

  it('reads report blocks, a negative cumulative loss and a profile extension in an RR', () => {
    const bytes = hex(
      '81c90009 11111111' + // RR, RC=1, 10 words
        '22222222 40fffffe 0001ffff 00000010 12345678 00010000' + // block: 25 % lost, −2 cumulative
        'cafebabe 0badf00d', // profile-specific extension
    );
    const [rr] = parseRtcpCompound(bytes);
    expect(plain(rr)).toEqual({
      type: 'rr',
      ssrc: 0x11111111,
      reportBlocks: [
        {
          ssrc: 0x22222222,
          fractionLost: 64,
          cumulativeLost: -2,
          highestSequence: 0x0001ffff,
          jitter: 16,
          lastSr: 0x12345678,
          delaySinceLastSr: 65536,
        },
      ],
      profileExtension: [0xca, 0xfe, 0xba, 0xbe, 0x0b, 0xad, 0xf0, 0x0d],
    });
  });

  it('reads BYE with and without a reason, and APP as an unknown packet', () => {
    expect(parseRtcpCompound(hex('82cb0002 00000001 00000002'))).toEqual([
      { type: 'bye', ssrcs: [1, 2], reason: undefined },
    ]);
    // one SSRC, reason length 4 "bye!", 3 bytes to the 32-bit boundary
    expect(parseRtcpCompound(hex('81cb0003 00000003 04627965 21000000'))).toEqual([
      { type: 'bye', ssrcs: [3], reason: 'bye!' },
    ]);
    const app = hex('85cc0003 00000009 6e616d65 01020304'); // subtype 5, SSRC, name "name", data
    expect(plain(parseRtcpCompound(app))).toEqual([
      {
        type: 'unknown',
        packetType: 204,
        count: 5,
        body: [0, 0, 0, 9, 0x6e, 0x61, 0x6d, 0x65, 1, 2, 3, 4],
      },
    ]);
  });

  it('removes padding (P bit) before reading the body', () => {
    const bytes = hex('a1cb0003 00000007 00000000 00000008'); // BYE, 1 SSRC, 8 bytes of padding
    expect(parseRtcpCompound(bytes)).toEqual([{ type: 'bye', ssrcs: [7], reason: undefined }]);
    const app = hex('a0cc0002 00000009 00000004'); // APP with 4 bytes of padding
    expect(plain(parseRtcpCompound(app))).toEqual([
      { type: 'unknown', packetType: 204, count: 0, body: [0, 0, 0, 9] },
    ]);
  });

  it('throws at the bad byte: empty input, version, length, leftovers, padding', () => {
    expect(parseError(() => parseRtcpCompound(new Uint8Array(0))).offset).toBe(0);
    expect(parseError(() => parseRtcpCompound(hex('40c80000'))).message).toMatch(/version is 1/);
    expect(parseError(() => parseRtcpCompound(hex('80cb0001 000000')))).toMatchObject({
      offset: 2,
    });
    expect(parseError(() => parseRtcpCompound(hex('80cb0000 80cb')))).toMatchObject({ offset: 4 });
    expect(parseError(() => parseRtcpCompound(hex('a0cb0000')))).toMatchObject({ offset: 3 }); // padding 0
    expect(parseError(() => parseRtcpCompound(hex('a0cc0001 00000005')))).toMatchObject({
      offset: 7,
    }); // > body
    expect(parseError(() => parseRtcpCompound(hex('a0cc0002 00000009 00000003')))).toMatchObject({
      offset: 11,
    }); // not × 4
  });

  it('throws when a body is shorter than its count says', () => {
    expect(
      parseError(() =>
        parseRtcpCompound(hex('80c80005 00000000 00000000 00000000 00000000 00000000')),
      ),
    ).toMatchObject({
      offset: 4,
      format: 'RTCP',
    });
    expect(parseError(() => parseRtcpCompound(hex('81c90001 00000001')))).toMatchObject({
      offset: 4,
    });
    expect(parseError(() => parseRtcpCompound(hex('82cb0001 00000001')))).toMatchObject({
      offset: 4,
    });
    // SDES chunk whose item runs past the body, and one without an END item
    expect(parseError(() => parseRtcpCompound(hex('81ca0002 00000001 01080000')))).toMatchObject({
      offset: 10,
    });
    expect(parseError(() => parseRtcpCompound(hex('81ca0002 00000001 01026869')))).toMatchObject({
      offset: 12,
    });
    // BYE reason longer than the body; bytes after the reason; bytes after the SDES chunks
    expect(parseError(() => parseRtcpCompound(hex('81cb0002 00000001 09616263')))).toMatchObject({
      offset: 9,
    });
    expect(
      parseError(() => parseRtcpCompound(hex('81cb0003 00000001 01610000 00000000'))),
    ).toMatchObject({ offset: 12 });
    expect(parseError(() => parseRtcpCompound(hex('80ca0001 00000000')))).toMatchObject({
      offset: 4,
    });
  });
});

describe('isRtcpPacket()', () => {
  it('tells RTCP from RTP by the second byte once the version is 2 (RFC 5761 §4)', () => {
    expect(isRtcpPacket(BARK_RTCP)).toBe(true);
    expect(isRtcpPacket(hex('8080d519'))).toBe(false); // PCMU with marker: 128
    expect(isRtcpPacket(hex('80c0'))).toBe(true); // 192
    expect(isRtcpPacket(hex('80df'))).toBe(true); // 223
    expect(isRtcpPacket(hex('80bf'))).toBe(false);
    expect(isRtcpPacket(hex('80e0'))).toBe(false);
    expect(isRtcpPacket(hex('40c8'))).toBe(false); // version 1
    expect(isRtcpPacket(hex('80'))).toBe(false);
  });
});

const u32 = fc.nat({ max: 0xffff_ffff });
const reportBlock: fc.Arbitrary<RtcpReportBlock> = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x80_0000, max: 0x7f_ffff }),
  highestSequence: u32,
  jitter: u32,
  lastSr: u32,
  delaySinceLastSr: u32,
});
const words = fc
  .integer({ min: 0, max: 4 })
  .chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 }));
const text = fc.string({ unit: 'binary', maxLength: 60 }); // ≤ 240 bytes of UTF-8

const rtcpPacket: fc.Arbitrary<RtcpPacketInit> = fc.oneof(
  fc.record({
    type: fc.constant('sr' as const),
    ssrc: u32,
    ntpSeconds: u32,
    ntpFraction: u32,
    rtpTimestamp: u32,
    packetCount: u32,
    octetCount: u32,
    reportBlocks: fc.array(reportBlock, { maxLength: 31 }),
    profileExtension: words,
  }),
  fc.record({
    type: fc.constant('rr' as const),
    ssrc: u32,
    reportBlocks: fc.array(reportBlock, { maxLength: 31 }),
    profileExtension: words,
  }),
  fc.record({
    type: fc.constant('sdes' as const),
    chunks: fc.array(
      fc.record({
        ssrc: u32,
        items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 255 }), text }), {
          maxLength: 5,
        }),
      }),
      { maxLength: 31 },
    ),
  }),
  fc.record({
    type: fc.constant('bye' as const),
    ssrcs: fc.array(u32, { maxLength: 31 }),
    reason: fc.option(text, { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('unknown' as const),
    packetType: fc.integer({ min: 204, max: 223 }),
    count: fc.integer({ min: 0, max: 31 }),
    body: words,
  }),
);

describe('serializeRtcpCompound()', () => {
  it('round-trips arbitrary SR, RR, SDES, BYE and APP compounds, padded or not', () => {
    fc.assert(
      fc.property(
        fc.array(rtcpPacket, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 63 }),
        (packets, pad) => {
          const bytes = serializeRtcpCompound(packets, { paddingLength: pad * 4 });
          const parsed: RtcpPacket[] = parseRtcpCompound(bytes);
          const expected = packets.map((p) =>
            p.type === 'sdes'
              ? {
                  type: 'sdes',
                  chunks: p.chunks.map((c) => ({
                    ssrc: c.ssrc,
                    items: c.items.map((i) => ({
                      ...i,
                      data: new TextEncoder().encode('text' in i ? i.text : ''),
                    })),
                  })),
                }
              : p,
          );
          expect(plain(parsed)).toEqual(plain(expected));
          // and a parsed compound serializes back to the same bytes (padding aside)
          expect(serializeRtcpCompound(parsed)).toEqual(serializeRtcpCompound(packets));
        },
      ),
      { seed: 5761, numRuns: 1000 },
    );
  });

  it('reproduces rtptools\u2019 SR exactly and its SDES with zeroed padding', () => {
    const parsed = parseRtcpCompound(BARK_RTCP);
    const expected = BARK_RTCP.slice();
    expected[expected.length - 1] = 0;
    expect(serializeRtcpCompound(parsed)).toEqual(expected);
  });

  it('throws RangeError naming what does not fit', () => {
    const bye = { type: 'bye' as const, ssrcs: [] };
    expect(() => serializeRtcpCompound([])).toThrow(RangeError);
    expect(() => serializeRtcpPacket({ ...bye, ssrcs: new Array<number>(32).fill(1) })).toThrow(
      /ssrcs/,
    );
    expect(() => serializeRtcpPacket({ ...bye, reason: 'x'.repeat(256) })).toThrow(/reason/);
    expect(() => serializeRtcpPacket(bye, { paddingLength: 3 })).toThrow(/paddingLength/);
    expect(() =>
      serializeRtcpPacket({ type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 0, text: '' }] }] }),
    ).toThrow(/type/);
    expect(() =>
      serializeRtcpPacket({
        type: 'rr',
        ssrc: 1,
        reportBlocks: [
          {
            ssrc: 1,
            fractionLost: 0,
            cumulativeLost: 0x80_0000,
            highestSequence: 0,
            jitter: 0,
            lastSr: 0,
            delaySinceLastSr: 0,
          },
        ],
      }),
    ).toThrow(/cumulativeLost/);
    expect(() =>
      serializeRtcpPacket({ type: 'unknown', packetType: 204, count: 0, body: new Uint8Array(5) }),
    ).toThrow(/body/);
  });
});
