/**
 * VP8 DCT/WHT coefficient tokens: one 4×4 block's quantized coefficients, in zigzag order,
 * as tree-coded tokens in the token partition.
 *
 * ```
 * token      value        tree path       extra bits (MSB first, fixed probabilities)
 * EOB        end of block 0
 * DCT_0      0            10
 * DCT_1      1            110
 * DCT_2      2            11100
 * DCT_3/4    3, 4         111010/111011
 * cat1/cat2  5–6, 7–10    111100/111101   1, 2
 * cat3/cat4  11–18, 19–34 1111100/1111101 3, 4
 * cat5/cat6  35–66, 67–   1111110/1111111 5, 11
 * every non-zero value is followed by a sign bool (probability 1/2, 1 = negative)
 * ```
 *
 * Token probabilities come from [block type][band of the position][context]: the context
 * of the first token is how many of the block's above/left neighbours (same plane) had
 * non-zero coefficients; after that it is 0, 1 or 2 for a previous value of 0, ±1, or more.
 * After a DCT_0 the EOB branch is skipped (EOB cannot follow a zero).
 *
 * @see RFC 6386 §13.2–13.3
 */
import type { BoolEncoder } from './bool-encoder.js';
import { COEFF_BANDS_BY_POSITION, ENTROPY_NODES, coeffIndex } from './coeff-probs.js';

/** Block types (first index of the token probabilities). */
export const Vp8BlockType = { Y_AFTER_Y2: 0, Y2: 1, CHROMA: 2, Y_WITH_DC: 3 } as const;
export type Vp8BlockType = (typeof Vp8BlockType)[keyof typeof Vp8BlockType];

const DCT_EOB = 11;
const CAT_BASE = [5, 7, 11, 19, 35, 67] as const;
const CAT_PROBS: readonly (readonly number[])[] = [
  [159],
  [165, 145],
  [173, 148, 140],
  [176, 155, 140, 135],
  [180, 157, 141, 134, 130],
  [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129],
];
/** Largest coefficient magnitude a token can carry (RFC 6386 §13.2: cat6 is 67–2048). */
export const MAX_VP8_COEFF = 2048;

/** coeff_tree (RFC 6386 §13.2); tokens DCT_0..DCT_4 = 0..4, cat1..cat6 = 5..10, EOB = 11. */
// prettier-ignore
const COEFF_TREE = [
  -DCT_EOB, 2,   // EOB "0"
  -0, 4,         // DCT_0 "10"
  -1, 6,         // DCT_1 "110"
  8, 12,
  -2, 10,        // DCT_2 "11100"
  -3, -4,        // DCT_3 "111010", DCT_4 "111011"
  14, 16,
  -5, -6,        // cat1 "111100", cat2 "111101"
  18, 20,
  -7, -8,        // cat3 "1111100", cat4 "1111101"
  -9, -10,       // cat5 "1111110", cat6 "1111111"
];

function tokenFor(abs: number): number {
  if (abs <= 4) return abs;
  for (let cat = 5; cat >= 0; cat--) if (abs >= (CAT_BASE[cat] ?? 0)) return 5 + cat;
  return 5;
}

/**
 * Writes one block's tokens. `coeffs` are the 16 quantized coefficients in zigzag order;
 * coding starts at `first` (1 for Y blocks after a Y2 block, else 0); `ctx` (0..2) is the
 * number of above/left neighbours with non-zero coefficients. Returns whether this block
 * has a non-zero coefficient (its context for the blocks right of and below it).
 * Throws RangeError for a coefficient beyond ±2048.
 */
export function writeBlockTokens(
  enc: BoolEncoder,
  probs: Uint8Array,
  type: Vp8BlockType,
  coeffs: ArrayLike<number>,
  ctx: number,
  first = type === Vp8BlockType.Y_AFTER_Y2 ? 1 : 0,
): boolean {
  let last = -1;
  for (let i = first; i < 16; i++) {
    const v = coeffs[i] ?? 0;
    if (!Number.isInteger(v) || Math.abs(v) > MAX_VP8_COEFF) {
      throw new RangeError(
        `coefficient ${i} must be an integer within ±${MAX_VP8_COEFF}, got ${v}`,
      );
    }
    if (v !== 0) last = i;
  }
  const nodeProbs = (position: number, context: number): number[] => {
    const start = coeffIndex(type, COEFF_BANDS_BY_POSITION[position] ?? 7, context, 0);
    return Array.from(probs.subarray(start, start + ENTROPY_NODES));
  };
  if (last < 0) {
    enc.writeTree(COEFF_TREE, nodeProbs(first, ctx), DCT_EOB);
    return false;
  }
  let context = ctx;
  let previousZero = false;
  for (let i = first; i <= last; i++) {
    const v = coeffs[i] ?? 0;
    const abs = Math.abs(v);
    const token = tokenFor(abs);
    enc.writeTree(COEFF_TREE, nodeProbs(i, context), token, previousZero ? 2 : 0);
    if (token >= 5) {
      const cat = token - 5;
      const extra = abs - (CAT_BASE[cat] ?? 0);
      const catProbs = CAT_PROBS[cat] ?? [];
      catProbs.forEach((p, bit) =>
        enc.writeBool(p, ((extra >>> (catProbs.length - 1 - bit)) & 1) === 1),
      );
    }
    if (abs !== 0) enc.writeBool(128, v < 0);
    context = abs === 0 ? 0 : abs === 1 ? 1 : 2;
    previousZero = abs === 0;
  }
  if (last < 15) enc.writeTree(COEFF_TREE, nodeProbs(last + 1, context), DCT_EOB);
  return true;
}
