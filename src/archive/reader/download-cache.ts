import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { archiveError } from './archive-error.js';

/** What the sidecar JSON next to a cached archive records. */
export type CacheRecord = {
  readonly version: 1;
  /** The cache identity: the URL without query string (plus the S3 endpoint, if any). */
  readonly source: string;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly size: number;
};

/** `$XDG_CACHE_HOME/tapedeck` when that is an absolute path, else `~/.cache/tapedeck`. */
export function defaultCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'tapedeck');
  return path.join(os.homedir(), '.cache', 'tapedeck');
}

function parseRecord(text: string, source: string): CacheRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['version'] !== 1 || v['source'] !== source) return undefined;
  const size = v['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  const etag = typeof v['etag'] === 'string' ? v['etag'] : undefined;
  const lastModified = typeof v['lastModified'] === 'string' ? v['lastModified'] : undefined;
  return { version: 1, source, etag, lastModified, size };
}

/**
 * One remote archive's slot in the cache directory: `<sha256(source)>.archive` and its
 * sidecar `<sha256(source)>.json` (the ETag and size it was downloaded with). A download
 * is written under a temporary name and renamed; the sidecar is removed before the data
 * is replaced and written (temp + rename) after, so a sidecar never describes other bytes.
 */
export class DownloadCache {
  readonly dataPath: string;
  readonly #sidecarPath: string;
  readonly #dir: string;
  readonly #source: string;

  constructor(dir: string, source: string) {
    const hash = createHash('sha256').update(source).digest('hex');
    this.#dir = dir;
    this.#source = source;
    this.dataPath = path.join(dir, `${hash}.archive`);
    this.#sidecarPath = path.join(dir, `${hash}.json`);
  }

  /** The record of a complete cached copy, or undefined when there is none usable. */
  async lookup(): Promise<CacheRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#sidecarPath, 'utf8');
    } catch {
      return undefined;
    }
    const record = parseRecord(text, this.#source);
    if (record === undefined) return undefined;
    try {
      const info = await stat(this.dataPath);
      return info.isFile() && info.size === record.size ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Streams `body` into the cache, refusing (`ARCHIVE_LIMIT`) more than `maxBytes`, and
   * commits it with its validators. Returns the cached file's path.
   */
  async store(
    body: Readable,
    validators: { etag: string | undefined; lastModified: string | undefined },
    options: { label: string; maxBytes: number; signal: AbortSignal | undefined },
  ): Promise<string> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const suffix = randomBytes(6).toString('hex');
    const temporary = `${this.dataPath}.${suffix}.part`;
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        size += chunk.byteLength;
        if (size > options.maxBytes) {
          callback(archiveError('ARCHIVE_LIMIT', options.label, `download is larger than the limit of ${options.maxBytes} bytes`));
          return;
        }
        callback(null, chunk);
      },
    });
    try {
      const streamOptions = options.signal === undefined ? {} : { signal: options.signal };
      await pipeline(body, counter, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }), streamOptions);
      await rm(this.#sidecarPath, { force: true });
      await rename(temporary, this.dataPath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const record: CacheRecord = { version: 1, source: this.#source, etag: validators.etag, lastModified: validators.lastModified, size };
    const sidecarTemporary = `${this.#sidecarPath}.${suffix}.part`;
    await writeFile(sidecarTemporary, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    await rename(sidecarTemporary, this.#sidecarPath);
    return this.dataPath;
  }
}
