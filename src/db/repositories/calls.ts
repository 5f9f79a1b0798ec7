/** Calls (identified by type and id) and their members' roles. */

import type { Kysely, Selectable } from 'kysely';
import { TapedeckError } from '../../errors.js';
import { fromJson, toJson, type JsonObject } from '../json.js';
import type { CallMembersTable, CallState, CallsTable, Schema } from '../schema.js';
import { isSqliteError } from './sqlite-errors.js';

export type Call = {
  readonly type: string;
  readonly id: string;
  /** `<type>:<id>`, the call's id in events. */
  readonly cid: string;
  readonly createdBy: string | null;
  readonly settingsOverride: JsonObject;
  readonly state: CallState;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly endedAtMs: number | null;
};

export type CallMember = {
  readonly callType: string;
  readonly callId: string;
  readonly userId: string;
  readonly role: string;
  readonly createdAtMs: number;
};

export function callCid(type: string, id: string): string {
  return `${type}:${id}`;
}

function toCall(row: Selectable<CallsTable>): Call {
  return {
    type: row.type,
    id: row.id,
    cid: callCid(row.type, row.id),
    createdBy: row.created_by,
    settingsOverride: fromJson(row.settings_override, 'calls.settings_override'),
    state: row.state,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
    endedAtMs: row.ended_at,
  };
}

function toMember(row: Selectable<CallMembersTable>): CallMember {
  return {
    callType: row.call_type,
    callId: row.call_id,
    userId: row.user_id,
    role: row.role,
    createdAtMs: row.created_at,
  };
}

function notFound(type: string, id: string): TapedeckError {
  return new TapedeckError('NOT_FOUND', `call ${callCid(type, id)} does not exist`);
}

export async function getCall(
  db: Kysely<Schema>,
  type: string,
  id: string,
): Promise<Call | undefined> {
  const row = await db
    .selectFrom('calls')
    .selectAll()
    .where('type', '=', type)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toCall(row);
}

export type GetOrCreateCallInput = {
  readonly type: string;
  readonly id: string;
  readonly createdBy: string | null;
  /** Used only when the call is created. Default `{}`. */
  readonly settingsOverride?: JsonObject;
};

/**
 * Returns the call, creating it in state `idle` when absent. `created` tells which.
 * An unknown call type is `NOT_FOUND`.
 */
export async function getOrCreateCall(
  db: Kysely<Schema>,
  input: GetOrCreateCallInput,
  nowMs = Date.now(),
): Promise<{ readonly call: Call; readonly created: boolean }> {
  let inserted: Selectable<CallsTable> | undefined;
  try {
    inserted = await db
      .insertInto('calls')
      .values({
        type: input.type,
        id: input.id,
        created_by: input.createdBy,
        settings_override: toJson(input.settingsOverride ?? {}),
        state: 'idle',
        created_at: nowMs,
        updated_at: nowMs,
        ended_at: null,
      })
      .onConflict((oc) => oc.columns(['type', 'id']).doNothing())
      .returningAll()
      .executeTakeFirst();
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
      throw new TapedeckError('NOT_FOUND', `call type ${input.type} does not exist`, {
        cause: error,
      });
    }
    throw error;
  }
  if (inserted !== undefined) return { call: toCall(inserted), created: true };
  const existing = await getCall(db, input.type, input.id);
  if (existing === undefined) throw notFound(input.type, input.id);
  return { call: existing, created: false };
}

/** Replaces the call's `settings_override`. */
export async function updateCallSettingsOverride(
  db: Kysely<Schema>,
  type: string,
  id: string,
  settingsOverride: JsonObject,
  nowMs = Date.now(),
): Promise<Call> {
  const row = await db
    .updateTable('calls')
    .set({ settings_override: toJson(settingsOverride), updated_at: nowMs })
    .where('type', '=', type)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw notFound(type, id);
  return toCall(row);
}

/** Moves an `idle` call to `live` (first participant joined). A live or ended call is returned as is. */
export async function markCallLive(
  db: Kysely<Schema>,
  type: string,
  id: string,
  nowMs = Date.now(),
): Promise<Call> {
  await db
    .updateTable('calls')
    .set({ state: 'live', updated_at: nowMs })
    .where('type', '=', type)
    .where('id', '=', id)
    .where('state', '=', 'idle')
    .execute();
  const call = await getCall(db, type, id);
  if (call === undefined) throw notFound(type, id);
  return call;
}

/** Ends the call. Ending an ended call changes nothing and returns it (`endedAtMs` kept). */
export async function endCall(
  db: Kysely<Schema>,
  type: string,
  id: string,
  nowMs = Date.now(),
): Promise<Call> {
  await db
    .updateTable('calls')
    .set({ state: 'ended', ended_at: nowMs, updated_at: nowMs })
    .where('type', '=', type)
    .where('id', '=', id)
    .where('state', '!=', 'ended')
    .execute();
  const call = await getCall(db, type, id);
  if (call === undefined) throw notFound(type, id);
  return call;
}

/** Sets a user's role in a call (adding the member if new). */
export async function setCallMember(
  db: Kysely<Schema>,
  member: {
    readonly callType: string;
    readonly callId: string;
    readonly userId: string;
    readonly role: string;
  },
  nowMs = Date.now(),
): Promise<CallMember> {
  try {
    const row = await db
      .insertInto('call_members')
      .values({
        call_type: member.callType,
        call_id: member.callId,
        user_id: member.userId,
        role: member.role,
        created_at: nowMs,
      })
      .onConflict((oc) =>
        oc.columns(['call_type', 'call_id', 'user_id']).doUpdateSet({ role: member.role }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMember(row);
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY'))
      throw notFound(member.callType, member.callId);
    throw error;
  }
}

export async function listCallMembers(
  db: Kysely<Schema>,
  type: string,
  id: string,
): Promise<CallMember[]> {
  const rows = await db
    .selectFrom('call_members')
    .selectAll()
    .where('call_type', '=', type)
    .where('call_id', '=', id)
    .orderBy('user_id')
    .execute();
  return rows.map(toMember);
}
