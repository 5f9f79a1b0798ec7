/**
 * Wrap-around maths for 16-bit RTP sequence numbers and 32-bit RTP timestamps.
 * Values stay plain numbers: unwrapped values fit easily in 2^53.
 * @see RFC 3550 §A.1 (sequence number extension)
 */

const SEQ_MOD = 0x1_0000;
const TS_MOD = 0x1_0000_0000;

/** Signed distance b − a between two 16-bit sequence numbers, in [−32768, 32767]. */
export function seqDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d >= 0x8000 ? d - SEQ_MOD : d;
}

/** Signed distance b − a between two 32-bit timestamps, in [−2^31, 2^31). */
export function tsDelta(a: number, b: number): number {
  return (b - a) | 0;
}

/**
 * Extends a 16-bit (bits = 16) or 32-bit (bits = 32) wrapping counter to a monotonic-ish
 * unwrapped number by choosing, for each value, the candidate nearest to the previous one.
 * The first value is placed at `value + start * modulus` (start defaults to 1 so that values
 * slightly before the first one stay positive).
 */
export class Unwrapper {
  readonly #bits: 16 | 32;
  #last: number | undefined;

  constructor(bits: 16 | 32) {
    this.#bits = bits;
  }

  /** Returns the unwrapped value for `value` (a 16- or 32-bit unsigned integer). */
  unwrap(value: number): number {
    const last = this.#last;
    const mod = this.#bits === 16 ? SEQ_MOD : TS_MOD;
    if (last === undefined) {
      const first = value + mod;
      this.#last = first;
      return first;
    }
    const lastWrapped = last % mod;
    const delta = this.#bits === 16 ? seqDelta(lastWrapped, value) : tsDelta(lastWrapped, value);
    const result = last + delta;
    if (result > last) this.#last = result;
    return result;
  }

  /** The largest unwrapped value seen so far, or undefined before the first. */
  get highest(): number | undefined {
    return this.#last;
  }
}
