/**
 * Recordings and their lifecycle. Status moves only along these edges; anything else is
 * refused with `CONFLICT`, checked and applied in one statement (compare-and-set), so two
 * requests racing on one recording cannot both win.
 *
 * ```
 * starting ─▶ recording ─▶ stopping ─▶ finalizing ─▶ ready
 *    │            │            │            │
 *    ├────────────┴────────────┴────────────┴──▶ failed
 *    └────────────┴────────────┴────────────┴──▶ interrupted ─▶ finalizing | failed
 * starting ─▶ stopping (stopped before the first packet)
 * finalizing ─▶ delivering ─▶ ready          (archives on their way to a customer's bucket)
 *                    └──────▶ copy_failed ─▶ delivering   (retry_delivery)
 * ```
 * `interrupted` is where a crash leaves a recording; recovery finalizes it from what
 * reached the disk (its parts carry the `interrupted` flag). `ready` and `failed` are final.
 */

import type { Kysely, Selectable } from 'kysely';
import { TapedeckError } from '../../errors.js';
import { newId } from '../ids.js';
import type { RecordingStatus, RecordingType, RecordingsTable, Schema } from '../schema.js';
import { isSqliteError } from './sqlite-errors.js';

export type Recording = {
  readonly id: string;
  readonly callType: string;
  readonly callId: string;
  readonly recordingType: RecordingType;
  readonly status: RecordingStatus;
  /** The storage configuration's name and provider the recording is pinned to. */
  readonly storageName: string | null;
  readonly storageProvider: string | null;
  /** JSON `{ config, secrets_sealed }` of the storage pinned at start (null: managed local). */
  readonly storageSnapshot: string | null;
  readonly transcriptionStorageName: string | null;
  readonly startedAtMs: number;
  readonly stoppedAtMs: number | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly updatedAtMs: number;
};

/** From-status → statuses it may move to. */
export const RECORDING_TRANSITIONS: Readonly<Record<RecordingStatus, readonly RecordingStatus[]>> =
  {
    starting: ['recording', 'stopping', 'failed', 'interrupted'],
    recording: ['stopping', 'failed', 'interrupted'],
    stopping: ['finalizing', 'failed', 'interrupted'],
    finalizing: ['delivering', 'ready', 'failed', 'interrupted'],
    delivering: ['ready', 'copy_failed', 'failed'],
    copy_failed: ['delivering', 'failed'],
    interrupted: ['finalizing', 'failed'],
    ready: [],
    failed: [],
  };

/** Statuses of a recording that is still capturing or being finished. */
export const ACTIVE_RECORDING_STATUSES: readonly RecordingStatus[] = [
  'starting',
  'recording',
  'stopping',
  'finalizing',
];

function toRecording(row: Selectable<RecordingsTable>): Recording {
  return {
    id: row.id,
    callType: row.call_type,
    callId: row.call_id,
    recordingType: row.recording_type,
    status: row.status,
    storageName: row.storage_name,
    storageProvider: row.storage_provider,
    storageSnapshot: row.storage_snapshot,
    transcriptionStorageName: row.transcription_storage_name,
    startedAtMs: row.started_at,
    stoppedAtMs: row.stopped_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    updatedAtMs: row.updated_at,
  };
}

export type CreateRecordingInput = {
  readonly callType: string;
  readonly callId: string;
  readonly recordingType: RecordingType;
  readonly storageName: string | null;
  readonly storageProvider: string | null;
  readonly storageSnapshot?: string | null;
  readonly transcriptionStorageName?: string | null;
  /** Default: a new random id. */
  readonly id?: string;
};

/** Creates a recording in status `starting`. An unknown call is `NOT_FOUND`. */
export async function createRecording(
  db: Kysely<Schema>,
  input: CreateRecordingInput,
  nowMs = Date.now(),
): Promise<Recording> {
  try {
    const row = await db
      .insertInto('recordings')
      .values({
        id: input.id ?? newId(),
        call_type: input.callType,
        call_id: input.callId,
        recording_type: input.recordingType,
        status: 'starting',
        storage_name: input.storageName,
        storage_provider: input.storageProvider,
        storage_snapshot: input.storageSnapshot ?? null,
        transcription_storage_name: input.transcriptionStorageName ?? null,
        started_at: nowMs,
        stopped_at: null,
        error_code: null,
        error_message: null,
        updated_at: nowMs,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecording(row);
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
      throw new TapedeckError(
        'NOT_FOUND',
        `call ${input.callType}:${input.callId} does not exist`,
        { cause: error },
      );
    }
    throw error;
  }
}

export async function getRecording(db: Kysely<Schema>, id: string): Promise<Recording | undefined> {
  const row = await db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRecording(row);
}

/** The call's recordings, oldest first. */
export async function listRecordingsForCall(
  db: Kysely<Schema>,
  callType: string,
  callId: string,
): Promise<Recording[]> {
  const rows = await db
    .selectFrom('recordings')
    .selectAll()
    .where('call_type', '=', callType)
    .where('call_id', '=', callId)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  return rows.map(toRecording);
}

/** Every recording in one of `statuses` (crash recovery looks for the active ones). */
export async function listRecordingsByStatus(
  db: Kysely<Schema>,
  statuses: readonly RecordingStatus[],
): Promise<Recording[]> {
  if (statuses.length === 0) return [];
  const rows = await db
    .selectFrom('recordings')
    .selectAll()
    .where('status', 'in', statuses)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  return rows.map(toRecording);
}

export type TransitionOptions = {
  /** Kept with a `failed` recording. */
  readonly error?: { readonly code: string; readonly message: string };
};

/**
 * Moves the recording to `to`. Sets `stoppedAtMs` the first time it leaves capture
 * (`stopping`, `failed`, `interrupted`). Throws `NOT_FOUND` for an unknown id and
 * `CONFLICT` when the current status has no edge to `to` (see `RECORDING_TRANSITIONS`).
 */
export async function transitionRecording(
  db: Kysely<Schema>,
  id: string,
  to: RecordingStatus,
  options: TransitionOptions = {},
  nowMs = Date.now(),
): Promise<Recording> {
  const from = (Object.keys(RECORDING_TRANSITIONS) as RecordingStatus[]).filter((s) =>
    RECORDING_TRANSITIONS[s].includes(to),
  );
  const stops = to === 'stopping' || to === 'failed' || to === 'interrupted';
  const row =
    from.length === 0
      ? undefined
      : await db
          .updateTable('recordings')
          .set((eb) => ({
            status: to,
            updated_at: nowMs,
            ...(stops ? { stopped_at: eb.fn.coalesce('stopped_at', eb.val(nowMs)) } : {}),
            ...(options.error !== undefined
              ? { error_code: options.error.code, error_message: options.error.message }
              : {}),
          }))
          .where('id', '=', id)
          .where('status', 'in', from)
          .returningAll()
          .executeTakeFirst();
  if (row !== undefined) return toRecording(row);
  const current = await getRecording(db, id);
  if (current === undefined) throw new TapedeckError('NOT_FOUND', `recording ${id} does not exist`);
  throw new TapedeckError(
    'CONFLICT',
    `recording ${id} is ${current.status} and cannot become ${to}`,
  );
}
