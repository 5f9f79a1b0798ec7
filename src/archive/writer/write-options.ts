import { TapedeckError } from '../../errors.js';

/** Options shared by {@link writeZipArchive} and {@link writeTarGzArchive}. */
export type WriteArchiveOptions = {
  /** Aborts writing; the partial temporary file is removed and `outPath` left untouched. */
  readonly signal?: AbortSignal;
  /** Whether to add `manifest.json` (last). Default true. */
  readonly manifest?: boolean;
};

/**
 * Entry time written into every ZIP, so equal inputs give equal bytes: 2000-01-01 00:00.
 * DOS times are local, so this is built from local fields at each call (the same DOS
 * fields in every time zone); 2000 keeps clear of yazl's clamp at the 1980 DOS epoch,
 * which it computes in the time zone it was loaded in.
 */
export function fixedZipMtime(): Date {
  return new Date(2000, 0, 1, 0, 0, 0);
}

/** Entry time written into every tar (tar times are UTC seconds): 2000-01-01T00:00:00Z. */
export const FIXED_TAR_MTIME = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));

export function resolveWriteOptions(options: WriteArchiveOptions): { signal: AbortSignal | undefined; manifest: boolean } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('options.signal must be an AbortSignal');
  }
  if (options.manifest !== undefined && typeof options.manifest !== 'boolean') {
    throw new TypeError('options.manifest must be a boolean');
  }
  return { signal: options.signal, manifest: options.manifest ?? true };
}

/** Runs a writer's body; once `signal` fired, whatever it threw becomes `ABORTED` naming `outPath`. */
export async function runAbortable(outPath: string, signal: AbortSignal | undefined, body: () => Promise<void>): Promise<void> {
  try {
    signal?.throwIfAborted();
    await body();
  } catch (error) {
    if (signal?.aborted === true) throw new TapedeckError('ABORTED', `${outPath}: aborted`, { cause: error });
    throw error;
  }
}
