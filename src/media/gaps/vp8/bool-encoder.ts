/**
 * VP8's boolean entropy encoder: each bool is coded with an 8-bit probability `prob/256`
 * that it is 0. The encoder keeps the interval [bottom, bottom + range) and shifts out a byte
 * whenever 8 bits of it are settled; a carry out of `bottom` ripples back into bytes already
 * written.
 *
 * ```
 * split = 1 + (((range − 1) × prob) >> 8)      0 → [bottom, bottom + split)
 *                                              1 → [bottom + split, bottom + range)
 * renormalise while range < 128: range <<= 1, bottom <<= 1, every 8th shift emits a byte
 * ```
 *
 * Finishing pads with 32 zero bools at probability 1/2, as libvpx does, so the decoder's
 * 2-byte lookahead never runs past the data.
 *
 * @see RFC 6386 §7.3 (the encoder this follows), §8.1 (tree coding)
 */

/** A tree as in RFC 6386 §8.1: positive entries index the array, −v is leaf value v. */
export type Vp8Tree = readonly number[];

export class BoolEncoder {
  #buf = new Uint8Array(1024);
  #length = 0;
  /** 128 ≤ range ≤ 255 between calls. */
  #range = 255;
  /** Low end of the interval, a 32-bit unsigned value. */
  #bottom = 0;
  /** Shifts left before the next byte is output. */
  #bitCount = 24;
  #finished = false;

  /** Codes one bool; `prob` (1..255) is the probability ×256 that `bit` is false. */
  writeBool(prob: number, bit: boolean): void {
    const split = 1 + (((this.#range - 1) * prob) >>> 8);
    if (bit) {
      this.#bottom = (this.#bottom + split) >>> 0;
      this.#range -= split;
    } else {
      this.#range = split;
    }
    while (this.#range < 128) {
      this.#range <<= 1;
      if ((this.#bottom & 0x8000_0000) !== 0) this.#carry();
      this.#bottom = (this.#bottom << 1) >>> 0;
      if (--this.#bitCount === 0) {
        this.#push(this.#bottom >>> 24);
        this.#bottom &= 0x00ff_ffff;
        this.#bitCount = 8;
      }
    }
  }

  /** `bits` bits of `value`, most significant first, each at probability 1/2 (L(n)). */
  writeLiteral(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) this.writeBool(128, ((value >>> i) & 1) === 1);
  }

  /** Optionally signed magnitude: `bits` of |value| then a sign bool (RFC 6386 §9.3). */
  writeSignedLiteral(value: number, bits: number): void {
    this.writeLiteral(Math.abs(value), bits);
    this.writeBool(128, value < 0);
  }

  /**
   * Codes leaf `value` of `tree` with `probs[i >> 1]` at node i (RFC 6386 §8.1), starting at
   * node `start` (2 skips the first branch, as after a DCT_0 token). Throws RangeError when
   * the value is not a leaf of the tree.
   */
  writeTree(tree: Vp8Tree, probs: readonly number[], value: number, start = 0): void {
    const path = treePath(tree, value, start);
    if (!path) throw new RangeError(`value ${value} is not a leaf of the tree`);
    for (const [node, bit] of path) this.writeBool(probs[node >>> 1] ?? 128, bit);
  }

  /** Pads and returns the coded bytes. The encoder cannot be used afterwards. */
  finish(): Uint8Array {
    if (!this.#finished) {
      for (let i = 0; i < 32; i++) this.writeBool(128, false);
      this.#finished = true;
    }
    return this.#buf.slice(0, this.#length);
  }

  #carry(): void {
    let i = this.#length - 1;
    while (i >= 0 && this.#buf[i] === 0xff) this.#buf[i--] = 0;
    if (i >= 0) this.#buf[i] = (this.#buf[i] ?? 0) + 1;
  }

  #push(byte: number): void {
    if (this.#length === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[this.#length++] = byte;
  }
}

/** The branch decisions (node index, bit) that lead from `start` to leaf `value`. */
function treePath(tree: Vp8Tree, value: number, start: number): [number, boolean][] | undefined {
  for (let i = start; i < start + 2; i++) {
    const entry = tree[i];
    if (entry === undefined) return undefined;
    const bit = i - start === 1;
    if (entry <= 0 && -entry === value) return [[start, bit]];
    if (entry > 0) {
      const rest = treePath(tree, value, entry);
      if (rest) return [[start, bit], ...rest];
    }
  }
  return undefined;
}
