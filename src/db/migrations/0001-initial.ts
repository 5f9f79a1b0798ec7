import { sql, type Kysely, type Migration } from 'kysely';

/** Every table of the first release. Times are Unix ms integers; JSON columns TEXT. */
export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('call_types')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('grants', 'text', (c) => c.notNull())
      .addColumn('external_storage', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('calls')
      .addColumn('type', 'text', (c) => c.notNull().references('call_types.name'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('settings_override', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('idle', 'live', 'ended')`))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .addColumn('ended_at', 'integer')
      .addPrimaryKeyConstraint('calls_pk', ['type', 'id'])
      .execute();

    await db.schema
      .createTable('call_members')
      .addColumn('call_type', 'text', (c) => c.notNull())
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('call_members_pk', ['call_type', 'call_id', 'user_id'])
      .addForeignKeyConstraint(
        'call_members_call_fk',
        ['call_type', 'call_id'],
        'calls',
        ['type', 'id'],
        (c) => c.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('recordings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('call_type', 'text', (c) => c.notNull())
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('recording_type', 'text', (c) => c.notNull().check(sql`recording_type in ('raw')`))
      .addColumn('status', 'text', (c) =>
        c
          .notNull()
          .check(
            sql`status in ('starting', 'recording', 'stopping', 'finalizing', 'ready', 'failed', 'interrupted')`,
          ),
      )
      .addColumn('storage_name', 'text')
      .addColumn('storage_provider', 'text')
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('stopped_at', 'integer')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .addForeignKeyConstraint('recordings_call_fk', ['call_type', 'call_id'], 'calls', [
        'type',
        'id',
      ])
      .execute();
    await db.schema
      .createIndex('recordings_call_idx')
      .on('recordings')
      .columns(['call_type', 'call_id', 'started_at'])
      .execute();

    await db.schema
      .createTable('recording_parts')
      .addColumn('recording_id', 'text', (c) =>
        c.notNull().references('recordings.id').onDelete('cascade'),
      )
      .addColumn('part_number', 'integer', (c) => c.notNull().check(sql`part_number >= 1`))
      .addColumn('status', 'text', (c) =>
        c
          .notNull()
          .check(sql`status in ('recording', 'finalizing', 'delivering', 'ready', 'failed')`),
      )
      .addColumn('archive_path', 'text')
      .addColumn('bytes', 'integer')
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('ended_at', 'integer')
      .addColumn('interrupted', 'integer', (c) =>
        c
          .notNull()
          .defaultTo(0)
          .check(sql`interrupted in (0, 1)`),
      )
      .addPrimaryKeyConstraint('recording_parts_pk', ['recording_id', 'part_number'])
      .execute();

    await db.schema
      .createTable('recording_files')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('recording_id', 'text', (c) => c.notNull())
      .addColumn('part_number', 'integer', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('sha256', 'text')
      .addColumn('storage_uri', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addUniqueConstraint('recording_files_path_uq', ['recording_id', 'part_number', 'path'])
      .addForeignKeyConstraint(
        'recording_files_part_fk',
        ['recording_id', 'part_number'],
        'recording_parts',
        ['recording_id', 'part_number'],
        (c) => c.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('events')
      .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('call_cid', 'text', (c) => c.notNull())
      .addColumn('recording_id', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('events_call_idx')
      .on('events')
      .columns(['call_cid', 'seq'])
      .execute();

    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) =>
        c.notNull().check(sql`status in ('queued', 'running', 'done', 'failed')`),
      )
      .addColumn('run_at', 'integer', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull().check(sql`max_attempts >= 1`))
      .addColumn('last_error', 'text')
      .addColumn('locked_until', 'integer')
      .addColumn('lease_token', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('jobs_status_run_at_idx')
      .on('jobs')
      .columns(['status', 'run_at'])
      .execute();
  },
};
