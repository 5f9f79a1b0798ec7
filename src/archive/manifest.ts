/**
 * The archive manifest: `manifest.json` at the archive root, written last, listing every
 * other file with its size and SHA-256, so a damaged archive is detected before processing.
 *
 * ```
 * {
 *   "version": 1,
 *   "files": [
 *     { "path": "alice/s1/audio_1.rtpdump", "size": 123456, "sha256": "9f86d0…" },
 *     { "path": "alice/s1/audio_1.sdp", "size": 180, "sha256": "…" }
 *   ]
 * }
 * ```
 *
 * Paths are relative to the root, `/`-separated, normalised (no empty, `.` or `..`
 * segments), sorted by Unicode code point (= UTF-8 byte order) and unique; `manifest.json`
 * does not list itself. SHA-256 is 64 lower-case hex digits. Pure: no file system access
 * (see manifest-node.ts for computing and verifying against a folder).
 */
import { TapedeckError, type ErrorCode } from '../errors.js';
import { FieldReader, describeValue } from './timing-metadata-fields.js';
import { parseJsonDocument } from './timing-metadata-json.js';

export type ManifestEntry = {
  /** Relative, `/`-separated, normalised. */
  readonly path: string;
  /** Bytes. */
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
};

export type Manifest = {
  readonly version: 1;
  /** Sorted by path (code point order), unique. */
  readonly files: readonly ManifestEntry[];
};

export const MANIFEST_FILE_NAME = 'manifest.json';

/** Orders strings by Unicode code point (the order of their UTF-8 bytes), not by locale. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) encode code points above FFFF: sort them after E000–FFFF.
    const fx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const fy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return fx - fy;
  }
  return a.length - b.length;
}

/**
 * Why a manifest path is not acceptable, with the error code it earns (UNSAFE_ARCHIVE for
 * paths that would leave the root or break file APIs), or undefined when it is fine.
 */
export function manifestPathProblem(path: string): { code: ErrorCode; reason: string } | undefined {
  if (path === '') return { code: 'PARSE_ERROR', reason: 'is empty' };
  if (/[\u0000-\u001f\u007f]/.test(path))
    return { code: 'UNSAFE_ARCHIVE', reason: 'contains a control character' };
  if (path.includes('\\')) return { code: 'UNSAFE_ARCHIVE', reason: 'contains a backslash' };
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return { code: 'UNSAFE_ARCHIVE', reason: 'is absolute' };
  const segments = path.split('/');
  if (segments.includes('..'))
    return { code: 'UNSAFE_ARCHIVE', reason: 'escapes the archive root' };
  if (segments.some((s) => s === '' || s === '.')) {
    return { code: 'PARSE_ERROR', reason: 'is not normalised (empty or "." segment)' };
  }
  if (path === MANIFEST_FILE_NAME) return { code: 'PARSE_ERROR', reason: 'is the manifest itself' };
  return undefined;
}

function quote(path: string): string {
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
}

/**
 * Builds a manifest from entries in any order: validates them (RangeError naming the entry),
 * lower-cases checksums, sorts by path.
 */
export function buildManifest(entries: Iterable<ManifestEntry>): Manifest {
  const files: ManifestEntry[] = [];
  let i = 0;
  for (const entry of entries) {
    const field = `entries[${i++}]`;
    const problem =
      typeof entry.path === 'string'
        ? manifestPathProblem(entry.path)
        : { reason: 'is not a string' };
    if (problem)
      throw new RangeError(`${field}.path ${quote(String(entry.path))} ${problem.reason}`);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new RangeError(
        `${field}.size must be a non-negative integer, got ${describeValue(entry.size)}`,
      );
    }
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(entry.sha256)) {
      throw new RangeError(
        `${field}.sha256 must be 64 hex digits, got ${describeValue(entry.sha256)}`,
      );
    }
    files.push({ path: entry.path, size: entry.size, sha256: entry.sha256.toLowerCase() });
  }
  files.sort((a, b) => compareCodePoints(a.path, b.path));
  for (let j = 1; j < files.length; j++) {
    if (files[j]?.path === files[j - 1]?.path)
      throw new RangeError(`entries list ${quote(files[j]?.path ?? '')} twice`);
  }
  return { version: 1, files };
}

/** The manifest as JSON text (2-space indent, trailing newline); entries validated and sorted. */
export function serializeManifest(manifest: Manifest): string {
  const { files } = buildManifest(manifest.files);
  return `${JSON.stringify({ version: 1, files: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })) }, null, 2)}\n`;
}

/**
 * Parses and validates manifest text. Unknown fields are ignored; entries may come in any
 * order and are returned sorted. Errors name the field:
 * - JSON syntax: ParseError (PARSE_ERROR) `<source>: invalid JSON at line L column C: … (at N)`;
 * - wrong shape: PARSE_ERROR `<source>: files[2].size must be a non-negative integer, got -1`;
 * - an absolute path, a `..` segment, a backslash or a control character: UNSAFE_ARCHIVE
 *   `<source>: files[0].path "../x" escapes the archive root`.
 */
export function parseManifest(text: string, source: string): Manifest {
  const value = parseJsonDocument(text, source, 'PARSE_ERROR');
  const r = new FieldReader(source, 'PARSE_ERROR');
  const root = r.object(value, '');
  const version = r.get(root, 'version');
  if (version === undefined) r.fail('version', 'is missing');
  if (version !== 1) r.fail('version', `must be 1, got ${describeValue(version)}`);
  if (r.get(root, 'files') === undefined) r.fail('files', 'is missing');
  const list = r.optionalArray(root, 'files', '');
  const files: ManifestEntry[] = list.map((item, i) => {
    const field = `files[${i}]`;
    const o = r.object(item, field);
    const path = r.string(o, 'path', field);
    const problem = manifestPathProblem(path);
    if (problem)
      throw new TapedeckError(
        problem.code,
        `${source}: ${field}.path ${quote(path)} ${problem.reason}`,
      );
    const size = r.integer(o, 'size', field);
    if (size < 0) r.fail(`${field}.size`, `must be a non-negative integer, got ${size}`);
    const sha256 = r.string(o, 'sha256', field);
    if (!/^[0-9a-fA-F]{64}$/.test(sha256))
      r.fail(`${field}.sha256`, `must be 64 hex digits, got ${describeValue(sha256)}`);
    return { path, size, sha256: sha256.toLowerCase() };
  });
  const order = files
    .map((_, i) => i)
    .sort((a, b) => compareCodePoints(files[a]?.path ?? '', files[b]?.path ?? ''));
  for (let j = 1; j < order.length; j++) {
    const previous = files[order[j - 1] ?? 0];
    const current = files[order[j] ?? 0];
    if (previous && current && previous.path === current.path) {
      r.fail(
        `files[${Math.max(order[j] ?? 0, order[j - 1] ?? 0)}].path`,
        `${quote(current.path)} is listed twice`,
      );
    }
  }
  return {
    version: 1,
    files: order.map((i) => files[i]).filter((e): e is ManifestEntry => e !== undefined),
  };
}
