/** Call types: named templates of settings, role grants and default external storage. */

import type { Kysely, Selectable } from 'kysely';
import { fromJson, toJson, type JsonObject } from '../json.js';
import type { CallTypesTable, Grants, Schema } from '../schema.js';

export type CallType = {
  readonly name: string;
  readonly settings: JsonObject;
  readonly grants: Grants;
  /** Name of the external storage recordings of this type go to; null = the default. */
  readonly externalStorage: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
};

export type CallTypeInput = {
  readonly name: string;
  readonly settings: JsonObject;
  readonly grants: Grants;
  readonly externalStorage: string | null;
};

function toCallType(row: Selectable<CallTypesTable>): CallType {
  return {
    name: row.name,
    settings: fromJson(row.settings, 'call_types.settings'),
    grants: fromJson(row.grants, 'call_types.grants'),
    externalStorage: row.external_storage,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
}

/** Creates the call type or replaces its settings, grants and storage; keeps `createdAtMs`. */
export async function upsertCallType(
  db: Kysely<Schema>,
  input: CallTypeInput,
  nowMs = Date.now(),
): Promise<CallType> {
  const settings = toJson(input.settings);
  const grants = toJson(input.grants);
  const row = await db
    .insertInto('call_types')
    .values({
      name: input.name,
      settings,
      grants,
      external_storage: input.externalStorage,
      created_at: nowMs,
      updated_at: nowMs,
    })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        settings,
        grants,
        external_storage: input.externalStorage,
        updated_at: nowMs,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCallType(row);
}

export async function getCallType(db: Kysely<Schema>, name: string): Promise<CallType | undefined> {
  const row = await db
    .selectFrom('call_types')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row === undefined ? undefined : toCallType(row);
}

/** Every call type, by name. */
export async function listCallTypes(db: Kysely<Schema>): Promise<CallType[]> {
  const rows = await db.selectFrom('call_types').selectAll().orderBy('name').execute();
  return rows.map(toCallType);
}
