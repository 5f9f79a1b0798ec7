import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StreamTarget, type StreamTargetChunk } from 'mediabunny';
import { TapedeckError } from '../../errors.js';

/**
 * mediabunny's chunked StreamTarget holds at most three chunks in memory before writing
 * them out (two full ones and the one being filled), so this bounds the writer's buffer.
 * Its 16 MiB default would hold up to 48 MiB per open file.
 */
const CHUNK_BYTES = 1 << 20;

/**
 * A mediabunny `StreamTarget` writing positioned chunks into a temporary file next to the
 * final path; `commit()` syncs, closes and renames it into place, `discard()` deletes it.
 *
 * Matroska and MP3 (with its Xing frame) are not append-only: mediabunny seeks back to
 * patch sizes, the segment duration, the seek head and the Xing frame, so every chunk
 * carries its file position and is written with `FileHandle.write(…, position)`.
 */
export class TempFileTarget {
  readonly finalPath: string;
  readonly tempPath: string;
  readonly target: StreamTarget;
  readonly #handle: FileHandle;
  #size = 0;
  #state: 'open' | 'committed' | 'discarded' = 'open';

  private constructor(finalPath: string, tempPath: string, handle: FileHandle) {
    this.finalPath = finalPath;
    this.tempPath = tempPath;
    this.#handle = handle;
    const writable = new WritableStream<StreamTargetChunk>({
      write: async (chunk) => {
        await this.#writeAt(chunk.data, chunk.position);
      },
    });
    this.target = new StreamTarget(writable, { chunked: true, chunkSize: CHUNK_BYTES });
  }

  /** Creates `.<name>.<random>.partial` in the final path's folder (same file system). */
  static async open(finalPath: string): Promise<TempFileTarget> {
    const dir = path.dirname(finalPath);
    const tempPath = path.join(
      dir,
      `.${path.basename(finalPath)}.${randomBytes(6).toString('hex')}.partial`,
    );
    const handle = await open(tempPath, 'wx');
    return new TempFileTarget(finalPath, tempPath, handle);
  }

  /** Bytes in the file so far (the highest written end position). */
  get size(): number {
    return this.#size;
  }

  async #writeAt(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.#handle.write(
        data,
        done,
        data.byteLength - done,
        position + done,
      );
      done += bytesWritten;
    }
    this.#size = Math.max(this.#size, position + data.byteLength);
  }

  /** Flushes the file to disk, closes it and renames it to `finalPath`. */
  async commit(): Promise<void> {
    if (this.#state !== 'open') {
      throw new TapedeckError('INTERNAL', `temp file ${this.tempPath} is already ${this.#state}`);
    }
    this.#state = 'committed';
    try {
      await this.#handle.datasync();
      await this.#handle.close();
      await rename(this.tempPath, this.finalPath);
    } catch (error) {
      await unlink(this.tempPath).catch(() => undefined);
      throw error;
    }
  }

  /** Closes and deletes the temporary file. Idempotent; never throws for a missing file. */
  async discard(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'discarded';
    await this.#handle.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}
