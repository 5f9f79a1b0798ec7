/**
 * Buffered rtpdump file writer: records are encoded into a 64 KiB buffer and handed to the
 * OS a buffer at a time, never one syscall per packet.
 */
import { write as writeFd } from 'node:fs';
import { open } from 'node:fs/promises';
import { toTapedeckError } from '../errors.js';
import type { FileHandle } from 'node:fs/promises';
import {
  encodeRtpdumpPreamble,
  encodeRtpdumpRecordInto,
  rtpdumpRecordSize,
} from './core/rtpdump-encode.js';
import type { RtpdumpPreambleInit, RtpdumpRecordInit } from './core/rtpdump-encode.js';
import { RTPDUMP_MAX_RECORD_BYTES, RTPDUMP_RECORD_HEADER_BYTES } from './core/rtpdump-format.js';

export type RtpdumpWriterOptions = {
  /** Bytes buffered before they are written to the OS, at least 65535. Default 65536. */
  readonly bufferSize?: number;
  /** Fail when the file exists instead of truncating it. Default false. */
  readonly exclusive?: boolean;
};

const DEFAULT_BUFFER_SIZE = 64 * 1024;

/**
 * ```ts
 * const writer = await RtpdumpWriter.open(path, { address: '127.0.0.1', port: 5004, startSeconds });
 * await writer.write({ offsetMs, packet, isRtcp: false });
 * await writer.close();
 * ```
 *
 * `write()` copies the record into the buffer synchronously, so records land in call order
 * even if a caller does not await; awaiting gives backpressure (it waits only when the
 * buffer had to go to the OS). `flush()` hands buffered bytes to the OS (no fsync);
 * `close()` flushes and closes, and is idempotent. After a failed OS write every later call
 * rejects with that error.
 */
export class RtpdumpWriter {
  readonly path: string;
  readonly #handle: FileHandle;
  readonly #bufferSize: number;
  #buf: Uint8Array;
  #len = 0;
  /** OS writes in order; never rejects (a failure is kept in `#failure`). */
  #written: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #records = 0;
  #bytes = 0;

  private constructor(path: string, handle: FileHandle, bufferSize: number) {
    this.path = path;
    this.#handle = handle;
    this.#bufferSize = bufferSize;
    // Never zero-filled: only the bytes written so far are ever read.
    this.#buf = Buffer.allocUnsafeSlow(bufferSize);
  }

  /**
   * Creates (or truncates) `path` and buffers the preamble. Throws `TypeError`/`RangeError`
   * for a header a reader would reject, before touching the file.
   */
  static async open(
    path: string,
    header: RtpdumpPreambleInit,
    options: RtpdumpWriterOptions = {},
  ): Promise<RtpdumpWriter> {
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (!Number.isInteger(bufferSize) || bufferSize < RTPDUMP_MAX_RECORD_BYTES) {
      throw new RangeError(
        `options.bufferSize must be an integer of at least ${RTPDUMP_MAX_RECORD_BYTES}, got ${bufferSize}`,
      );
    }
    const preamble = encodeRtpdumpPreamble(header);
    const handle = await open(path, options.exclusive === true ? 'wx' : 'w');
    const writer = new RtpdumpWriter(path, handle, bufferSize);
    writer.#buf.set(preamble);
    writer.#len = preamble.byteLength;
    writer.#bytes = preamble.byteLength;
    return writer;
  }

  /** Records accepted so far. */
  get recordCount(): number {
    return this.#records;
  }

  /** File size once everything accepted so far is written (preamble included). */
  get byteLength(): number {
    return this.#bytes;
  }

  /** Buffers one record; resolves at once unless the full buffer had to be written first. */
  async write(record: RtpdumpRecordInit): Promise<void> {
    this.#checkOpen('write');
    const size = rtpdumpRecordSize(record);
    const flushed = this.#len + size > this.#buf.byteLength ? this.#startWrite() : undefined;
    this.#len += encodeRtpdumpRecordInto(record, this.#buf, this.#len);
    this.#records += 1;
    this.#bytes += size;
    if (flushed !== undefined) await flushed;
  }

  /**
   * The hot-path form of `write()` for a record as received (`originalLength` = the
   * packet's length): nothing is allocated per record. Returns `undefined`, or, when the
   * full buffer had to go to the OS first, the promise of that write (it rejects on
   * failure; later calls then throw the failure). Throws like `write()` for a bad record.
   *
   * ```
   * record = length(u16) plen(u16: packet bytes, 0 for RTCP) offsetMs(u32) packet
   * ```
   */
  append(offsetMs: number, packet: Uint8Array, isRtcp: boolean): Promise<void> | undefined {
    if (this.#closing !== undefined || this.#failure !== undefined) this.#checkOpen('append');
    const captured = packet.byteLength;
    const size = RTPDUMP_RECORD_HEADER_BYTES + captured;
    if (
      size > RTPDUMP_MAX_RECORD_BYTES ||
      (!isRtcp && captured === 0) ||
      !(offsetMs >= 0 && offsetMs <= 0xffff_ffff && Math.floor(offsetMs) === offsetMs)
    ) {
      // Not the common case: the full check throws the precise RangeError.
      rtpdumpRecordSize({ offsetMs, packet, isRtcp });
    }
    const flushed = this.#len + size > this.#buf.byteLength ? this.#startWrite() : undefined;
    const buf = this.#buf;
    const at = this.#len;
    const plen = isRtcp ? 0 : captured;
    buf[at] = size >>> 8;
    buf[at + 1] = size & 0xff;
    buf[at + 2] = plen >>> 8;
    buf[at + 3] = plen & 0xff;
    buf[at + 4] = offsetMs >>> 24;
    buf[at + 5] = (offsetMs >>> 16) & 0xff;
    buf[at + 6] = (offsetMs >>> 8) & 0xff;
    buf[at + 7] = offsetMs & 0xff;
    buf.set(packet, at + RTPDUMP_RECORD_HEADER_BYTES);
    this.#len = at + size;
    this.#records += 1;
    this.#bytes += size;
    return flushed;
  }

  /** Hands everything buffered to the OS (no fsync) and waits for it. */
  async flush(): Promise<void> {
    this.#checkOpen('flush');
    await this.#flushAll();
  }

  /** Flushes and closes the file. Idempotent: later calls return the same promise. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.#flushAll();
    } finally {
      await this.#handle.close();
    }
  }

  #checkOpen(method: string): void {
    if (this.#closing !== undefined)
      throw new TypeError(`RtpdumpWriter.${method}() called after close()`);
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #flushAll(): Promise<void> {
    if (this.#len > 0) {
      await this.#startWrite();
      return;
    }
    await this.#written;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * Queues the buffered bytes for the OS and empties the buffer; the promise rejects on
   * failure. The bytes are copied out (only as many as were buffered, into memory that is
   * not zero-filled), so the one buffer is reused: no 64 KiB allocation per flush.
   */
  #startWrite(): Promise<void> {
    const data = Buffer.allocUnsafe(this.#len);
    data.set(this.#buf.subarray(0, this.#len));
    this.#len = 0;
    const done = this.#written.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      await this.#writeAll(data);
    });
    this.#written = done.catch((error: unknown) => {
      this.#failure ??= error instanceof Error ? error : toTapedeckError(error);
    });
    return done;
  }

  /** Appends `data` at the file's position (callback fs.write: lighter than FileHandle.write). */
  async #writeAll(data: Uint8Array): Promise<void> {
    const fd = this.#handle.fd;
    let done = 0;
    while (done < data.byteLength) {
      done += await new Promise<number>((resolve, reject) =>
        writeFd(fd, data, done, data.byteLength - done, null, (error, bytesWritten) =>
          error === null ? resolve(bytesWritten) : reject(error),
        ),
      );
    }
  }
}
