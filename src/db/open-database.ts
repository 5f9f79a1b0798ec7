/**
 * Opens the embedded metadata store: one SQLite file (better-sqlite3) behind kysely.
 */

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Schema } from './schema.js';

export type OpenDatabaseOptions = {
  /** File path, or `':memory:'` for a private in-memory database (tests). */
  readonly path: string;
  /** How long a statement waits for another connection's write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
};

export type TapedeckDatabase = {
  readonly db: Kysely<Schema>;
  /** Closes the connection. Idempotent. */
  close(): Promise<void>;
};

/**
 * Opens (creating if absent) the database at `options.path` with WAL journaling,
 * `synchronous = NORMAL`, foreign keys enforced and a busy timeout, so several
 * connections (threads, processes) can share one file. Does not migrate: call
 * `migrateToLatest(db)`.
 */
export function openDatabase(options: OpenDatabaseOptions): TapedeckDatabase {
  if (typeof options.path !== 'string' || options.path === '') {
    throw new TypeError('options.path must be a non-empty string');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError('options.busyTimeoutMs must be a non-negative integer');
  }
  const sqlite = new Database(options.path, { timeout: busyTimeoutMs });
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);

  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  let closing: Promise<void> | undefined;
  return {
    db,
    close(): Promise<void> {
      // Kysely's destroy() closes the better-sqlite3 handle once queued queries finish.
      closing ??= db.destroy();
      return closing;
    },
  };
}
