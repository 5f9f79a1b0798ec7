import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { TapedeckError } from '../../errors.js';
import { archiveError, describeCause, isAbort, throwIfAborted } from './archive-error.js';
import { namesArchiveRoot, quoteEntryName } from './entry-path.js';
import { BoundedFileReader } from './bounded-file-reader.js';
import type { ExtractionTarget } from './extraction-target.js';

/** Unix file type bits in the high 16 bits of a central directory entry's external attributes. */
const S_IFMT = 0o170000;
const FILE_TYPES: ReadonlyMap<number, string> = new Map([
  [0o120000, 'is a symbolic link'],
  [0o020000, 'is a character device'],
  [0o060000, 'is a block device'],
  [0o010000, 'is a FIFO'],
  [0o140000, 'is a socket'],
]);
/** Size of a local file header before its name and extra field (APPNOTE §4.3.7). */
const LOCAL_HEADER_BYTES = 30;

type Plan = {
  readonly entry: Entry;
  readonly rawName: string;
  readonly kind: 'file' | 'dir';
  /** undefined for a directory entry naming the root itself (skipped). */
  readonly relativePath: string | undefined;
};

/**
 * Extracts a ZIP (ZIP64 included) into `target` with yauzl, streaming one entry at a
 * time. The whole central directory is checked before the first byte is written: entry
 * count, names ({@link checkEntryPath}), types (symlinks, devices, FIFOs and sockets in the
 * external attributes are refused), duplicates, declared sizes and ratios, encryption,
 * compression method, and overlapping entries (the "better zip bomb" construction).
 * Then each file is inflated and checked against its declared size and CRC-32.
 *
 * ```
 * [local header 1][data 1] ... [local header n][data n][central directory][(zip64 EOCD)][EOCD]
 * ```
 * @see PKWARE APPNOTE.TXT §4.3 (layout), §4.4.15 (external attributes), §4.5.3 (ZIP64)
 */
export async function extractZip(file: string, target: ExtractionTarget): Promise<void> {
  const label = target.label;
  let zip: ZipFile;
  const reader = await BoundedFileReader.open(file);
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, reader.size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (error) {
    await reader.closeUnowned();
    throw zipError(error, label, target.signal);
  }
  try {
    if (zip.entryCount > target.limits.maxEntries) {
      throw target.limitError(`holds more than ${target.limits.maxEntries} entries (${zip.entryCount} declared)`);
    }
    const plans = await scanCentralDirectory(zip, target);
    const ordered = refuseOverlaps(plans, target);
    for (const plan of ordered) {
      throwIfAborted(target.signal, label);
      await extractEntry(zip, plan, target);
    }
  } catch (error) {
    throw zipError(error, label, target.signal);
  } finally {
    zip.close();
  }
}

async function scanCentralDirectory(zip: ZipFile, target: ExtractionTarget): Promise<Plan[]> {
  const { limits } = target;
  const plans: Plan[] = [];
  let declaredTotal = 0;
  for await (const entry of zip.eachEntry()) {
    throwIfAborted(target.signal, target.label);
    target.countEntry();
    const rawName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
    const kind = entryKind(entry, rawName, target);
    if (kind === 'dir' && namesArchiveRoot(rawName)) {
      plans.push({ entry, rawName, kind, relativePath: undefined });
      continue;
    }
    const relativePath = target.claim(rawName, kind);
    if (kind === 'file') {
      const name = quoteEntryName(rawName);
      if (entry.isEncrypted()) {
        throw archiveError('PARSE_ERROR', target.label, `entry ${name} is encrypted, which tapedeck cannot read`);
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw archiveError('PARSE_ERROR', target.label, `entry ${name} uses unsupported compression method ${entry.compressionMethod}`);
      }
      const declared = entry.uncompressedSize;
      target.checkDeclaredEntrySize(rawName, declared);
      declaredTotal += declared;
      if (declaredTotal > limits.maxTotalBytes) {
        throw target.limitError(`declares more than the total limit of ${limits.maxTotalBytes} bytes`);
      }
      if (declared > limits.ratioMinBytes && declared > limits.maxCompressionRatio * entry.compressedSize) {
        throw target.limitError(`entry ${name} compresses more than ${limits.maxCompressionRatio}:1 (a decompression bomb)`);
      }
    }
    plans.push({ entry, rawName, kind, relativePath });
  }
  return plans;
}

function entryKind(entry: Entry, rawName: string, target: ExtractionTarget): 'file' | 'dir' {
  const type = ((entry.externalFileAttributes >>> 16) & S_IFMT) >>> 0;
  const refusal = FILE_TYPES.get(type);
  if (refusal !== undefined) throw target.unsafe(`entry ${quoteEntryName(rawName)} ${refusal}`);
  if (type !== 0 && type !== 0o100000 && type !== 0o040000) {
    throw target.unsafe(`entry ${quoteEntryName(rawName)} has unknown file type 0o${type.toString(8)}`);
  }
  return rawName.endsWith('/') || type === 0o040000 ? 'dir' : 'file';
}

/**
 * Refuses entries whose local header + data ranges overlap: honest archives never share
 * bytes between entries, zip bombs that reuse one compressed kernel do. Returns the plans
 * in file order (so extraction reads the archive front to back).
 */
function refuseOverlaps(plans: readonly Plan[], target: ExtractionTarget): Plan[] {
  const ordered = [...plans].sort((a, b) => a.entry.relativeOffsetOfLocalHeader - b.entry.relativeOffsetOfLocalHeader);
  for (let i = 1; i < ordered.length; i += 1) {
    const previous = ordered[i - 1];
    const current = ordered[i];
    if (previous === undefined || current === undefined) continue;
    const previousEnd = previous.entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + previous.entry.compressedSize;
    if (previousEnd > current.entry.relativeOffsetOfLocalHeader) {
      throw target.unsafe(
        `entries ${quoteEntryName(previous.rawName)} and ${quoteEntryName(current.rawName)} overlap (a zip bomb construction)`,
      );
    }
  }
  return ordered;
}

async function extractEntry(zip: ZipFile, plan: Plan, target: ExtractionTarget): Promise<void> {
  if (plan.relativePath === undefined) return;
  if (plan.kind === 'dir') {
    await target.createDirectory(plan.relativePath);
    return;
  }
  try {
    const stream = await zip.openReadStreamPromise(plan.entry);
    // Inflating starts at once; an error before writeFile iterates would be emitted with no
    // listener (an uncaught exception). The iterator still sees it as the stream's error.
    stream.on('error', () => undefined);
    await target.writeFile(plan.relativePath, plan.rawName, stream, {
      declaredBytes: plan.entry.uncompressedSize,
      crc32: plan.entry.crc32,
    });
  } catch (error) {
    if (error instanceof TapedeckError || isAbort(error, target.signal)) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw archiveError(
        'PARSE_ERROR',
        target.label,
        `entry ${quoteEntryName(plan.rawName)} has damaged compressed data (${describeCause(error)})`,
        error,
      );
    }
    throw error;
  }
}

/** Maps what yauzl, zlib and the file system throw to one-line catalog errors. */
function zipError(error: unknown, label: string, signal: AbortSignal | undefined): TapedeckError {
  if (error instanceof TapedeckError) return error;
  if (isAbort(error, signal)) return archiveError('ABORTED', label, 'aborted', error);
  const message = describeCause(error);
  if ((error as { code?: unknown }).code !== undefined && !/^Z_/.test(String((error as { code?: unknown }).code))) {
    // A file system error (ENOSPC, EACCES, …) is not the archive's fault.
    return new TapedeckError('INTERNAL', `${label}: ${message}`, { cause: error });
  }
  if (/end of central directory record signature not found/i.test(message)) {
    return archiveError('PARSE_ERROR', label, 'truncated, or not a ZIP archive (no end of central directory record)', error);
  }
  if (/unexpected EOF|overflows file bounds/i.test(message)) {
    return archiveError('PARSE_ERROR', label, `truncated ZIP archive (${message})`, error);
  }
  return archiveError('PARSE_ERROR', label, `damaged ZIP archive (${message})`, error);
}
