import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoolEncoder } from '../../src/media/gaps/vp8/bool-encoder.js';
import {
  COEFF_UPDATE_PROBS,
  DEFAULT_COEFF_PROBS,
  coeffIndex,
} from '../../src/media/gaps/vp8/coeff-probs.js';

/** The decoder of RFC 6386 §7.3, transcribed independently of the encoder under test. */
class BoolDecoder {
  #input: Uint8Array;
  #pos = 2;
  #value: number;
  #range = 255;
  #bitCount = 0;

  constructor(input: Uint8Array) {
    this.#input = input;
    this.#value = ((input[0] ?? 0) << 8) | (input[1] ?? 0);
  }

  readBool(prob: number): boolean {
    const split = 1 + (((this.#range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let bit: boolean;
    if (this.#value >= bigSplit) {
      bit = true;
      this.#range -= split;
      this.#value -= bigSplit;
    } else {
      bit = false;
      this.#range = split;
    }
    while (this.#range < 128) {
      this.#value <<= 1;
      this.#range <<= 1;
      if (++this.#bitCount === 8) {
        this.#bitCount = 0;
        this.#value |= this.#input[this.#pos++] ?? 0;
      }
    }
    return bit;
  }

  readLiteral(bits: number): number {
    let v = 0;
    for (let i = 0; i < bits; i++) v = (v << 1) | (this.readBool(128) ? 1 : 0);
    return v;
  }

  readTree(tree: readonly number[], probs: readonly number[], start = 0): number {
    let i = start;
    while ((i = tree[i + (this.readBool(probs[i >> 1]!) ? 1 : 0)]!) > 0);
    return -i;
  }
}

describe('BoolEncoder', () => {
  it('round-trips any sequence of bools at any probabilities through the RFC 6386 decoder', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 255 }), fc.boolean()), {
          minLength: 0,
          maxLength: 3000,
        }),
        (bools) => {
          const enc = new BoolEncoder();
          for (const [p, b] of bools) enc.writeBool(p, b);
          const dec = new BoolDecoder(enc.finish());
          expect(bools.map(([p]) => dec.readBool(p))).toEqual(bools.map(([, b]) => b));
        },
      ),
      { numRuns: 500, seed: 6386 },
    );
  });

  it('round-trips carries: long runs of true at probability 1 and 255', () => {
    for (const prob of [1, 255]) {
      const enc = new BoolEncoder();
      for (let i = 0; i < 5000; i++) enc.writeBool(prob, i % 997 !== 0);
      const dec = new BoolDecoder(enc.finish());
      for (let i = 0; i < 5000; i++) expect(dec.readBool(prob)).toBe(i % 997 !== 0);
    }
  });

  it('round-trips literals and tree leaves', () => {
    const tree = [-0, 2, -1, 4, -2, -3];
    const probs = [200, 30, 128];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0x7fff }), fc.integer({ min: 0, max: 3 }))),
        (items) => {
          const enc = new BoolEncoder();
          for (const [lit, leaf] of items) {
            enc.writeLiteral(lit, 15);
            enc.writeTree(tree, probs, leaf);
          }
          const dec = new BoolDecoder(enc.finish());
          for (const [lit, leaf] of items) {
            expect(dec.readLiteral(15)).toBe(lit);
            expect(dec.readTree(tree, probs)).toBe(leaf);
          }
        },
      ),
      { numRuns: 300, seed: 8 },
    );
  });

  it('writeTree() rejects a value that is not a leaf', () => {
    expect(() => new BoolEncoder().writeTree([-0, -1], [128], 5)).toThrow(RangeError);
  });
});

describe('VP8 coefficient probability tables', () => {
  it('hold 4 × 8 × 3 × 11 entries each, all valid probabilities', () => {
    for (const table of [COEFF_UPDATE_PROBS, DEFAULT_COEFF_PROBS]) {
      expect(table).toHaveLength(1056);
      expect(Math.min(...table)).toBeGreaterThanOrEqual(1);
    }
  });

  // Both tables were also found byte for byte inside libvpx.so.7 and libavcodec.so.59 when
  // written; every black frame decoding exactly (gaps-black-vp8.test.ts) depends on them.
  it('match RFC 6386 §13.4/§13.5 at spot checks (first, last and irregular rows)', () => {
    const row = (t: Uint8Array, i: number, j: number, k: number): number[] =>
      Array.from(t.subarray(coeffIndex(i, j, k, 0), coeffIndex(i, j, k, 0) + 11));
    expect(row(COEFF_UPDATE_PROBS, 0, 1, 0)).toEqual([
      176, 246, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ]);
    expect(row(COEFF_UPDATE_PROBS, 1, 0, 2)).toEqual([
      234, 250, 241, 250, 253, 255, 253, 254, 255, 255, 255,
    ]);
    expect(row(COEFF_UPDATE_PROBS, 3, 7, 1)).toEqual([
      254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ]);
    expect(row(DEFAULT_COEFF_PROBS, 1, 0, 0)).toEqual([
      198, 35, 237, 223, 193, 187, 162, 160, 145, 155, 62,
    ]);
    expect(row(DEFAULT_COEFF_PROBS, 2, 5, 2)).toEqual([
      240, 128, 255, 128, 128, 128, 128, 128, 128, 128, 128,
    ]);
    expect(row(DEFAULT_COEFF_PROBS, 3, 7, 2)).toEqual([
      238, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
    ]);
  });
});
