import { ParseError } from '../../errors.js';

/**
 * A bounds-checked MSB-first bit reader for codec headers (H.264 SPS with exp-Golomb codes,
 * VP9 uncompressed header, AV1 sequence header). Reads past the end throw `ParseError` with
 * the byte offset; values wider than 32 bits are not supported (no header field needs them).
 */
export class BitReader {
  readonly #bytes: Uint8Array;
  readonly #format: string;
  #bit = 0;

  constructor(bytes: Uint8Array, format: string) {
    this.#bytes = bytes;
    this.#format = format;
  }

  /** Bits consumed so far. */
  get bitPosition(): number {
    return this.#bit;
  }

  get bitsLeft(): number {
    return this.#bytes.length * 8 - this.#bit;
  }

  /** Reads one bit as 0 or 1. */
  bit(what: string): number {
    if (this.#bit >= this.#bytes.length * 8) throw this.#error(`${what} needs 1 bit, 0 left`);
    const byte = this.#bytes[this.#bit >>> 3] ?? 0;
    const value = (byte >>> (7 - (this.#bit & 7))) & 1;
    this.#bit += 1;
    return value;
  }

  /** Reads `n` (0..32) bits as an unsigned integer. */
  bits(n: number, what: string): number {
    if (n > this.bitsLeft) throw this.#error(`${what} needs ${n} bits, ${this.bitsLeft} left`);
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.#bytes[this.#bit >>> 3] ?? 0;
      value = value * 2 + ((byte >>> (7 - (this.#bit & 7))) & 1);
      this.#bit += 1;
    }
    return value;
  }

  bool(what: string): boolean {
    return this.bit(what) === 1;
  }

  skip(n: number, what: string): void {
    if (n > this.bitsLeft) throw this.#error(`${what} needs ${n} bits, ${this.bitsLeft} left`);
    this.#bit += n;
  }

  /**
   * Unsigned exp-Golomb code ue(v).
   * @see ITU-T H.264 §9.1
   */
  ue(what: string): number {
    let zeros = 0;
    while (this.bit(what) === 0) {
      zeros += 1;
      if (zeros > 31) throw this.#error(`${what} exp-Golomb code longer than 32 bits`);
    }
    return 2 ** zeros - 1 + this.bits(zeros, what);
  }

  /** Signed exp-Golomb code se(v). @see ITU-T H.264 §9.1.1 */
  se(what: string): number {
    const k = this.ue(what);
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /**
   * AV1 uvlc(): leading zeros, then that many bits.
   * @see AV1 Bitstream & Decoding Process §4.10.3
   */
  uvlc(what: string): number {
    let zeros = 0;
    while (this.bit(what) === 0) {
      zeros += 1;
      if (zeros >= 32) throw this.#error(`${what} uvlc code longer than 32 bits`);
    }
    return 2 ** zeros - 1 + this.bits(zeros, what);
  }

  #error(message: string): ParseError {
    return new ParseError(this.#format, this.#bit >>> 3, message);
  }
}
