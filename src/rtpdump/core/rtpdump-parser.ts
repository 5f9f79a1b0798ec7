/**
 * A streaming push parser for rtpdump files (layout: see rtpdump-format.ts). Bytes go in
 * as chunks split anywhere; complete records come out. Pure: no I/O, no `node:*`.
 * @see https://github.com/irtlab/rtptools (rtpdump.h)
 */
import { ParseError } from '../../errors.js';
import { formatDottedIpv4 } from './ipv4.js';
import {
  RTPDUMP_FILE_HEADER_BYTES,
  RTPDUMP_MAX_LINE_BYTES,
  RTPDUMP_PREFIX_BYTES,
  RTPDUMP_RECORD_HEADER_BYTES,
} from './rtpdump-format.js';
import type { RtpdumpFileHeader, RtpdumpRecord } from './types.js';

export type RtpdumpParserOptions = {
  /**
   * Default true: every record's `packet` is a copy that owns its bytes, so keeping a
   * record never keeps the pushed chunk alive. With false, a packet lying wholly inside a
   * pushed chunk is a subarray of it (zero-copy: it pins the whole chunk, and the caller
   * must not reuse the chunk's memory); packets spanning chunks are copied either way.
   */
  readonly copyPackets?: boolean;
};

const FORMAT = 'rtpdump';
const LINE = 0;
const HEADER = 1;
const RECORDS = 2;
type State = typeof LINE | typeof HEADER | typeof RECORDS;

/**
 * ```ts
 * const parser = new RtpdumpParser();
 * for (const chunk of chunks) for (const record of parser.push(chunk)) use(record);
 * parser.end(); // throws if the file stopped inside the header or a record
 * ```
 *
 * The first line must start with `#!rtpplay1.0 ` exactly; the rest of it (address/port)
 * is read leniently, as readers in the wild do, and the whole line is capped at 1 KiB so a
 * file that is not rtpdump cannot make the parser buffer without bound. Errors are
 * `ParseError('rtpdump', offset, …)` with an absolute file offset: the offending byte, or
 * for a file that ends early, the start of the unfinished line, header or record. Every
 * record before a malformed part is delivered first; after a `ParseError` the parser
 * keeps throwing it.
 */
export class RtpdumpParser {
  readonly #copyPackets: boolean;
  #state: State = LINE;
  #address = '';
  #port = 0;
  #header: RtpdumpFileHeader | undefined;
  /** Bytes of the line, header or record that started in an earlier chunk. */
  #buf = new Uint8Array(256);
  #bufLen = 0;
  /** File offset where the structure held in `#buf` starts. */
  #partStart = 0;
  /** File offset of the next byte pushed. */
  #base = 0;
  #error: ParseError | undefined;
  #ended = false;

  constructor(options: RtpdumpParserOptions = {}) {
    this.#copyPackets = options.copyPackets ?? true;
  }

  /** The file header, once its 16 bytes have been pushed. */
  get header(): RtpdumpFileHeader | undefined {
    return this.#header;
  }

  /** Number of bytes pushed so far. */
  get position(): number {
    return this.#base;
  }

  /**
   * Parses `chunk` (any length, split anywhere) and returns the records it completed. When
   * the chunk also holds a malformed part, the records before it are returned and the
   * `ParseError` is thrown by the next `push()` or `end()`, so the records delivered before
   * an error never depend on how the file was cut into chunks.
   */
  push(chunk: Uint8Array): RtpdumpRecord[] {
    if (this.#ended) throw new TypeError('RtpdumpParser.push() called after end()');
    if (this.#error !== undefined) throw this.#error;
    const out: RtpdumpRecord[] = [];
    try {
      this.#push(chunk, out);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      this.#error = error;
      if (out.length === 0) throw error;
    }
    return out;
  }

  /**
   * Declares the end of the file. Throws the `ParseError` that `push()` deferred, or one at
   * the start of the unfinished part when the file ended inside the first line, the file
   * header or a record (an empty file included); a file that ends on a record boundary is
   * complete.
   */
  end(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#ended) return;
    this.#ended = true;
    const at = this.#base;
    if (this.#state === LINE) {
      const message =
        at === 0
          ? 'empty file, no #!rtpplay1.0 line'
          : `file ends at byte ${at} inside the first line`;
      this.#error = new ParseError(FORMAT, 0, message);
    } else if (this.#state === HEADER) {
      this.#error = new ParseError(
        FORMAT,
        this.#partStart,
        `file ends at byte ${at} inside the 16-byte file header (${this.#bufLen} bytes of it)`,
      );
    } else if (this.#bufLen > 0) {
      const need =
        this.#bufLen < RTPDUMP_RECORD_HEADER_BYTES
          ? RTPDUMP_RECORD_HEADER_BYTES
          : this.#recordLength(this.#buf, 0);
      this.#error = new ParseError(
        FORMAT,
        this.#partStart,
        `file ends at byte ${at} inside the record at byte ${this.#partStart} (${this.#bufLen} of ${need} bytes)`,
      );
    }
    if (this.#error !== undefined) throw this.#error;
  }

  #push(chunk: Uint8Array, out: RtpdumpRecord[]): void {
    const n = chunk.byteLength;
    let pos = 0;
    while (pos < n) {
      if (this.#state === LINE) pos = this.#readLine(chunk, pos);
      else if (this.#state === HEADER) pos = this.#readFileHeader(chunk, pos);
      else pos = this.#readRecords(chunk, pos, out);
    }
    this.#base += n;
  }

  #readLine(chunk: Uint8Array, pos: number): number {
    const prefix = RTPDUMP_PREFIX_BYTES;
    for (let i = pos; i < chunk.byteLength; i++) {
      const byte = chunk[i]!;
      const at = this.#bufLen; // the line starts at file offset 0
      if (at < prefix.byteLength) {
        if (byte !== prefix[at])
          throw new ParseError(
            FORMAT,
            at,
            'not an rtpdump file: the first line must start with "#!rtpplay1.0 "',
          );
      } else if (byte === 0x0a) {
        this.#finishLine();
        return i + 1;
      } else if (at >= RTPDUMP_MAX_LINE_BYTES - 1) {
        throw new ParseError(
          FORMAT,
          at,
          `first line has no newline within ${RTPDUMP_MAX_LINE_BYTES} bytes`,
        );
      }
      this.#reserve(at + 1);
      this.#buf[at] = byte;
      this.#bufLen = at + 1;
    }
    return chunk.byteLength;
  }

  #finishLine(): void {
    let end = this.#bufLen;
    if (end > RTPDUMP_PREFIX_BYTES.byteLength && this.#buf[end - 1] === 0x0d) end -= 1; // tolerate CRLF
    const text = String.fromCharCode(...this.#buf.subarray(RTPDUMP_PREFIX_BYTES.byteLength, end));
    const { address, port } = parseAddressText(text);
    this.#address = address;
    this.#port = port;
    this.#partStart = this.#bufLen + 1;
    this.#bufLen = 0;
    this.#state = HEADER;
  }

  #readFileHeader(chunk: Uint8Array, pos: number): number {
    const next = this.#fill(chunk, pos, RTPDUMP_FILE_HEADER_BYTES);
    if (this.#bufLen < RTPDUMP_FILE_HEADER_BYTES) return next;
    const view = new DataView(this.#buf.buffer, 0, RTPDUMP_FILE_HEADER_BYTES);
    this.#header = {
      address: this.#address,
      port: this.#port,
      startSeconds: view.getUint32(0),
      startMicroseconds: view.getUint32(4),
      source: formatDottedIpv4(view.getUint32(8)),
      sourcePort: view.getUint16(12),
    };
    this.#bufLen = 0;
    this.#state = RECORDS;
    return next;
  }

  #readRecords(chunk: Uint8Array, pos: number, out: RtpdumpRecord[]): number {
    const n = chunk.byteLength;
    if (this.#bufLen > 0) {
      // Finish the record that an earlier chunk started.
      pos = this.#fill(chunk, pos, RTPDUMP_RECORD_HEADER_BYTES);
      if (this.#bufLen < RTPDUMP_RECORD_HEADER_BYTES) return pos;
      const length = this.#recordLength(this.#buf, 0, this.#partStart);
      pos = this.#fill(chunk, pos, length);
      if (this.#bufLen < length) return pos;
      out.push(this.#record(this.#buf, 0, length, this.#partStart, true));
      this.#bufLen = 0;
    }
    while (n - pos >= RTPDUMP_RECORD_HEADER_BYTES) {
      const length = this.#recordLength(chunk, pos, this.#base + pos);
      if (n - pos < length) break;
      out.push(this.#record(chunk, pos, length, this.#base + pos, this.#copyPackets));
      pos += length;
    }
    if (pos < n) {
      // Keep the start of a record that continues in the next chunk.
      this.#partStart = this.#base + pos;
      pos = this.#fill(chunk, pos, n - pos);
    }
    return pos;
  }

  /** The record's `length` field; with `fileOffset`, checked to be at least 8. */
  #recordLength(src: Uint8Array, at: number, fileOffset?: number): number {
    const length = (src[at]! << 8) | src[at + 1]!;
    if (fileOffset !== undefined && length < RTPDUMP_RECORD_HEADER_BYTES) {
      throw new ParseError(
        FORMAT,
        fileOffset,
        `record length ${length} is less than its 8-byte header`,
      );
    }
    return length;
  }

  #record(
    src: Uint8Array,
    at: number,
    length: number,
    fileOffset: number,
    copy: boolean,
  ): RtpdumpRecord {
    const plen = (src[at + 2]! << 8) | src[at + 3]!;
    const offsetMs =
      ((src[at + 4]! << 24) | (src[at + 5]! << 16) | (src[at + 6]! << 8) | src[at + 7]!) >>> 0;
    const start = at + RTPDUMP_RECORD_HEADER_BYTES;
    const view = src.subarray(start, at + length);
    // `new Uint8Array(view)` copies; `slice` would not on a Node Buffer (its slice is a view).
    const packet = copy ? new Uint8Array(view) : view;
    const isRtcp = plen === 0;
    return {
      offsetMs,
      isRtcp,
      originalLength: isRtcp ? packet.byteLength : plen,
      packet,
      fileOffset,
    };
  }

  /** Copies bytes from `chunk` until `#buf` holds `target` bytes or the chunk ends. */
  #fill(chunk: Uint8Array, pos: number, target: number): number {
    const take = Math.min(target - this.#bufLen, chunk.byteLength - pos);
    if (take <= 0) return pos;
    this.#reserve(this.#bufLen + take);
    this.#buf.set(chunk.subarray(pos, pos + take), this.#bufLen);
    this.#bufLen += take;
    return pos + take;
  }

  #reserve(capacity: number): void {
    if (capacity <= this.#buf.byteLength) return;
    const grown = new Uint8Array(Math.max(capacity, this.#buf.byteLength * 2));
    grown.set(this.#buf.subarray(0, this.#bufLen));
    this.#buf = grown;
  }
}

/**
 * The address and port of the first line, read leniently: text up to the last `/` and a
 * decimal port 0..65535 after it; anything else is kept whole as the address, port 0.
 * (rtptools writes a dotted IPv4; other writers have written host names or IPv6.)
 */
function parseAddressText(text: string): { address: string; port: number } {
  const slash = text.lastIndexOf('/');
  if (slash >= 0) {
    const portText = text.slice(slash + 1);
    const port = Number(portText);
    if (/^\d{1,5}$/.test(portText) && port <= 0xffff)
      return { address: text.slice(0, slash), port };
  }
  return { address: text, port: 0 };
}
