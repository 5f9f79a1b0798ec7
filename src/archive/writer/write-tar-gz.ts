import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Pack } from 'tar-stream';
import { MANIFEST_FILE_NAME } from '../manifest.js';
import { commitFile } from './commit-file.js';
import { listFilesToArchive, type ArchiveFile } from './list-files.js';
import { manifestBytesForDir } from './manifest-source.js';
import { FIXED_TAR_MTIME, resolveWriteOptions, runAbortable, type WriteArchiveOptions } from './write-options.js';

const HEADER = { mode: 0o644, mtime: FIXED_TAR_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' } as const;

/** Streams one file into the pack; resolves when tar-stream has taken the whole entry. */
async function addFile(pack: Pack, file: ArchiveFile, signal: AbortSignal | undefined): Promise<void> {
  let settle: (error?: Error | null) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  finished.catch(() => undefined); // observed below; avoids an unhandled rejection meanwhile
  const sink = pack.entry({ ...HEADER, name: file.path, size: file.size }, (error) => settle(error));
  // A failure reaches us through the entry callback; without a listener, the sink's own
  // 'error' event (when the pack is destroyed) would be an uncaught exception.
  sink.on('error', () => undefined);
  for await (const chunk of createReadStream(file.absolutePath)) {
    signal?.throwIfAborted();
    if (!sink.write(chunk as Buffer)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
  }
  sink.end(null); // streamx: end(null) ends without writing more
  await finished;
}

async function packInto(
  temporaryPath: string,
  files: readonly ArchiveFile[],
  manifestBytes: Buffer | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(temporaryPath, { flags: 'wx' }));
  try {
    for (const file of files) await addFile(pack, file, signal);
    if (manifestBytes !== undefined) {
      await new Promise<void>((resolve, reject) => {
        pack.entry({ ...HEADER, name: MANIFEST_FILE_NAME, size: manifestBytes.byteLength }, manifestBytes, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    }
    pack.finalize();
    await written;
  } catch (error) {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
    await written.catch(() => undefined);
    throw error;
  }
}

/**
 * Packs every regular file under `root` into a gzip-compressed tar (ustar; pax headers
 * for long names) at `outPath`, streaming with tar-stream and zlib: the reference tool's
 * `.tar.gz` variant. Same order, fixed times and modes, and trailing `manifest.json` as
 * {@link writeZipArchive}. Written under a temporary name and renamed on success; on
 * failure or abort (`ABORTED`) nothing is left at `outPath`.
 */
export async function writeTarGzArchive(root: string, outPath: string, options: WriteArchiveOptions = {}): Promise<void> {
  const { signal, manifest } = resolveWriteOptions(options);
  await runAbortable(outPath, signal, async () => {
    const files = await listFilesToArchive(root);
    const manifestBytes = manifest ? await manifestBytesForDir(root, signal) : undefined;
    signal?.throwIfAborted();
    await commitFile(outPath, (temporaryPath) => packInto(temporaryPath, files, manifestBytes, signal));
  });
}
