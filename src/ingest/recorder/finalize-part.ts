/**
 * Packs a finished call part folder into its ZIP (src/archive/writer/write-zip.ts: sorted
 * entries, ZIP64 when needed, manifest.json last, written under a temporary name and
 * renamed), and lists what went in. A part still marked `recording` is refused: nothing
 * half-written is ever presented as a complete archive.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import { writeZipArchive } from '../../archive/writer/write-zip.js';
import { TapedeckError } from '../../errors.js';
import { readRecordingState } from './recording-state.js';
import type { ArchiveFileEntry, FinalizedPart } from './types.js';

export type FinalizeOptions = {
  /** Stops writing; nothing is left at the ZIP's path. Default none. */
  readonly signal?: AbortSignal;
};

async function zipEntries(file: string): Promise<ArchiveFileEntry[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  try {
    const files: ArchiveFileEntry[] = [];
    for await (const entry of zip.eachEntry())
      files.push({ path: entry.fileName, size: entry.uncompressedSize });
    return files;
  } finally {
    zip.close();
  }
}

/**
 * Writes the ZIP of the part folder `root` to `outZipPath` (outside `root`) and returns
 * its path, size and entries. Throws TapedeckError INVALID_ARGUMENT when the part's
 * `recording_state.json` still says `recording` (close the recorder, or `recoverPart` a
 * killed one, first), and whatever the archive writer throws (ABORTED on `signal`).
 */
export async function finalizePart(
  root: string,
  outZipPath: string,
  options: FinalizeOptions = {},
): Promise<FinalizedPart> {
  if (typeof outZipPath !== 'string' || outZipPath === '')
    throw new TypeError('outZipPath must be a file path');
  const rootAbs = path.resolve(root);
  const out = path.resolve(outZipPath);
  if (out === rootAbs || out.startsWith(`${rootAbs}${path.sep}`)) {
    throw new RangeError(`outZipPath must be outside the part folder ${rootAbs}, got ${out}`);
  }
  const state = await readRecordingState(rootAbs);
  if (state.state === 'recording') {
    throw new TapedeckError(
      'INVALID_ARGUMENT',
      `${rootAbs}: the part is still recording (or its recorder was killed): close it, or run recoverPart first`,
    );
  }
  await writeZipArchive(
    rootAbs,
    out,
    options.signal === undefined ? {} : { signal: options.signal },
  );
  const bytes = (await stat(out)).size;
  return {
    path: out,
    bytes,
    files: await zipEntries(out),
    interrupted: state.state === 'interrupted',
  };
}
