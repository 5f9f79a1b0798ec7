/**
 * The manifest against a folder on disk: list files, compute (streaming SHA-256), verify,
 * read and write `manifest.json`. Symbolic links are never followed: a link (to a file or
 * a folder) is not an archive file, so it is neither listed nor accepted as a listed file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TapedeckError } from '../errors.js';
import {
  MANIFEST_FILE_NAME,
  buildManifest,
  compareCodePoints,
  manifestPathProblem,
  parseManifest,
  serializeManifest,
  type Manifest,
  type ManifestEntry,
} from './manifest.js';

export type ManifestDirOptions = {
  /** Stops the walk or the hashing with TapedeckError('ABORTED'). Default: none. */
  readonly signal?: AbortSignal | undefined;
};

export type ManifestVerification = {
  /** Number of manifest entries checked (all of them). */
  readonly checkedFiles: number;
  /** Files in the folder that the manifest does not list (besides manifest.json), sorted. */
  readonly extraFiles: readonly string[];
};

/** Largest manifest.json read, in bytes (about 200 000 entries). */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

const TEMP_MANIFEST = /^\.manifest\.json\.[0-9a-f]+\.tmp$/;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new TapedeckError('ABORTED', 'operation aborted', { cause: signal.reason });
}

function errnoCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : 'error';
}

async function requireDirectory(root: string): Promise<void> {
  try {
    if ((await stat(root)).isDirectory()) return;
  } catch (error) {
    throw new TapedeckError('INPUT_NOT_FOUND', `${root}: no such folder`, { cause: error });
  }
  throw new TapedeckError('INPUT_NOT_FOUND', `${root}: not a folder`);
}

/**
 * Every regular file under `root` as a relative `/`-separated path, sorted by code point.
 * Symbolic links, sockets, FIFOs and devices are skipped; links are not followed.
 */
export async function listArchiveFiles(
  root: string,
  options: ManifestDirOptions = {},
): Promise<string[]> {
  await requireDirectory(root);
  const files: string[] = [];
  const pending: string[] = [''];
  for (let relDir = pending.pop(); relDir !== undefined; relDir = pending.pop()) {
    checkAborted(options.signal);
    const absDir = relDir === '' ? root : path.join(root, ...relDir.split('/'));
    let entries;
    try {
      entries = await readdir(absDir, { withFileTypes: true });
    } catch (error) {
      throw new TapedeckError(
        'INPUT_NOT_FOUND',
        `${absDir}: cannot read folder (${errnoCode(error)})`,
        { cause: error },
      );
    }
    for (const entry of entries) {
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) pending.push(rel);
      else if (entry.isFile()) files.push(rel);
    }
  }
  return files.sort(compareCodePoints);
}

/** SHA-256 (lower-case hex) and byte count of a file, read as a stream. */
export async function sha256File(
  file: string,
  options: ManifestDirOptions = {},
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(
      file,
      options.signal ? { signal: options.signal } : {},
    )) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.length;
    }
  } catch (error) {
    checkAborted(options.signal);
    throw new TapedeckError('INPUT_NOT_FOUND', `${file}: cannot read (${errnoCode(error)})`, {
      cause: error,
    });
  }
  return { sha256: hash.digest('hex'), size };
}

function absolute(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

/**
 * The manifest of every file under `root` except `manifest.json` itself (and this module's
 * own temporary files), in code point order. A file whose name cannot go into a manifest
 * (a backslash or a control character) throws UNSAFE_ARCHIVE.
 */
export async function computeManifestForDir(
  root: string,
  options: ManifestDirOptions = {},
): Promise<Manifest> {
  const entries: ManifestEntry[] = [];
  for (const rel of await listArchiveFiles(root, options)) {
    if (rel === MANIFEST_FILE_NAME || TEMP_MANIFEST.test(rel)) continue;
    const problem = manifestPathProblem(rel);
    if (problem)
      throw new TapedeckError(
        problem.code,
        `${root}: file ${JSON.stringify(rel)} cannot be listed: it ${problem.reason}`,
      );
    checkAborted(options.signal);
    const { sha256, size } = await sha256File(absolute(root, rel), options);
    entries.push({ path: rel, size, sha256 });
  }
  return buildManifest(entries);
}

function short(sha256: string): string {
  return `${sha256.slice(0, 12)}…`;
}

/**
 * Checks every manifest entry against the folder: present as a regular file (not through a
 * link), same size, same SHA-256. Sizes are checked for all entries before any hashing.
 * The first failure, in path order, throws one line with code MANIFEST_MISMATCH:
 * `u/s/audio_1.rtpdump: size 100, manifest says 200`, `…: missing, manifest says 200 bytes`,
 * `…: sha256 9f86d081884c…, manifest says 2c26b46b68ff…`.
 * Files the manifest does not list are returned, not thrown.
 */
export async function verifyManifest(
  root: string,
  manifest: Manifest,
  options: ManifestDirOptions = {},
): Promise<ManifestVerification> {
  const onDisk = await listArchiveFiles(root, options);
  const present = new Set(onDisk);
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const entry of manifest.files) {
    if (!present.has(entry.path)) {
      throw new TapedeckError(
        'MANIFEST_MISMATCH',
        `${entry.path}: missing, manifest says ${entry.size} bytes`,
      );
    }
    const size = await lstat(absolute(root, entry.path)).then(
      (info) => info.size,
      (error: unknown) => {
        throw new TapedeckError(
          'MANIFEST_MISMATCH',
          `${entry.path}: missing, manifest says ${entry.size} bytes`,
          { cause: error },
        );
      },
    );
    if (size !== entry.size) {
      throw new TapedeckError(
        'MANIFEST_MISMATCH',
        `${entry.path}: size ${size}, manifest says ${entry.size}`,
      );
    }
  }
  for (const entry of manifest.files) {
    checkAborted(options.signal);
    const { sha256, size } = await sha256File(absolute(root, entry.path), options);
    if (size !== entry.size) {
      throw new TapedeckError(
        'MANIFEST_MISMATCH',
        `${entry.path}: size ${size}, manifest says ${entry.size}`,
      );
    }
    if (sha256 !== entry.sha256) {
      throw new TapedeckError(
        'MANIFEST_MISMATCH',
        `${entry.path}: sha256 ${short(sha256)}, manifest says ${short(entry.sha256)}`,
      );
    }
  }
  const extraFiles = onDisk.filter((rel) => rel !== MANIFEST_FILE_NAME && !listed.has(rel));
  return { checkedFiles: manifest.files.length, extraFiles };
}

/** Reads `<root>/manifest.json`; undefined when there is none (a link is not one). */
export async function readManifestFile(root: string): Promise<Manifest | undefined> {
  const file = path.join(root, MANIFEST_FILE_NAME);
  let info;
  try {
    info = await lstat(file);
  } catch {
    return undefined;
  }
  if (!info.isFile()) return undefined;
  if (info.size > MAX_MANIFEST_BYTES) {
    throw new TapedeckError(
      'ARCHIVE_LIMIT',
      `${MANIFEST_FILE_NAME}: ${info.size} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  }
  return parseManifest(await readFile(file, 'utf8'), MANIFEST_FILE_NAME);
}

/** Writes `<root>/manifest.json` atomically (temporary file in the same folder, then rename). */
export async function writeManifestFile(root: string, manifest: Manifest): Promise<void> {
  const text = serializeManifest(manifest);
  const temp = path.join(root, `.manifest.json.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { flag: 'wx' });
    await rename(temp, path.join(root, MANIFEST_FILE_NAME));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
