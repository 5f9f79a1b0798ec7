import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { MANIFEST_FILE_NAME } from '../manifest.js';
import { commitFile } from './commit-file.js';
import { listFilesToArchive } from './list-files.js';
import { manifestBytesForDir } from './manifest-source.js';
import { fixedZipMtime, resolveWriteOptions, runAbortable, type WriteArchiveOptions } from './write-options.js';

/** Regular file, rw-r--r--, in the high half of the external attributes (APPNOTE §4.4.15). */
const FILE_MODE = 0o100644;

/**
 * Packs every regular file under `root` into a ZIP at `outPath`, streaming with yazl
 * (ZIP64 records are used automatically past 4 GiB or 65,535 entries). Files go in sorted
 * path order, deflated, with a fixed time and mode and no extended-timestamp field, so the
 * same tree always gives the same bytes; `manifest.json` (from `computeManifestForDir`)
 * comes last. Written under a temporary name and renamed on success; on failure or abort
 * (`ABORTED`) nothing is left at `outPath`.
 * @see PKWARE APPNOTE.TXT §4.3
 */
export async function writeZipArchive(root: string, outPath: string, options: WriteArchiveOptions = {}): Promise<void> {
  const { signal, manifest } = resolveWriteOptions(options);
  await runAbortable(outPath, signal, async () => {
    const files = await listFilesToArchive(root);
    const manifestBytes = manifest ? await manifestBytesForDir(root, signal) : undefined;
    signal?.throwIfAborted();
    const entryOptions = { mtime: fixedZipMtime(), mode: FILE_MODE, forceDosTimestamp: true, compress: true };
    await commitFile(outPath, async (temporaryPath) => {
      const zip = new yazl.ZipFile();
      for (const file of files) zip.addFile(file.absolutePath, file.path, entryOptions);
      if (manifestBytes !== undefined) zip.addBuffer(manifestBytes, MANIFEST_FILE_NAME, entryOptions);
      zip.end();
      const output = createWriteStream(temporaryPath, { flags: 'wx' });
      await pipeline(zip.outputStream, output, signal === undefined ? {} : { signal });
    });
  });
}
