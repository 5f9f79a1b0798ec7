/**
 * One temp directory per test file, holding everything the file's CLI runs may touch:
 *
 * ```
 * <os.tmpdir()>/tapedeck-XXXX/
 *   capture/   the real ffmpeg capture (an archive root)
 *   tmp/       TMPDIR for the CLI: archives are extracted under here, and must be gone after
 *   case-N/    one per test: its inputs, its --output, its --cache-dir
 * ```
 *
 * `redirectTmp()` points `TMPDIR` (what `os.tmpdir()` reads on every call) at `tmp/` for
 * in-process runs; `env` carries the same for real processes. Restored by `remove()`.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type E2eSandbox = {
  readonly base: string;
  readonly capture: string;
  readonly tmp: string;
  /** Environment for real processes: TMPDIR → `tmp`. */
  readonly env: Readonly<Record<string, string>>;
  /** A fresh, empty `case-N` directory. */
  newCase(): Promise<string>;
  /** Points os.tmpdir() of this process at `tmp` (until `remove()`). */
  redirectTmp(): void;
  remove(): Promise<void>;
};

export async function createE2eSandbox(): Promise<E2eSandbox> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const tmp = path.join(base, 'tmp');
  await mkdir(tmp);
  const savedTmpdir = process.env['TMPDIR'];
  let redirected = false;
  let cases = 0;
  return {
    base,
    capture: path.join(base, 'capture'),
    tmp,
    env: { TMPDIR: tmp },
    async newCase(): Promise<string> {
      const dir = path.join(base, `case-${++cases}`);
      await mkdir(dir);
      return dir;
    },
    redirectTmp(): void {
      redirected = true;
      process.env['TMPDIR'] = tmp;
    },
    async remove(): Promise<void> {
      if (redirected) {
        if (savedTmpdir === undefined) delete process.env['TMPDIR'];
        else process.env['TMPDIR'] = savedTmpdir;
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}
