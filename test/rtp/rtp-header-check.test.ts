import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { rtpPayloadOffset, rtpPayloadType, rtpSsrc } from '../../src/rtp/rtp-header-check.js';
import { parseRtpPacket, serializeRtpPacket } from '../../src/rtp/rtp-packet.js';

/** Where parseRtpPacket says the payload starts, or -1 when it throws ParseError. */
function parsedOffset(bytes: Uint8Array): number {
  try {
    const packet = parseRtpPacket(bytes);
    return packet.payload.byteOffset - bytes.byteOffset;
  } catch (error) {
    expect(error).toBeInstanceOf(ParseError);
    return -1;
  }
}

/** Mostly RTP-looking bytes (version 2 in the first byte), some arbitrary. */
const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc
    .tuple(fc.integer({ min: 0, max: 0x3f }), fc.uint8Array({ minLength: 0, maxLength: 80 }))
    .map(([low, rest]) => Uint8Array.of(0x80 | low, ...rest)),
);

describe('rtpPayloadOffset()', () => {
  it('agrees with parseRtpPacket() on arbitrary bytes: the payload offset, or -1 exactly when it throws', () => {
    fc.assert(
      fc.property(datagram, (bytes) => {
        expect(rtpPayloadOffset(bytes)).toBe(parsedOffset(bytes));
      }),
      { seed: 3550_1, numRuns: 20_000 },
    );
  });

  it('reads the payload type and SSRC of serialized packets as parseRtpPacket() does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 127 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 15 }),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 20 }),
        (payloadType, ssrc, csrcs, payload, paddingLength) => {
          const bytes = serializeRtpPacket({
            payloadType,
            sequenceNumber: 7,
            timestamp: 9,
            ssrc,
            csrcs,
            payload,
            paddingLength,
          });
          const parsed = parseRtpPacket(bytes);
          expect(rtpPayloadType(bytes)).toBe(parsed.payloadType);
          expect(rtpSsrc(bytes)).toBe(parsed.ssrc);
          expect(rtpPayloadOffset(bytes)).toBe(12 + csrcs.length * 4);
        },
      ),
      { seed: 3550_2, numRuns: 2000 },
    );
  });

  it('is -1 for a header extension whose length runs past the end', () => {
    const bytes = Uint8Array.of(
      0x90,
      96,
      0,
      1,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      1,
      0xbe,
      0xde,
      0,
      2,
      1,
      2,
      3,
      4,
    );
    expect(rtpPayloadOffset(bytes)).toBe(-1);
    expect(() => parseRtpPacket(bytes)).toThrow(ParseError);
  });
});
