/**
 * Proves a command wrote nothing outside its `--output`: snapshot a directory tree
 * (paths, sizes, mtimes) before the run and compare after, ignoring only the output
 * directory; and check the output directory holds exactly the expected files (no partial
 * or temporary files left behind).
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

/** Every path under `dir` (relative, `/`-separated) → `d`, or `type size mtimeMs` for non-directories. */
export async function snapshotTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = (await readdir(dir, { recursive: true })).sort();
  for (const entry of entries) {
    const info = await lstat(path.join(dir, entry));
    const type = info.isDirectory() ? 'd' : info.isFile() ? 'f' : info.isSymbolicLink() ? 'l' : '?';
    // A directory's mtime changes whenever an entry is created and removed in it: not compared.
    out.set(
      entry.split(path.sep).join('/'),
      type === 'd' ? 'd' : `${type} ${info.size} ${info.mtimeMs}`,
    );
  }
  return out;
}

export type WriteGuard = {
  /**
   * Asserts the tree under the guarded directory is as it was, except for `output` (a
   * directory inside it, which may have appeared) and what is inside `output`.
   */
  expectUnchangedExcept(output?: string): Promise<void>;
};

export async function guardTree(dir: string): Promise<WriteGuard> {
  const before = await snapshotTree(dir);
  return {
    async expectUnchangedExcept(output?: string): Promise<void> {
      const rel =
        output === undefined ? undefined : path.relative(dir, output).split(path.sep).join('/');
      if (rel !== undefined && (rel.startsWith('..') || path.isAbsolute(rel))) {
        throw new RangeError(`output ${output} is not inside the guarded ${dir}`);
      }
      const inOutput = (p: string): boolean =>
        rel !== undefined && (p === rel || p.startsWith(`${rel}/`));
      const after = await snapshotTree(dir);
      const strip = (m: Map<string, string>): [string, string][] =>
        [...m].filter(([p]) => !inOutput(p));
      expect(strip(after)).toEqual(strip(before));
    },
  };
}

/** The names of the files in `dir`, sorted; [] when `dir` does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
}

/** Asserts `dir` holds exactly `names` (regular files, no temporaries, no subfolders). */
export async function expectExactly(dir: string, names: readonly string[]): Promise<void> {
  expect(await listNames(dir)).toEqual([...names].sort());
  for (const name of names) expect((await lstat(path.join(dir, name))).isFile()).toBe(true);
}
