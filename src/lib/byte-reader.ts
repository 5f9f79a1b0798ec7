import { ParseError } from '../errors.js';

/**
 * A bounds-checked big-endian reader over a byte view. Every read checks length first and
 * throws the caller's ParseError (with the absolute byte offset) instead of reading past
 * the end. `bytes` returns zero-copy subarray views.
 */
export class ByteReader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly #format: string;
  readonly #base: number;
  #pos = 0;

  /** `base` is added to offsets in error messages (the view's position in a larger file). */
  constructor(bytes: Uint8Array, format: string, base = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#format = format;
    this.#base = base;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#bytes.byteLength - this.#pos;
  }

  /** Throws unless `n` more bytes are available; `what` names the field in the message. */
  need(n: number, what: string): void {
    if (this.#pos + n > this.#bytes.byteLength) {
      throw this.error(`${what} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.#view.getUint8(this.#pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.#pos += n;
  }

  error(message: string): ParseError {
    return new ParseError(this.#format, this.#base + this.#pos, message);
  }
}
