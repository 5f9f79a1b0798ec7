/** The event log (`call.recording_started`, `…_ready`, …): appended once, listed by call. */

import type { Kysely, Selectable } from 'kysely';
import { newId } from '../ids.js';
import { fromJson, toJson, type JsonObject } from '../json.js';
import type { EventsTable, Schema } from '../schema.js';

export type StoredEvent = {
  /** Random; also the webhook idempotency id. */
  readonly id: string;
  /** Insertion order, for paging. */
  readonly seq: number;
  readonly type: string;
  readonly callCid: string;
  readonly recordingId: string | null;
  readonly payload: JsonObject;
  readonly createdAtMs: number;
};

export type AppendEventInput = {
  readonly type: string;
  readonly callCid: string;
  readonly recordingId: string | null;
  readonly payload: JsonObject;
};

function toEvent(row: Selectable<EventsTable>): StoredEvent {
  return {
    id: row.id,
    seq: row.seq,
    type: row.type,
    callCid: row.call_cid,
    recordingId: row.recording_id,
    payload: fromJson(row.payload, 'events.payload'),
    createdAtMs: row.created_at,
  };
}

export async function appendEvent(
  db: Kysely<Schema>,
  input: AppendEventInput,
  nowMs = Date.now(),
): Promise<StoredEvent> {
  const row = await db
    .insertInto('events')
    .values({
      id: newId(),
      type: input.type,
      call_cid: input.callCid,
      recording_id: input.recordingId,
      payload: toJson(input.payload),
      created_at: nowMs,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toEvent(row);
}

export type ListEventsOptions = {
  /** Only events after this `seq` (paging). Default: from the start. */
  readonly afterSeq?: number;
  /** Default 100. */
  readonly limit?: number;
};

/** The call's events in the order they were appended. */
export async function listEventsForCall(
  db: Kysely<Schema>,
  callCid: string,
  options: ListEventsOptions = {},
): Promise<StoredEvent[]> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError('options.limit must be a positive integer');
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('call_cid', '=', callCid)
    .where('seq', '>', options.afterSeq ?? 0)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(toEvent);
}
