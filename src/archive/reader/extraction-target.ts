import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { TapedeckError } from '../../errors.js';
import { archiveError, throwIfAborted, withLabel } from './archive-error.js';
import type { ResolvedArchiveLimits } from './archive-limits.js';
import { checkEntryPath, quoteEntryName } from './entry-path.js';

/** What the archive says about one file entry; checked against what actually comes out. */
export type EntryExpectation = {
  /** Declared uncompressed size: more bytes is refused as hostile, fewer as damage. */
  readonly declaredBytes?: number;
  /** Declared CRC-32 of the uncompressed bytes (ZIP). */
  readonly crc32?: number;
};

type Claim = { readonly kind: 'file' | 'dir'; readonly name: string };

// O_EXCL: never overwrite; O_NOFOLLOW: never write through a link (there is none in a
// fresh root, since links are refused, but the flag costs nothing).
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Case- and Unicode-folded form of a path, so `A.sdp` and `a.sdp` count as one name. */
function fold(relativePath: string): string {
  return relativePath.normalize('NFC').toLowerCase();
}

/**
 * The directory one archive is extracted into, and the budget it may spend. Every entry
 * is claimed first (name checked, duplicates and file/directory clashes refused), then
 * written; every byte is counted against the limits before it is written.
 *
 * Files are created with mode 0644 and directories 0755 whatever the archive says.
 */
export class ExtractionTarget {
  readonly root: string;
  readonly #label: string;
  readonly #limits: ResolvedArchiveLimits;
  readonly #signal: AbortSignal | undefined;
  readonly #claims = new Map<string, Claim>();
  #entryCount = 0;
  #totalBytes = 0;

  constructor(root: string, options: { label: string; limits: ResolvedArchiveLimits; signal: AbortSignal | undefined }) {
    this.root = root;
    this.#label = options.label;
    this.#limits = options.limits;
    this.#signal = options.signal;
  }

  get label(): string {
    return this.#label;
  }

  get limits(): ResolvedArchiveLimits {
    return this.#limits;
  }

  get signal(): AbortSignal | undefined {
    return this.#signal;
  }

  /** Bytes written to files so far. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Counts one more entry; `ARCHIVE_LIMIT` past `maxEntries`. */
  countEntry(): void {
    this.#entryCount += 1;
    if (this.#entryCount > this.#limits.maxEntries) {
      throw this.limitError(`holds more than ${this.#limits.maxEntries} entries`);
    }
  }

  /**
   * Checks `rawName` with {@link checkEntryPath} and claims the path for a file or a
   * directory. Refuses (`UNSAFE_ARCHIVE`) a second entry with the same (case-folded) path,
   * and any entry below a path already claimed as a file. Returns the normalised path.
   */
  claim(rawName: string, kind: 'file' | 'dir'): string {
    let relativePath: string;
    try {
      relativePath = checkEntryPath(rawName);
    } catch (error) {
      throw error instanceof TapedeckError ? withLabel(error, this.#label) : error;
    }
    const segments = fold(relativePath).split('/');
    let prefix = '';
    for (let i = 0; i < segments.length - 1; i += 1) {
      prefix = i === 0 ? (segments[0] ?? '') : `${prefix}/${segments[i] ?? ''}`;
      const ancestor = this.#claims.get(prefix);
      if (ancestor?.kind === 'file') {
        throw this.unsafe(`entry ${quoteEntryName(rawName)} lies inside the file ${quoteEntryName(ancestor.name)}`);
      }
    }
    const key = segments.join('/');
    const existing = this.#claims.get(key);
    if (existing !== undefined && !(existing.kind === 'dir' && kind === 'dir')) {
      throw this.unsafe(`entry ${quoteEntryName(rawName)} duplicates the path ${quoteEntryName(existing.name)}`);
    }
    prefix = '';
    const original = relativePath.split('/');
    for (let i = 0; i < segments.length - 1; i += 1) {
      prefix = i === 0 ? (segments[0] ?? '') : `${prefix}/${segments[i] ?? ''}`;
      if (!this.#claims.has(prefix)) this.#claims.set(prefix, { kind: 'dir', name: original.slice(0, i + 1).join('/') });
    }
    this.#claims.set(key, { kind, name: relativePath });
    return relativePath;
  }

  /** `ARCHIVE_LIMIT` when a declared size alone already breaks the per-entry limit. */
  checkDeclaredEntrySize(rawName: string, declaredBytes: number): void {
    if (declaredBytes > this.#limits.maxEntryBytes) {
      throw this.limitError(
        `entry ${quoteEntryName(rawName)} is larger than the per-entry limit of ${this.#limits.maxEntryBytes} bytes`,
      );
    }
  }

  async createDirectory(relativePath: string): Promise<void> {
    await mkdir(this.#absolute(relativePath), { recursive: true, mode: 0o755 });
  }

  /**
   * Streams `chunks` into a new file at `relativePath`. Each chunk is checked against the
   * declared size, the per-entry limit and the total limit before it is written, so a
   * refusal never leaves more than the limit on disk. After the last chunk the size and
   * CRC-32 are compared with the declared ones (`PARSE_ERROR` on a mismatch).
   */
  async writeFile(relativePath: string, rawName: string, chunks: AsyncIterable<Uint8Array>, expect: EntryExpectation): Promise<void> {
    const absolute = this.#absolute(relativePath);
    await mkdir(path.dirname(absolute), { recursive: true, mode: 0o755 });
    const handle = await open(absolute, CREATE_FLAGS, 0o644);
    let written = 0;
    let crc = 0;
    try {
      for await (const chunk of chunks) {
        throwIfAborted(this.#signal, this.#label);
        const n = chunk.byteLength;
        if (expect.declaredBytes !== undefined && written + n > expect.declaredBytes) {
          throw this.unsafe(`entry ${quoteEntryName(rawName)} holds more bytes than the ${expect.declaredBytes} it declares`);
        }
        if (written + n > this.#limits.maxEntryBytes) {
          throw this.limitError(
            `entry ${quoteEntryName(rawName)} is larger than the per-entry limit of ${this.#limits.maxEntryBytes} bytes`,
          );
        }
        if (this.#totalBytes + n > this.#limits.maxTotalBytes) {
          throw this.limitError(`expands past the total limit of ${this.#limits.maxTotalBytes} bytes`);
        }
        written += n;
        this.#totalBytes += n;
        if (expect.crc32 !== undefined) crc = crc32(chunk, crc);
        await writeAll(handle, chunk);
      }
    } finally {
      await handle.close();
    }
    if (expect.declaredBytes !== undefined && written !== expect.declaredBytes) {
      throw archiveError(
        'PARSE_ERROR',
        this.#label,
        `entry ${quoteEntryName(rawName)} holds ${written} bytes but declares ${expect.declaredBytes} (damaged archive)`,
      );
    }
    if (expect.crc32 !== undefined && crc >>> 0 !== expect.crc32 >>> 0) {
      throw archiveError('PARSE_ERROR', this.#label, `entry ${quoteEntryName(rawName)} fails its CRC-32 check (damaged archive)`);
    }
  }

  unsafe(message: string): TapedeckError {
    return archiveError('UNSAFE_ARCHIVE', this.#label, message);
  }

  limitError(message: string): TapedeckError {
    return archiveError('ARCHIVE_LIMIT', this.#label, message);
  }

  #absolute(relativePath: string): string {
    return path.join(this.root, ...relativePath.split('/'));
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}
