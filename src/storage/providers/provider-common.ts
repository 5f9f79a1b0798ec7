/** What every provider shares: the write probe and the local-file precondition of an upload. */
import { randomBytes } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { TapedeckError } from '../../errors.js';

/** The body of a write_only validation probe. */
export const PROBE_BODY = Buffer.from('tapedeck write probe\n');

/** `{prefix}/.write_probe_<suffix>` (no leading, trailing or doubled slash); bucket root for ''. */
export function probeKey(prefix: string, suffix = randomBytes(8).toString('hex')): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
  return trimmed === '' ? `.write_probe_${suffix}` : `${trimmed}/.write_probe_${suffix}`;
}

/** A missing or unreadable local file is the caller's problem (INPUT_NOT_FOUND), not the destination's. */
export async function assertReadable(file: string, key: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new TapedeckError(
      'INPUT_NOT_FOUND',
      `upload of "${key}": local file is not readable (${typeof code === 'string' ? code : 'error'})`,
      { cause: error },
    );
  }
}
