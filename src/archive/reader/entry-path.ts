import { TapedeckError } from '../../errors.js';

/** Longest entry path accepted, in UTF-8 bytes (well under Linux's PATH_MAX of 4096). */
export const MAX_ENTRY_PATH_BYTES = 1024;
/** Longest path segment accepted, in UTF-8 bytes (NAME_MAX on Linux, macOS, Windows). */
export const MAX_ENTRY_SEGMENT_BYTES = 255;

/** Quotes an entry name for a one-line message: escaped, and cut at 200 characters. */
export function quoteEntryName(name: string): string {
  const cut = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  return JSON.stringify(cut);
}

function refuse(name: string, why: string): never {
  throw new TapedeckError('UNSAFE_ARCHIVE', `entry ${quoteEntryName(name)} ${why}`);
}

/**
 * Checks one archive entry name and returns it as a normalised relative path (segments
 * joined by `/`, no `.` or empty segments, no trailing slash) that, joined to any root
 * directory with either POSIX or Windows path rules, stays inside that root.
 *
 * Refused with `UNSAFE_ARCHIVE` (the message names the entry and the reason):
 * - `..` segments, absolute paths (`/x`, `//host/x`), drive letters (`C:x`, `C:/x`);
 * - any backslash (`..\x` and `C:\x` are escapes on Windows; no tapedeck archive has one);
 * - NUL and other control characters;
 * - a segment of only dots and spaces other than `.` (Windows trims them to `..` or ``);
 * - a segment over 255 or a path over 1024 UTF-8 bytes;
 * - a name that is empty or names the root itself (`.`, `./`): callers skip a directory
 *   entry naming the root before calling this.
 *
 * Pure: no file system access. The result is case- and Unicode-preserving; callers that
 * detect duplicates compare a folded form of it.
 */
export function checkEntryPath(name: string): string {
  if (typeof name !== 'string') throw new TypeError('name must be a string');
  if (name.length === 0) refuse(name, 'has an empty name');
  if (name.includes('\0')) refuse(name, 'contains a NUL byte');
  if (/[\u0001-\u001f\u007f]/.test(name)) refuse(name, 'contains a control character');
  if (name.includes('\\')) refuse(name, 'contains a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) refuse(name, 'escapes the archive root');
  if (Buffer.byteLength(name, 'utf8') > MAX_ENTRY_PATH_BYTES) {
    refuse(name, `is longer than ${MAX_ENTRY_PATH_BYTES} bytes`);
  }
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') refuse(name, 'escapes the archive root');
    if (/^[. ]+$/.test(segment)) refuse(name, 'has a segment made only of dots and spaces');
    if (Buffer.byteLength(segment, 'utf8') > MAX_ENTRY_SEGMENT_BYTES) {
      refuse(name, `has a segment longer than ${MAX_ENTRY_SEGMENT_BYTES} bytes`);
    }
    segments.push(segment);
  }
  if (segments.length === 0) refuse(name, 'names the archive root itself');
  // "./c:" and ".//c:" normalise to a drive-relative path: check the result, not just the name.
  if (/^[A-Za-z]:/.test(segments[0] ?? '')) refuse(name, 'escapes the archive root');
  return segments.join('/');
}

/** True for a directory entry naming the root itself (`.`, `./`, `././`), which is skipped. */
export function namesArchiveRoot(name: string): boolean {
  return /^\.(\/+\.)*\/*$/.test(name);
}
