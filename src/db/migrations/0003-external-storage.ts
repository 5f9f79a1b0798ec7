import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Bring-your-own storage.
 *
 * - `external_storages`: one row per configuration; `config` is the public half (JSON of
 *   `StorageConfig`), `secrets_sealed` the credentials sealed with the server's secret box.
 * - `recordings`: `storage_snapshot` pins the exact configuration (public half and sealed
 *   credentials) a recording was started with, so a later change or delete never moves or
 *   loses it; `transcription_storage_name`; two statuses for delivery to a customer's
 *   bucket: `delivering` and `copy_failed` (the CHECK constraint is rebuilt, SQLite's
 *   documented table-rebuild procedure).
 * - `recording_parts`: the archive's `sha256` and `category`, recorded at hand-off.
 * - `recording_files`: where each file was written (storage name, provider, bucket,
 *   category, content type).
 */
export const externalStorage: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('external_storages')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('storage_type', 'text', (c) =>
        c.notNull().check(sql`storage_type in ('s3', 'gcs', 'abs')`),
      )
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('secrets_sealed', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();

    const row = await sql<{
      sql: string;
    }>`select sql from sqlite_master where type = 'table' and name = 'recordings'`.execute(db);
    const createSql = row.rows[0]?.sql;
    if (createSql === undefined) throw new Error('recordings table is missing');
    const oldList = `'finalizing', 'ready', 'failed', 'interrupted')`;
    if (!createSql.includes(oldList))
      throw new Error('recordings status constraint not as expected');
    const newSql = createSql
      .replace(
        oldList,
        `'finalizing', 'delivering', 'copy_failed', 'ready', 'failed', 'interrupted')`,
      )
      .replace(/create table "?recordings"?/i, 'create table "recordings_new"');
    await sql`pragma foreign_keys = off`.execute(db);
    try {
      await sql.raw(newSql).execute(db);
      await sql`insert into recordings_new select * from recordings`.execute(db);
      await sql`drop table recordings`.execute(db);
      await sql`alter table recordings_new rename to recordings`.execute(db);
      await db.schema
        .createIndex('recordings_call_idx')
        .on('recordings')
        .columns(['call_type', 'call_id', 'started_at'])
        .execute();
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) throw new Error('foreign keys broken by the recordings rebuild');
    } finally {
      await sql`pragma foreign_keys = on`.execute(db);
    }
    await db.schema.alterTable('recordings').addColumn('storage_snapshot', 'text').execute();
    await db.schema
      .alterTable('recordings')
      .addColumn('transcription_storage_name', 'text')
      .execute();
    await db.schema
      .createIndex('recordings_status_idx')
      .on('recordings')
      .columns(['status'])
      .execute();

    // The part's archive digest and file category, known at hand-off, used at delivery.
    for (const column of ['sha256', 'category'])
      await db.schema.alterTable('recording_parts').addColumn(column, 'text').execute();
    for (const column of ['storage_name', 'storage_provider', 'bucket', 'category', 'content_type'])
      await db.schema.alterTable('recording_files').addColumn(column, 'text').execute();
    // Set when managed-storage retention deleted the file.
    await db.schema.alterTable('recording_files').addColumn('deleted_at', 'integer').execute();
  },
};
