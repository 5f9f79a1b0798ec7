import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { parseRtpPacket, serializeRtpPacket } from '../../src/rtp/rtp-packet.js';
import type { RtpPacketInit } from '../../src/rtp/rtp-packet.js';

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

// The first packet of rtptools-bark.rtp: PCMU, marker set, 160 bytes of payload.
const BARK_FIRST_HEADER = hex('8080 d519 edc34d40 00059c72');

describe('parseRtpPacket()', () => {
  it('reads the fixed header of a real PCMU packet', () => {
    const bytes = new Uint8Array(172);
    bytes.set(BARK_FIRST_HEADER);
    bytes.fill(0x55, 12);
    const p = parseRtpPacket(bytes);
    expect(p).toMatchObject({
      version: 2,
      marker: true,
      payloadType: 0,
      sequenceNumber: 54553,
      timestamp: 0xedc34d40,
      ssrc: 0x00059c72,
      csrcs: [],
      extension: undefined,
      paddingLength: 0,
    });
    expect(p.payload.byteLength).toBe(160);
  });

  it('returns payload and extension as zero-copy views of the input', () => {
    const bytes = serializeRtpPacket({
      payloadType: 111,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      extension: { profile: 0xbede, data: hex('10ff0000') },
      payload: hex('010203'),
    });
    const p = parseRtpPacket(bytes);
    expect(p.payload.buffer).toBe(bytes.buffer);
    expect(p.payload.byteOffset).toBe(bytes.byteOffset + 20);
    expect(p.extension?.data.buffer).toBe(bytes.buffer);
    expect(p.extension?.data.byteOffset).toBe(16);
  });

  it('reads CSRCs, a header extension and padding together', () => {
    const bytes = hex(
      'b2 e1 0102 00000003 00000004' + // V=2 P X CC=2, M PT=97
        '0a0b0c0d 0e0f1011' + // CSRCs
        '1000 0001 01020a0b' + // two-byte extension, 1 word
        'aabbcc' + // payload
        '000003', // padding: 3 bytes
    );
    const p = parseRtpPacket(bytes);
    expect(p.marker).toBe(true);
    expect(p.payloadType).toBe(97);
    expect(p.sequenceNumber).toBe(0x0102);
    expect(p.csrcs).toEqual([0x0a0b0c0d, 0x0e0f1011]);
    expect(p.extension?.profile).toBe(0x1000);
    expect([...p.extension!.data]).toEqual([1, 2, 10, 11]);
    expect([...p.payload]).toEqual([0xaa, 0xbb, 0xcc]);
    expect(p.paddingLength).toBe(3);
  });

  it('gives a padding-only packet an empty payload', () => {
    const bytes = hex('a0 00 0001 00000000 00000001  00000000 00000008');
    const p = parseRtpPacket(bytes);
    expect(p.payload.byteLength).toBe(0);
    expect(p.paddingLength).toBe(8);
  });

  it('throws at byte 0 for a packet shorter than the fixed header', () => {
    for (let n = 0; n < 12; n++)
      expect(parseError(() => parseRtpPacket(BARK_FIRST_HEADER.subarray(0, n))).offset).toBe(0);
  });

  it('throws at byte 0 for a version other than 2', () => {
    for (const b0 of [0x00, 0x40, 0xc0]) {
      const bytes = BARK_FIRST_HEADER.slice();
      bytes[0] = b0;
      const error = parseError(() => parseRtpPacket(bytes));
      expect(error.offset).toBe(0);
      expect(error.message).toMatch(/version/);
    }
  });

  it('throws at byte 12 when the CSRC list runs past the end', () => {
    const error = parseError(() =>
      parseRtpPacket(hex('83 00 0000 00000000 00000000 00000001 00000002')),
    );
    expect(error.offset).toBe(12);
    expect(error.format).toBe('RTP');
  });

  it('throws when the header extension header or body runs past the end', () => {
    expect(
      parseError(() => parseRtpPacket(hex('90 00 0000 00000000 00000000 bede'))),
    ).toMatchObject({ offset: 12 });
    expect(
      parseError(() => parseRtpPacket(hex('90 00 0000 00000000 00000000 bede0002 10ff0000'))),
    ).toMatchObject({ offset: 16 });
  });

  it('throws at the count byte when the padding count is 0 or larger than what follows the header', () => {
    expect(
      parseError(() => parseRtpPacket(hex('a0 00 0000 00000000 00000000 aabb00'))),
    ).toMatchObject({ offset: 14 });
    expect(
      parseError(() => parseRtpPacket(hex('a0 00 0000 00000000 00000000 aabb04'))),
    ).toMatchObject({ offset: 14 });
  });

  it('throws when the padding bit is set and no byte follows the header', () => {
    expect(parseError(() => parseRtpPacket(hex('a0 00 0000 00000000 00000000')))).toMatchObject({
      offset: 12,
    });
  });

  it('accepts a subarray input whose byteOffset is not 0', () => {
    const backing = new Uint8Array(64);
    backing.set(BARK_FIRST_HEADER, 7);
    const p = parseRtpPacket(backing.subarray(7, 7 + 20));
    expect(p.ssrc).toBe(0x00059c72);
    expect(p.payload.byteLength).toBe(8);
  });
});

const packetInit: fc.Arbitrary<RtpPacketInit> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.nat({ max: 0xffff_ffff }),
  ssrc: fc.nat({ max: 0xffff_ffff }),
  csrcs: fc.array(fc.nat({ max: 0xffff_ffff }), { maxLength: 15 }),
  extension: fc.option(
    fc.record({
      profile: fc.integer({ min: 0, max: 0xffff }),
      data: fc
        .integer({ min: 0, max: 8 })
        .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
    }),
    { nil: undefined },
  ),
  payload: fc.uint8Array({ maxLength: 300 }),
  paddingLength: fc.integer({ min: 0, max: 255 }),
});

describe('serializeRtpPacket()', () => {
  it('round-trips through parseRtpPacket() for arbitrary fields', () => {
    fc.assert(
      fc.property(packetInit, (init) => {
        const p = parseRtpPacket(serializeRtpPacket(init));
        expect(p.marker).toBe(init.marker);
        expect(p.payloadType).toBe(init.payloadType);
        expect(p.sequenceNumber).toBe(init.sequenceNumber);
        expect(p.timestamp).toBe(init.timestamp);
        expect(p.ssrc).toBe(init.ssrc);
        expect(p.csrcs).toEqual(init.csrcs);
        expect(p.extension?.profile).toBe(init.extension?.profile);
        expect(p.extension && [...p.extension.data]).toEqual(
          init.extension && [...init.extension.data],
        );
        expect([...p.payload]).toEqual([...init.payload]);
        expect(p.paddingLength).toBe(init.paddingLength);
      }),
      { seed: 3550, numRuns: 2000 },
    );
  });

  it('re-serializes a parsed packet to the same bytes', () => {
    fc.assert(
      fc.property(packetInit, (init) => {
        const bytes = serializeRtpPacket(init);
        expect(serializeRtpPacket(parseRtpPacket(bytes))).toEqual(bytes);
      }),
      { seed: 3551, numRuns: 500 },
    );
  });

  it('throws RangeError naming the field that does not fit', () => {
    const base = {
      payloadType: 0,
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: 0,
      payload: new Uint8Array(0),
    };
    expect(() => serializeRtpPacket({ ...base, payloadType: 128 })).toThrow(/payloadType/);
    expect(() => serializeRtpPacket({ ...base, sequenceNumber: 0x10000 })).toThrow(
      /sequenceNumber/,
    );
    expect(() => serializeRtpPacket({ ...base, timestamp: -1 })).toThrow(/timestamp/);
    expect(() => serializeRtpPacket({ ...base, ssrc: 1.5 })).toThrow(/ssrc/);
    expect(() => serializeRtpPacket({ ...base, csrcs: new Array<number>(16).fill(0) })).toThrow(
      /csrcs/,
    );
    expect(() => serializeRtpPacket({ ...base, paddingLength: 256 })).toThrow(/paddingLength/);
    expect(() =>
      serializeRtpPacket({ ...base, extension: { profile: 0xbede, data: new Uint8Array(3) } }),
    ).toThrow(RangeError);
  });
});
