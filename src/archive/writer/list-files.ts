import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { TapedeckError } from '../../errors.js';
import { compareCodePoints, MANIFEST_FILE_NAME } from '../manifest.js';

/** One regular file under an archive root. */
export type ArchiveFile = {
  /** Relative path with `/` separators, as stored in the archive. */
  readonly path: string;
  readonly absolutePath: string;
  readonly size: number;
};

/** A temporary file of manifest-node's `writeManifestFile`, never archived. */
const TEMP_MANIFEST = /^\.manifest\.json\.[0-9a-f]+\.tmp$/;

/**
 * Every regular file under `root`, sorted by relative path in code point order (the
 * manifest's order, = UTF-8 byte order), skipping `manifest.json` at the root (the
 * writers add a fresh one last) and leftover temporary manifests, as
 * `computeManifestForDir` does. Empty directories are not listed. A symbolic link or any
 * other non-regular file is refused (`INVALID_ARGUMENT`): archives hold regular files only.
 */
export async function listFilesToArchive(root: string): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const names = (await readdir(dir)).sort(compareCodePoints);
    for (const name of names) {
      const absolutePath = path.join(dir, name);
      const relative = prefix === '' ? name : `${prefix}/${name}`;
      const info = await lstat(absolutePath);
      if (info.isDirectory()) {
        await walk(absolutePath, relative);
      } else if (info.isFile()) {
        if (relative !== MANIFEST_FILE_NAME && !TEMP_MANIFEST.test(relative)) files.push({ path: relative, absolutePath, size: info.size });
      } else {
        throw new TapedeckError('INVALID_ARGUMENT', `${root}: ${JSON.stringify(relative)} is not a regular file; archives hold regular files only`);
      }
    }
  };
  const info = await lstat(root).catch(() => undefined);
  if (info === undefined) throw new TapedeckError('INPUT_NOT_FOUND', `${root}: no such directory`);
  if (!info.isDirectory()) throw new TapedeckError('INVALID_ARGUMENT', `${root}: is not a directory`);
  await walk(root, '');
  return files.sort((a, b) => compareCodePoints(a.path, b.path));
}
