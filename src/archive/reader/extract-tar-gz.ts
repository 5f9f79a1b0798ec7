import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import tar, { type ExtractEvents } from 'tar-stream';
import { TapedeckError } from '../../errors.js';
import { archiveError, describeCause, isAbort, throwIfAborted } from './archive-error.js';
import type { ResolvedArchiveLimits } from './archive-limits.js';
import { namesArchiveRoot, quoteEntryName } from './entry-path.js';
import type { ExtractionTarget } from './extraction-target.js';

/** One tar entry: its header and a readable stream of its data. */
type TarEntry = ExtractEvents['entry'][1];

const REFUSED_TYPES: ReadonlyMap<string, string> = new Map([
  ['symlink', 'is a symbolic link'],
  ['link', 'is a hard link'],
  ['character-device', 'is a character device'],
  ['block-device', 'is a block device'],
  ['fifo', 'is a FIFO'],
]);

/**
 * Watches the gunzip output: once more than `ratioMinBytes` came out, refuses a stream
 * whose output exceeds `maxCompressionRatio` times the compressed bytes zlib has consumed
 * (`Gunzip.bytesWritten`, exact per output chunk).
 */
class RatioGuard extends Transform {
  readonly #gunzip: Gunzip;
  readonly #limits: ResolvedArchiveLimits;
  readonly #target: ExtractionTarget;
  #out = 0;

  constructor(gunzip: Gunzip, target: ExtractionTarget) {
    super();
    this.#gunzip = gunzip;
    this.#limits = target.limits;
    this.#target = target;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#out += chunk.byteLength;
    const consumed = Math.max(1, this.#gunzip.bytesWritten);
    if (this.#out > this.#limits.ratioMinBytes && this.#out > this.#limits.maxCompressionRatio * consumed) {
      callback(this.#target.limitError(`compresses more than ${this.#limits.maxCompressionRatio}:1 (a decompression bomb)`));
      return;
    }
    callback(null, chunk);
  }
}

/**
 * Extracts a gzip-compressed tar (ustar, GNU or pax) into `target`, streaming:
 * file → gunzip → ratio guard → tar-stream, one entry at a time. Regular files and
 * directories only; symlinks, hard links, devices, FIFOs and unknown types are refused
 * (`UNSAFE_ARCHIVE`) before anything of theirs is written.
 *
 * ```
 * [512-byte header][data, padded to 512] ... [two zero blocks]   (then gzip around it all)
 * ```
 * @see POSIX.1-2017 pax, "ustar Interchange Format"
 * @see RFC 1952 (gzip)
 */
export async function extractTarGz(file: string, target: ExtractionTarget): Promise<void> {
  const source = createReadStream(file);
  const gunzip = createGunzip();
  const guard = new RatioGuard(gunzip, target);
  const extract = tar.extract();
  const piping = pipeline(source, gunzip, guard, extract);
  let pipeFailure: unknown;
  piping.catch((error: unknown) => {
    pipeFailure = error;
  });
  try {
    for await (const entry of extract) {
      throwIfAborted(target.signal, target.label);
      await extractEntry(entry, target);
    }
    await piping;
  } catch (error) {
    source.destroy();
    gunzip.destroy();
    extract.destroy();
    await piping.catch(() => undefined);
    throw tarError(error, pipeFailure, target);
  }
}

async function extractEntry(entry: TarEntry, target: ExtractionTarget): Promise<void> {
  const { header } = entry;
  const rawName = header.name;
  target.countEntry();
  const type = header.type ?? 'unknown';
  const refusal = REFUSED_TYPES.get(type);
  if (refusal !== undefined) throw target.unsafe(`entry ${quoteEntryName(rawName)} ${refusal}`);
  if (type === 'directory') {
    entry.resume();
    if (namesArchiveRoot(rawName)) return;
    await target.createDirectory(target.claim(rawName, 'dir'));
    return;
  }
  if (type !== 'file' && type !== 'contiguous-file') {
    throw target.unsafe(`entry ${quoteEntryName(rawName)} has unsupported type ${type}`);
  }
  const relativePath = target.claim(rawName, 'file');
  const size = header.size ?? 0;
  target.checkDeclaredEntrySize(rawName, size);
  // streamx readables are async iterable at runtime; tar-stream's bundled types omit it.
  const chunks = entry as unknown as AsyncIterable<Uint8Array>;
  await target.writeFile(relativePath, rawName, chunks, { declaredBytes: size });
}

/** Maps what zlib, tar-stream and the file system throw to one-line catalog errors. */
function tarError(error: unknown, pipeFailure: unknown, target: ExtractionTarget): TapedeckError {
  const { label } = target;
  // Our loop sees either its own refusal or, when the source failed, a stream torn down
  // under it; the pipeline holds the real cause then (zlib's or tar-stream's error).
  const prematureClose = (e: unknown): boolean => (e as { code?: unknown } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
  const cause = error instanceof TapedeckError || pipeFailure === undefined || prematureClose(pipeFailure) ? error : pipeFailure;
  if (cause instanceof TapedeckError) return cause;
  if (isAbort(cause, target.signal)) return archiveError('ABORTED', label, 'aborted', cause);
  const message = describeCause(cause);
  const code = (cause as { code?: unknown }).code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return archiveError('PARSE_ERROR', label, 'truncated gzip stream (unexpected end of file)', cause);
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return archiveError('PARSE_ERROR', label, `damaged gzip stream (${message})`, cause);
  }
  if (/unexpected end of data/i.test(message)) {
    return archiveError('PARSE_ERROR', label, 'truncated tar archive (unexpected end of data)', cause);
  }
  if (/invalid tar header|header exceeds max size|invalid header/i.test(message)) {
    return archiveError('PARSE_ERROR', label, `not a ZIP or gzip-compressed tar archive (${message})`, cause);
  }
  if (typeof code === 'string') return new TapedeckError('INTERNAL', `${label}: ${message}`, { cause });
  return archiveError('PARSE_ERROR', label, `damaged tar archive (${message})`, cause);
}
