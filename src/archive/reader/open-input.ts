import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { archiveError, throwIfAborted } from './archive-error.js';
import { resolveArchiveLimits, type ArchiveLimits, type ResolvedArchiveLimits } from './archive-limits.js';
import { detectArchiveFormat } from './detect-format.js';
import { defaultCacheDir } from './download-cache.js';
import { extractTarGz } from './extract-tar-gz.js';
import { extractZip } from './extract-zip.js';
import { ExtractionTarget } from './extraction-target.js';
import type { S3Settings } from './fetch-s3.js';
import { fetchRemoteArchive } from './fetch-remote.js';
import { parseRemoteLocation } from './remote-location.js';

/**
 * What to read:
 * - `{ file }`: a `.zip` (ZIP64 included) or `.tar.gz`/`.tgz`, told apart by magic bytes;
 * - `{ dir }`: a directory, used in place (nothing copied, cleanup does nothing);
 * - `{ remote }`: `s3://bucket/key`, or an `https://` URL (typically presigned); plain
 *   `http://` only for loopback hosts.
 */
export type ArchiveInput = { readonly file: string } | { readonly dir: string } | { readonly remote: string };

export type OpenArchiveOptions = {
  /**
   * Directory under which the archive is extracted; nothing is written outside it.
   * Default: a fresh `tapedeck-*` directory in `os.tmpdir()`, which is the root and is
   * removed by `cleanup()`. When given, it is created if missing and the root is a fresh
   * `archive-*` directory inside it; `cleanup()` removes that directory (and `workDir`
   * only if this call created it).
   */
  readonly workDir?: string;
  /** Where remote archives are cached. Default `$XDG_CACHE_HOME/tapedeck`, else `~/.cache/tapedeck`. */
  readonly cacheDir?: string;
  /** Extraction limits; each missing field takes the default stated on {@link ArchiveLimits}. */
  readonly limits?: ArchiveLimits;
  /** Aborts download and extraction (`ABORTED`); whatever was extracted is removed. */
  readonly signal?: AbortSignal;
  /** For `s3://` inputs. Credentials come from the AWS SDK's default provider chain. */
  readonly s3?: {
    /** Custom endpoint (S3-compatible stores). Default `$TAPEDECK_S3_ENDPOINT`, else AWS. */
    readonly endpoint?: string;
    /** Default `$AWS_REGION`, else `us-east-1`. */
    readonly region?: string;
    /** Default: true when an endpoint is set, false for AWS itself. */
    readonly forcePathStyle?: boolean;
  };
};

/** An opened archive: its files under `root`. `cleanup()` is idempotent. */
export type OpenedArchive = {
  readonly root: string;
  cleanup(): Promise<void>;
};

type Resolved = {
  readonly workDir: string | undefined;
  readonly cacheDir: string;
  readonly limits: ResolvedArchiveLimits;
  readonly signal: AbortSignal | undefined;
  readonly s3: S3Settings;
};

function resolveOptions(options: OpenArchiveOptions): Resolved {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const text = (value: unknown, name: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${name} must be a non-empty string`);
    return value;
  };
  const workDir = text(options.workDir, 'options.workDir');
  const cacheDir = text(options.cacheDir, 'options.cacheDir');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('options.signal must be an AbortSignal');
  }
  const s3 = options.s3 ?? {};
  const endpoint = text(s3.endpoint, 'options.s3.endpoint') ?? (process.env['TAPEDECK_S3_ENDPOINT'] || undefined);
  const region = text(s3.region, 'options.s3.region') ?? (process.env['AWS_REGION'] || 'us-east-1');
  if (s3.forcePathStyle !== undefined && typeof s3.forcePathStyle !== 'boolean') {
    throw new TypeError('options.s3.forcePathStyle must be a boolean');
  }
  return {
    workDir: workDir === undefined ? undefined : path.resolve(workDir),
    cacheDir: path.resolve(cacheDir ?? defaultCacheDir()),
    limits: resolveArchiveLimits(options.limits),
    signal: options.signal,
    s3: { endpoint, region, forcePathStyle: s3.forcePathStyle ?? endpoint !== undefined },
  };
}

function onceAsync(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= run());
}

/** Creates the extraction root; the returned `dispose` removes everything this created. */
async function createRoot(workDir: string | undefined): Promise<{ root: string; dispose: () => Promise<void> }> {
  if (workDir === undefined) {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
    return { root, dispose: onceAsync(() => rm(root, { recursive: true, force: true })) };
  }
  const created = await mkdir(workDir, { recursive: true });
  const root = await mkdtemp(path.join(workDir, 'archive-'));
  return {
    root,
    dispose: onceAsync(async () => {
      await rm(root, { recursive: true, force: true });
      if (created !== undefined) await rm(created, { recursive: true, force: true });
    }),
  };
}

async function statOrMissing(file: string, label: string): Promise<Awaited<ReturnType<typeof stat>>> {
  try {
    return await stat(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw archiveError('INPUT_NOT_FOUND', label, 'no such file or directory', error);
    throw error;
  }
}

/** Extracts a local archive file into a fresh root, removing everything on any failure. */
async function extractFile(file: string, label: string, options: Resolved): Promise<OpenedArchive> {
  const format = await detectArchiveFormat(file, label);
  throwIfAborted(options.signal, label);
  const { root, dispose } = await createRoot(options.workDir);
  try {
    const target = new ExtractionTarget(root, { label, limits: options.limits, signal: options.signal });
    if (format === 'zip') await extractZip(file, target);
    else await extractTarGz(file, target);
    throwIfAborted(options.signal, label);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { root, cleanup: dispose };
}

/**
 * Opens a raw-recording archive for reading and returns the directory holding its files.
 *
 * Extraction streams (yauzl with lazy entries; tar-stream behind zlib's gunzip): neither
 * the archive nor any entry is held in memory. It is safe against hostile archives: entry
 * names that escape the root, links, devices, FIFOs and duplicate paths are refused
 * (`UNSAFE_ARCHIVE`); entry count, total and per-entry size and compression ratio are
 * limited (`ARCHIVE_LIMIT`), counted on the bytes actually written; truncated or
 * unrecognised files are `PARSE_ERROR`. On any failure everything extracted is removed
 * and nothing is left outside `workDir`.
 *
 * Remote archives are downloaded once into the cache directory and revalidated by ETag
 * on later opens (`REMOTE_FETCH_FAILED`, `INPUT_NOT_FOUND` on 404/NoSuchKey).
 *
 * Bad arguments throw `TypeError`/`RangeError` naming the option.
 */
export async function openArchiveInput(input: ArchiveInput, options: OpenArchiveOptions = {}): Promise<OpenedArchive> {
  if (typeof input !== 'object' || input === null) throw new TypeError('input must be { file }, { dir } or { remote }');
  const keys = Object.keys(input).filter((key) => (input as Record<string, unknown>)[key] !== undefined);
  if (keys.length !== 1) throw new TypeError('input must have exactly one of file, dir or remote');
  const resolved = resolveOptions(options);

  if ('dir' in input) {
    if (typeof input.dir !== 'string' || input.dir.length === 0) throw new TypeError('input.dir must be a non-empty string');
    const root = path.resolve(input.dir);
    throwIfAborted(resolved.signal, input.dir);
    const info = await statOrMissing(root, input.dir);
    if (!info.isDirectory()) throw archiveError('INVALID_ARGUMENT', input.dir, 'is not a directory; pass { file } for an archive file');
    return { root, cleanup: () => Promise.resolve() };
  }
  if ('file' in input) {
    if (typeof input.file !== 'string' || input.file.length === 0) throw new TypeError('input.file must be a non-empty string');
    throwIfAborted(resolved.signal, input.file);
    const info = await statOrMissing(input.file, input.file);
    if (!info.isFile()) throw archiveError('INVALID_ARGUMENT', input.file, 'is not a file; pass { dir } to read a directory in place');
    return extractFile(input.file, input.file, resolved);
  }
  if ('remote' in input) {
    const location = parseRemoteLocation(input.remote);
    throwIfAborted(resolved.signal, location.label);
    const file = await fetchRemoteArchive(location, resolved);
    return extractFile(file, location.label, resolved);
  }
  throw new TypeError('input must be { file }, { dir } or { remote }');
}

