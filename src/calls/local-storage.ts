/**
 * The managed local storage: `<dataDir>/recordings/<recording_id>/<name>`. A file is put
 * by renaming it in (same file system as the spool) or, across devices, by copying to a
 * temporary name and renaming.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A stored file's name: one path segment, no hidden files. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export type StoredFile = {
  /** `<recording_id>/<name>`, relative to the storage root. */
  readonly key: string;
  readonly absolutePath: string;
  readonly sizeBytes: number;
  /** Lowercase hex. */
  readonly sha256: string;
};

export class LocalStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Where `<recordingId>/<name>` lives; TypeError for a name that is not one safe segment. */
  pathOf(recordingId: string, name: string): string {
    if (!SAFE_NAME.test(recordingId))
      throw new TypeError(`unsafe recording id ${JSON.stringify(recordingId)}`);
    if (!SAFE_NAME.test(name)) throw new TypeError(`unsafe file name ${JSON.stringify(name)}`);
    return path.join(this.root, recordingId, name);
  }

  /** Moves `source` to `<recordingId>/<name>` and returns its size and SHA-256. */
  async put(source: string, recordingId: string, name: string): Promise<StoredFile> {
    const target = this.pathOf(recordingId, name);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const temp = `${target}.partial`;
      await copyFile(source, temp);
      await rename(temp, target);
      await rm(source, { force: true });
    }
    const { size } = await stat(target);
    return {
      key: `${recordingId}/${name}`,
      absolutePath: target,
      sizeBytes: size,
      sha256: await sha256Of(target),
    };
  }
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
