/**
 * An MSB-first bit writer for H.264 RBSP syntax: fixed-width fields `u(n)`, Exp-Golomb
 * `ue(v)` / `se(v)`, and the RBSP trailing bits.
 *
 * ```
 * ue(v): codeNum k → [M zeros][1][M bits of (k + 1 − 2^M)], M = floor(log2(k + 1))
 *        0 → 1, 1 → 010, 2 → 011, 3 → 00100, 4 → 00101 …
 * se(v): v > 0 → codeNum 2v − 1; v ≤ 0 → codeNum −2v
 * ```
 *
 * @see ITU-T H.264 §7.2 (descriptors), §9.1 (Exp-Golomb codes), §7.3.2.11 (trailing bits)
 */
export class BitWriter {
  #buf = new Uint8Array(256);
  /** Bits written so far. */
  #bits = 0;

  get bitLength(): number {
    return this.#bits;
  }

  get byteAligned(): boolean {
    return (this.#bits & 7) === 0;
  }

  /** `u(n)`: the low `n` bits of `value` (0 ≤ n ≤ 32), most significant first. */
  u(n: number, value: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 32)
      throw new RangeError(`bit count must be 0..32, got ${n}`);
    for (let i = n - 1; i >= 0; i--) this.#bit((value >>> i) & 1);
    return this;
  }

  /** One flag bit. */
  flag(value: boolean): this {
    this.#bit(value ? 1 : 0);
    return this;
  }

  /** `ue(v)`: unsigned Exp-Golomb, 0 ≤ value ≤ 2^32 − 2. */
  ue(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_fffe) {
      throw new RangeError(`ue(v) value must be an integer in 0..2^32−2, got ${value}`);
    }
    const codeNum = (value + 1) >>> 0;
    const lead = 31 - Math.clz32(codeNum);
    this.u(lead, 0);
    return this.u(lead + 1, codeNum);
  }

  /** `se(v)`: signed Exp-Golomb. */
  se(value: number): this {
    if (!Number.isInteger(value))
      throw new RangeError(`se(v) value must be an integer, got ${value}`);
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits(): a 1, then zeros to the byte boundary. */
  trailingBits(): this {
    this.#bit(1);
    while (!this.byteAligned) this.#bit(0);
    return this;
  }

  /** The bytes written; a partial last byte is zero-padded. */
  bytes(): Uint8Array {
    return this.#buf.slice(0, (this.#bits + 7) >>> 3);
  }

  #bit(bit: number): void {
    const byte = this.#bits >>> 3;
    if (byte === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    if (bit) this.#buf[byte] = (this.#buf[byte] ?? 0) | (0x80 >>> (this.#bits & 7));
    this.#bits++;
  }
}
