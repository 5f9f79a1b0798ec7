import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** The message for a read outside the file; mapped to "truncated" upstream. */
const OUT_OF_BOUNDS = 'unexpected EOF (read past the end of the file)';
const CHUNK_BYTES = 64 * 1024;

function inBounds(start: number, end: number, size: number): boolean {
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size;
}

/** Reads [start, end) of a file handle with positioned reads (the handle stays open). */
class RangeStream extends Readable {
  readonly #handle: FileHandle;
  readonly #end: number;
  #position: number;

  constructor(handle: FileHandle, start: number, end: number) {
    super({ highWaterMark: CHUNK_BYTES });
    this.#handle = handle;
    this.#position = start;
    this.#end = end;
  }

  override _read(size: number): void {
    const length = Math.min(size, CHUNK_BYTES, this.#end - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(length);
    this.#handle.read(buffer, 0, length, this.#position).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.destroy(new Error(OUT_OF_BOUNDS));
          return;
        }
        this.#position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
      },
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

/**
 * yauzl's random-access reader over one open file, with every read checked against the
 * file size first. yauzl trusts ZIP64 offsets up to 2^64 and hands them to `fs.read`,
 * which throws synchronously past 2^53 — an uncaught exception that would leave the
 * extraction hanging. Here an out-of-range read fails through its callback, like a
 * short read, so a hostile offset is an ordinary `PARSE_ERROR`.
 *
 * Reads go through a `FileHandle` (never a raw descriptor number that could be reused
 * after close), and range streams never close it: yauzl's reference count does, once.
 */
export class BoundedFileReader extends yauzl.RandomAccessReader {
  readonly #handle: FileHandle;
  readonly size: number;

  private constructor(handle: FileHandle, size: number) {
    super();
    this.#handle = handle;
    this.size = size;
  }

  static async open(file: string): Promise<BoundedFileReader> {
    const handle = await open(file, 'r');
    try {
      return new BoundedFileReader(handle, (await handle.stat()).size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  override _readStreamForRange(start: number, end: number): Readable {
    if (!inBounds(start, end, this.size)) {
      const failed = new Readable({ read: () => undefined });
      setImmediate(() => failed.destroy(new Error(OUT_OF_BOUNDS)));
      return failed;
    }
    return new RangeStream(this.#handle, start, end);
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytesRead?: number) => void,
  ): void {
    if (!inBounds(position, position + length, this.size) || !inBounds(offset, offset + length, buffer.byteLength)) {
      setImmediate(() => callback(new Error(OUT_OF_BOUNDS)));
      return;
    }
    this.#handle.read(buffer, offset, length, position).then(
      ({ bytesRead }) => callback(null, bytesRead),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Closes the file; never reports an error (yauzl would emit it unhandled). */
  override close(callback: (error: Error | null) => void): void {
    this.#handle.close().then(
      () => callback(null),
      () => callback(null),
    );
  }

  /** Closes the file when yauzl never took ownership (its open failed). */
  async closeUnowned(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
  }
}
