import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter } from '../../src/media/gaps/h264/bit-writer.js';
import { avccAccessUnit, nalUnit } from '../../src/media/gaps/h264/nal.js';
import { levelFor } from '../../src/media/gaps/h264/parameter-sets.js';

const bits = (w: BitWriter): string =>
  Array.from(w.bytes(), (b) => b.toString(2).padStart(8, '0'))
    .join('')
    .slice(0, w.bitLength);

/** A reader for ue(v)/se(v), following H.264 §9.1 directly. */
function readExpGolomb(bytes: Uint8Array, count: number, signed: boolean): number[] {
  let pos = 0;
  const bit = (): number => ((bytes[pos >>> 3] ?? 0) >>> (7 - (pos++ & 7))) & 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let zeros = 0;
    while (bit() === 0) zeros++;
    let rest = 0;
    for (let z = 0; z < zeros; z++) rest = rest * 2 + bit();
    const codeNum = 2 ** zeros - 1 + rest;
    out.push(
      signed && codeNum > 0 ? (codeNum % 2 === 1 ? (codeNum + 1) / 2 : -codeNum / 2) : codeNum,
    );
  }
  return out;
}

describe('BitWriter', () => {
  it('writes ue(v) as in H.264 Table 9-2', () => {
    const table: [number, string][] = [
      [0, '1'],
      [1, '010'],
      [2, '011'],
      [3, '00100'],
      [6, '00111'],
      [7, '0001000'],
      [14, '0001111'],
      [15, '000010000'],
    ];
    for (const [value, code] of table) expect(bits(new BitWriter().ue(value))).toBe(code);
  });

  it('writes se(v) as in H.264 Table 9-3 (1 → 010, −1 → 011, 2 → 00100)', () => {
    expect(bits(new BitWriter().se(0).se(1).se(-1).se(2).se(-2))).toBe(
      '1' + '010' + '011' + '00100' + '00101',
    );
  });

  it('round-trips ue(v) and se(v) over their whole 32-bit range', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff_fffe }), { maxLength: 50 }),
        (values) => {
          const w = new BitWriter();
          values.forEach((v) => w.ue(v));
          expect(readExpGolomb(w.bytes(), values.length, false)).toEqual(values);
        },
      ),
      { numRuns: 500, seed: 91 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -0x7fff_ffff, max: 0x7fff_ffff }), { maxLength: 50 }),
        (values) => {
          const w = new BitWriter();
          values.forEach((v) => w.se(v));
          expect(readExpGolomb(w.bytes(), values.length, true)).toEqual(values);
        },
      ),
      { numRuns: 500, seed: 93 },
    );
  });

  it('writes u(n) MSB first and rbsp_trailing_bits to the byte boundary', () => {
    const w = new BitWriter().u(3, 0b101).u(32, 0xdeadbeef).trailingBits();
    expect(w.byteAligned).toBe(true);
    expect(bits(w)).toBe('101' + (0xdeadbeef).toString(2) + '1' + '0000');
    expect(bits(new BitWriter().u(8, 0xff).trailingBits())).toBe('11111111' + '10000000');
  });

  it('rejects values ue(v) cannot code and bit counts past 32', () => {
    expect(() => new BitWriter().ue(-1)).toThrow(RangeError);
    expect(() => new BitWriter().ue(2 ** 32)).toThrow(RangeError);
    expect(() => new BitWriter().u(33, 0)).toThrow(RangeError);
  });
});

describe('nalUnit() and avccAccessUnit()', () => {
  it('inserts emulation prevention bytes after two zeros before 00..03 (H.264 §7.4.1)', () => {
    const nal = nalUnit(3, 7, Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0, 3, 0, 0, 4, 0, 0));
    expect(Array.from(nal)).toEqual([0x67, 0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 3, 0, 0, 4, 0, 0]);
  });

  it('prefixes each NAL unit with its 4-byte big-endian length', () => {
    expect(Array.from(avccAccessUnit([Uint8Array.of(0x65, 1), Uint8Array.of(0x41)]))).toEqual([
      0, 0, 0, 2, 0x65, 1, 0, 0, 0, 1, 0x41,
    ]);
  });
});

describe('levelFor()', () => {
  it('picks the lowest level whose frame size and side limits fit (H.264 Table A-1)', () => {
    expect(levelFor(1, 1)).toBe(10);
    expect(levelFor(22, 18)).toBe(11); // 352×288
    expect(levelFor(40, 23)).toBe(22); // 640×360 (920 MBs)
    expect(levelFor(80, 45)).toBe(31); // 1280×720
    expect(levelFor(120, 68)).toBe(40); // 1920×1088
    expect(levelFor(29, 1)).toBe(11); // 29² > 8 × 99: too wide for level 1
    expect(levelFor(1024, 1024)).toBeUndefined();
  });
});
