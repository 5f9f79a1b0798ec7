import Database from 'better-sqlite3';
import { sql } from 'kysely';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  getSchemaVersion,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  migrateToLatest,
  openDatabase,
  toJson,
} from '../../src/db/index.js';
import { makeTempDir } from './temp-db.js';

const TABLES = [
  'app_settings',
  'call_members',
  'call_types',
  'calls',
  'events',
  'external_storages',
  'jobs',
  'recording_files',
  'recording_parts',
  'recordings',
];

describe('migrations', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    temp = await makeTempDir();
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('migrateToLatest() on a fresh file creates every table and reports the latest schema version', async () => {
    const file = path.join(temp.dir, 'tapedeck.db');
    const handle = openDatabase({ path: file });
    expect(await getSchemaVersion(handle.db)).toBe(0);
    expect(await migrateToLatest(handle.db)).toBe(LATEST_SCHEMA_VERSION);
    const tables = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name not like 'sqlite_%' order by name`.execute(
      handle.db,
    );
    expect(tables.rows.map((r) => r.name)).toEqual(TABLES);
    const indexes = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'index' and tbl_name = 'jobs' and name = 'jobs_status_run_at_idx'`.execute(
      handle.db,
    );
    expect(indexes.rows).toHaveLength(1);
    await handle.close();

    // Visible to any SQLite client: the file is in WAL mode and carries user_version.
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('0003 upgrades a version-2 database in place: recordings keep their rows and foreign keys, and take the delivery statuses', async () => {
    const file = path.join(temp.dir, 'tapedeck.db');
    const handle = openDatabase({ path: file });
    const { Migrator } = await import('kysely');
    const migrator = new Migrator({
      db: handle.db,
      provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
    });
    expect((await migrator.migrateTo('0002_app_settings')).error).toBeUndefined();
    const now = 1_700_000_000_000;
    await sql`insert into call_types (name, settings, grants, external_storage, created_at, updated_at) values ('default', '{}', '{}', null, ${now}, ${now})`.execute(
      handle.db,
    );
    await sql`insert into calls (type, id, created_by, settings_override, state, created_at, updated_at, ended_at) values ('default', 'c1', null, '{}', 'ended', ${now}, ${now}, ${now})`.execute(
      handle.db,
    );
    await sql`insert into recordings (id, call_type, call_id, recording_type, status, storage_name, storage_provider, started_at, stopped_at, error_code, error_message, updated_at) values ('r1', 'default', 'c1', 'raw', 'ready', 'local', 'local', ${now}, ${now}, null, null, ${now})`.execute(
      handle.db,
    );
    await sql`insert into recording_parts (recording_id, part_number, status, archive_path, bytes, started_at, ended_at, interrupted) values ('r1', 1, 'ready', 'x.zip', 10, ${now}, ${now}, 0)`.execute(
      handle.db,
    );

    expect(await migrateToLatest(handle.db)).toBe(LATEST_SCHEMA_VERSION);
    const recording = await handle.db
      .selectFrom('recordings')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(recording).toMatchObject({ id: 'r1', status: 'ready', storage_snapshot: null });
    await handle.db.updateTable('recordings').set({ status: 'delivering' }).execute();
    await expect(
      handle.db
        .updateTable('recordings')
        .set({ status: 'bogus' as never })
        .execute(),
    ).rejects.toThrow(/CHECK constraint/);
    // The parts still reference recordings: deleting the recording cascades.
    await handle.db.deleteFrom('recordings').execute();
    expect(await handle.db.selectFrom('recording_parts').selectAll().execute()).toEqual([]);
    expect((await sql`pragma foreign_keys`.execute(handle.db)).rows).toEqual([{ foreign_keys: 1 }]);
    await handle.close();
  });

  it('migrateToLatest() run again, in the same process and after reopening, changes nothing', async () => {
    const file = path.join(temp.dir, 'tapedeck.db');
    const first = openDatabase({ path: file });
    await migrateToLatest(first.db);
    await first.db
      .insertInto('call_types')
      .values({
        name: 'default',
        settings: toJson({}),
        grants: toJson({}),
        external_storage: null,
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    expect(await migrateToLatest(first.db)).toBe(LATEST_SCHEMA_VERSION);
    await first.close();

    const second = openDatabase({ path: file });
    expect(await migrateToLatest(second.db)).toBe(LATEST_SCHEMA_VERSION);
    const executed = await second.db
      .selectFrom('kysely_migration' as never)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(executed.n).toBe(LATEST_SCHEMA_VERSION);
    expect(await second.db.selectFrom('call_types').select('name').execute()).toEqual([
      { name: 'default' },
    ]);
    await second.close();
  });

  it('openDatabase() enforces foreign keys and sets a busy timeout', async () => {
    const handle = openDatabase({ path: path.join(temp.dir, 'fk.db'), busyTimeoutMs: 1234 });
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(handle.db);
    expect(fk.rows[0]?.foreign_keys).toBe(1);
    const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(handle.db);
    expect(busy.rows[0]?.timeout).toBe(1234);
    await handle.close();
    await handle.close(); // idempotent
  });

  it('openDatabase() with an empty path or a negative busy timeout throws naming the option', () => {
    expect(() => openDatabase({ path: '' })).toThrow(/options\.path/);
    expect(() => openDatabase({ path: ':memory:', busyTimeoutMs: -1 })).toThrow(
      /options\.busyTimeoutMs/,
    );
  });
});
