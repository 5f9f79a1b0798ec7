import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Runs `write` against a temporary name beside `outPath` and renames it into place on
 * success; on failure the temporary file is removed and `outPath` is left untouched.
 */
export async function commitFile(outPath: string, write: (temporaryPath: string) => Promise<void>): Promise<void> {
  const temporary = path.join(path.dirname(outPath), `.${path.basename(outPath)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await write(temporary);
    await rename(temporary, outPath);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
