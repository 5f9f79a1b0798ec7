/** Stored external storage configurations: the public JSON and the sealed credentials. */
import type { Kysely, Selectable } from 'kysely';
import { TapedeckError } from '../../errors.js';
import type { ExternalStoragesTable, Schema } from '../schema.js';
import { isSqliteError } from './sqlite-errors.js';

export type ExternalStorageRow = {
  readonly name: string;
  readonly storageType: 's3' | 'gcs' | 'abs';
  /** JSON of the public `StorageConfig`. */
  readonly config: string;
  readonly secretsSealed: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
};

function toRow(row: Selectable<ExternalStoragesTable>): ExternalStorageRow {
  return {
    name: row.name,
    storageType: row.storage_type,
    config: row.config,
    secretsSealed: row.secrets_sealed,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
}

export type PutExternalStorageInput = {
  readonly name: string;
  readonly storageType: 's3' | 'gcs' | 'abs';
  readonly config: string;
  readonly secretsSealed: string | null;
};

/** Creates a configuration; an existing name is `CONFLICT`. */
export async function insertExternalStorage(
  db: Kysely<Schema>,
  input: PutExternalStorageInput,
  nowMs = Date.now(),
): Promise<ExternalStorageRow> {
  try {
    const row = await db
      .insertInto('external_storages')
      .values({
        name: input.name,
        storage_type: input.storageType,
        config: input.config,
        secrets_sealed: input.secretsSealed,
        created_at: nowMs,
        updated_at: nowMs,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRow(row);
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY'))
      throw new TapedeckError('CONFLICT', `external storage ${input.name} already exists`, {
        cause: error,
      });
    throw error;
  }
}

/** Replaces a configuration's config and secrets; an unknown name is `NOT_FOUND`. */
export async function updateExternalStorage(
  db: Kysely<Schema>,
  input: PutExternalStorageInput,
  nowMs = Date.now(),
): Promise<ExternalStorageRow> {
  const row = await db
    .updateTable('external_storages')
    .set({ config: input.config, secrets_sealed: input.secretsSealed, updated_at: nowMs })
    .where('name', '=', input.name)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined)
    throw new TapedeckError('NOT_FOUND', `external storage ${input.name} does not exist`);
  return toRow(row);
}

export async function getExternalStorage(
  db: Kysely<Schema>,
  name: string,
): Promise<ExternalStorageRow | undefined> {
  const row = await db
    .selectFrom('external_storages')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

export async function listExternalStorages(db: Kysely<Schema>): Promise<ExternalStorageRow[]> {
  const rows = await db.selectFrom('external_storages').selectAll().orderBy('name').execute();
  return rows.map(toRow);
}

/** Forgets a configuration (never touches files written there); true when it existed. */
export async function deleteExternalStorage(db: Kysely<Schema>, name: string): Promise<boolean> {
  const result = await db
    .deleteFrom('external_storages')
    .where('name', '=', name)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
