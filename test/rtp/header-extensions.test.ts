import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import {
  buildHeaderExtension,
  headerExtensionForm,
  parseHeaderExtensionElements,
} from '../../src/rtp/header-extensions.js';
import type { HeaderExtensionElement } from '../../src/rtp/header-extensions.js';
import { parseRtpPacket, serializeRtpPacket } from '../../src/rtp/rtp-packet.js';

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));
}

function plain(elements: readonly HeaderExtensionElement[]): { id: number; data: number[] }[] {
  return elements.map((e) => ({ id: e.id, data: [...e.data] }));
}

describe('parseHeaderExtensionElements()', () => {
  it('reads one-byte elements and skips zero padding between and after them (RFC 8285 §4.2)', () => {
    // id 1 len 1 (audio level), padding, id 3 len 3 (abs-send-time style), trailing padding
    const data = hex('10 aa 00 00 32 010203 0000');
    expect(plain(parseHeaderExtensionElements({ profile: 0xbede, data }))).toEqual([
      { id: 1, data: [0xaa] },
      { id: 3, data: [1, 2, 3] },
    ]);
  });

  it('stops at a one-byte element with the reserved ID 15 and keeps the ones before it', () => {
    const data = hex('10 aa ff 2f 0102 0000');
    expect(plain(parseHeaderExtensionElements({ profile: 0xbede, data }))).toEqual([
      { id: 1, data: [0xaa] },
    ]);
  });

  it('reads two-byte elements, including empty ones, for any appbits (RFC 8285 §4.3)', () => {
    const data = hex('01 00  00  02 03 aabbcc  0f 01 ee  00');
    for (const profile of [0x1000, 0x1005, 0x100f]) {
      expect(plain(parseHeaderExtensionElements({ profile, data }))).toEqual([
        { id: 1, data: [] },
        { id: 2, data: [0xaa, 0xbb, 0xcc] },
        { id: 15, data: [0xee] },
      ]);
    }
  });

  it('returns elements as views of the extension data', () => {
    const data = hex('22 010203');
    const [element] = parseHeaderExtensionElements({ profile: 0xbede, data });
    expect(element?.data.buffer).toBe(data.buffer);
    expect(element?.data.byteOffset).toBe(1);
  });

  it('throws ParseError at the element that runs past the end', () => {
    const oneByte = (): unknown =>
      parseHeaderExtensionElements({ profile: 0xbede, data: hex('10 aa 23 0102') });
    expect(oneByte).toThrow(ParseError);
    expect(oneByte).toThrow(/at 2\)/);
    const twoByte = (): unknown =>
      parseHeaderExtensionElements({ profile: 0x1000, data: hex('01 05 aabb') });
    expect(twoByte).toThrow(/at 0\)/);
    const noLength = (): unknown =>
      parseHeaderExtensionElements({ profile: 0x1000, data: hex('00 00 00 07') });
    expect(noLength).toThrow(/at 3\)/);
  });

  it('throws ParseError for a profile that is not an RFC 8285 form', () => {
    expect(() =>
      parseHeaderExtensionElements({ profile: 0xabac, data: new Uint8Array(4) }),
    ).toThrow(/0xabac/);
    expect(headerExtensionForm(0xbede)).toBe('one-byte');
    expect(headerExtensionForm(0x100a)).toBe('two-byte');
    expect(headerExtensionForm(0x1010)).toBeUndefined();
  });
});

const oneByteElements = fc.array(
  fc.record({
    id: fc.integer({ min: 1, max: 14 }),
    data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  { maxLength: 12 },
);
const twoByteElements = fc.array(
  fc.record({ id: fc.integer({ min: 1, max: 255 }), data: fc.uint8Array({ maxLength: 255 }) }),
  { maxLength: 12 },
);

describe('buildHeaderExtension()', () => {
  it('round-trips one-byte elements through an RTP packet', () => {
    fc.assert(
      fc.property(oneByteElements, (elements) => {
        const extension = buildHeaderExtension(elements);
        expect(extension.profile).toBe(0xbede);
        expect(extension.data.byteLength % 4).toBe(0);
        const bytes = serializeRtpPacket({
          payloadType: 96,
          sequenceNumber: 0,
          timestamp: 0,
          ssrc: 0,
          extension,
          payload: hex('00'),
        });
        const parsed = parseRtpPacket(bytes).extension!;
        expect(plain(parseHeaderExtensionElements(parsed))).toEqual(plain(elements));
      }),
      { seed: 8285, numRuns: 1000 },
    );
  });

  it('round-trips two-byte elements with application bits', () => {
    fc.assert(
      fc.property(twoByteElements, fc.integer({ min: 0, max: 15 }), (elements, appBits) => {
        const extension = buildHeaderExtension(elements, { form: 'two-byte', appBits });
        expect(extension.profile).toBe(0x1000 | appBits);
        expect(plain(parseHeaderExtensionElements(extension))).toEqual(plain(elements));
      }),
      { seed: 8286, numRuns: 1000 },
    );
  });

  it('chooses the two-byte form when an element does not fit the one-byte form', () => {
    expect(buildHeaderExtension([{ id: 15, data: hex('01') }]).profile).toBe(0x1000);
    expect(buildHeaderExtension([{ id: 1, data: new Uint8Array(17) }]).profile).toBe(0x1000);
    expect(buildHeaderExtension([{ id: 1, data: new Uint8Array(0) }]).profile).toBe(0x1000);
  });

  it('throws RangeError naming the element that does not fit the requested form', () => {
    expect(() => buildHeaderExtension([{ id: 15, data: hex('01') }], { form: 'one-byte' })).toThrow(
      /elements\[0\]\.id/,
    );
    expect(() =>
      buildHeaderExtension(
        [
          { id: 1, data: hex('01') },
          { id: 2, data: new Uint8Array(0) },
        ],
        { form: 'one-byte' },
      ),
    ).toThrow(/elements\[1\]\.data/);
    expect(() => buildHeaderExtension([{ id: 0, data: hex('01') }], { form: 'two-byte' })).toThrow(
      /elements\[0\]\.id/,
    );
    expect(() => buildHeaderExtension([], { appBits: 16 })).toThrow(/appBits/);
  });
});
