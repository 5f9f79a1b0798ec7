/**
 * Ordered, in-code migrations run by kysely's `Migrator`. A migration is never edited once
 * released: add the next one to `MIGRATIONS`. `schema_version` is the number of migrations
 * applied; it is also written to SQLite's `PRAGMA user_version` so `sqlite3 file.db
 * 'pragma user_version'` shows it.
 */

import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { TapedeckError } from '../errors.js';
import { initial } from './migrations/0001-initial.js';
import { appSettings } from './migrations/0002-app-settings.js';
import { externalStorage } from './migrations/0003-external-storage.js';
import type { Schema } from './schema.js';

/** Applied in key order; keys are zero-padded so string order is numeric order. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_app_settings': appSettings,
  '0003_external_storage': externalStorage,
};

/** The version a fully migrated database reports. */
export const LATEST_SCHEMA_VERSION = Object.keys(MIGRATIONS).length;

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

function migrator(db: Kysely<Schema>): Migrator {
  return new Migrator({ db, provider });
}

/**
 * Applies every pending migration, in order, and returns the resulting schema version.
 * Running it again on a migrated database changes nothing.
 */
export async function migrateToLatest(db: Kysely<Schema>): Promise<number> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new TapedeckError('INTERNAL', `db: migration ${failed} failed`, { cause: error });
  }
  const version = await getSchemaVersion(db);
  await sql`pragma user_version = ${sql.raw(String(version))}`.execute(db);
  return version;
}

/** The number of migrations applied (0 on a fresh database). */
export async function getSchemaVersion(db: Kysely<Schema>): Promise<number> {
  const migrations = await migrator(db).getMigrations();
  return migrations.filter((m) => m.executedAt !== undefined).length;
}
