import type { Kysely, Migration } from 'kysely';

/**
 * `app_settings`: one row per application-wide setting (`webhook`: the endpoint URL and
 * signing secret; `webhook_cursor`: the last event `seq` the webhook dispatcher has
 * turned into delivery jobs). `value` is JSON text.
 */
export const appSettings: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('app_settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
  },
};
