import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openDatabase, type TapedeckDatabase } from '../../src/db/index.js';

/** A fresh temp directory per test, removed with `cleanup()`. */
export async function makeTempDir(): Promise<{ readonly dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** An in-memory, migrated database. */
export async function openMemoryDb(): Promise<TapedeckDatabase> {
  const handle = openDatabase({ path: ':memory:' });
  await migrateToLatest(handle.db);
  return handle;
}
