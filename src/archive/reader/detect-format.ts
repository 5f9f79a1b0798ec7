import { open } from 'node:fs/promises';
import { archiveError } from './archive-error.js';

export type ArchiveFormat = 'zip' | 'tar.gz';

/**
 * Tells a ZIP from a gzip-compressed tar by the first bytes of the file, whatever its
 * extension says:
 *
 * ```
 * ZIP   50 4B 03 04  local file header ("PK\3\4")
 *       50 4B 05 06  end of central directory (an empty archive)
 *       50 4B 07 08  spanning marker before the first local header
 * gzip  1F 8B        (RFC 1952 §2.3.1 ID1 ID2)
 * ```
 *
 * Anything else is `PARSE_ERROR` `<archive>: not a ZIP or gzip-compressed tar archive`.
 * @see RFC 1952
 * @see PKWARE APPNOTE.TXT §4.3
 */
export async function detectArchiveFormat(file: string, label: string): Promise<ArchiveFormat> {
  const handle = await open(file, 'r');
  const head = new Uint8Array(4);
  let length: number;
  try {
    ({ bytesRead: length } = await handle.read(head, 0, 4, 0));
  } finally {
    await handle.close();
  }
  if (length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (length === 4 && head[0] === 0x50 && head[1] === 0x4b) {
    const kind = ((head[2] ?? 0) << 8) | (head[3] ?? 0);
    if (kind === 0x0304 || kind === 0x0506 || kind === 0x0708) return 'zip';
  }
  throw archiveError('PARSE_ERROR', label, 'not a ZIP or gzip-compressed tar archive');
}
