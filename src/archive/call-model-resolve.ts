/**
 * Finding the files a timing metadata document refers to, relative to the document's own
 * folder: `<folder>/<base_filename>.rtpdump` and `.sdp`. Never by substring search across
 * the tree (the reference CLI's way, where `audio_1` matches `audio_10` and other users'
 * files). Only when the file is not next to the metadata does an exact basename match
 * elsewhere count: only if it is the one file with that name outside other sessions'
 * folders (a folder with timing metadata belongs to that session alone).
 */
import { posix } from 'node:path';
import { TapedeckError } from '../errors.js';

/** File names recognised as timing metadata. */
export function isTimingMetadataFile(rel: string): boolean {
  const segments = rel.split('/');
  const name = segments.at(-1) ?? '';
  // macOS archivers add __MACOSX/ folders and ._* AppleDouble files: never metadata.
  if (segments.includes('__MACOSX') || name.startsWith('._')) return false;
  return name === 'timing_metadata.json' || name.endsWith('_timing_metadata.json');
}

/** Resolves referenced files within a fixed list of archive files (relative `/` paths). */
export class ArchiveFileIndex {
  readonly #files: ReadonlySet<string>;
  readonly #byName = new Map<string, string[]>();
  /** Folders holding timing metadata: each belongs to its own session. */
  readonly #sessionFolders = new Set<string>();

  constructor(files: readonly string[]) {
    this.#files = new Set(files);
    for (const rel of files) if (isTimingMetadataFile(rel)) this.#sessionFolders.add(posix.dirname(rel));
    for (const rel of files) {
      const name = posix.basename(rel);
      const list = this.#byName.get(name);
      if (list) list.push(rel);
      else this.#byName.set(name, [rel]);
    }
  }

  has(rel: string): boolean {
    return this.#files.has(rel);
  }

  /**
   * The archive path of `fileName`, referenced by segment `segmentName` of the metadata at
   * `metadataRel`. Throws INPUT_NOT_FOUND when it is neither next to the metadata nor the
   * only file of that name in the archive.
   */
  resolve(metadataRel: string, segmentName: string, fileName: string): string {
    const folder = posix.dirname(metadataRel);
    const beside = folder === '.' ? fileName : `${folder}/${fileName}`;
    if (this.#files.has(beside)) return beside;
    // Another session's folder never lends a file: its audio_1.rtpdump is that session's.
    const elsewhere = (this.#byName.get(fileName) ?? []).filter((f) => !this.#sessionFolders.has(posix.dirname(f)));
    if (elsewhere.length === 1 && elsewhere[0] !== undefined) return elsewhere[0];
    const prefix = `${metadataRel}: segment ${segmentName} refers to ${fileName}`;
    if (elsewhere.length === 0)
      throw new TapedeckError('INPUT_NOT_FOUND', `${prefix}, which is not in the archive`);
    const shown = elsewhere.slice(0, 3).join(', ') + (elsewhere.length > 3 ? ', …' : '');
    throw new TapedeckError(
      'INPUT_NOT_FOUND',
      `${prefix}, which is not in its folder, and ${elsewhere.length} files elsewhere have that name (${shown})`,
    );
  }
}
