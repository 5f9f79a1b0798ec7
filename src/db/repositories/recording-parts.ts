/** A recording's parts (one archive per ≤ 2 h) and the files each part was delivered as. */

import type { Kysely, Selectable } from 'kysely';
import { TapedeckError } from '../../errors.js';
import type {
  RecordingFilesTable,
  RecordingPartStatus,
  RecordingPartsTable,
  Schema,
} from '../schema.js';
import { isSqliteError } from './sqlite-errors.js';

export type RecordingPart = {
  readonly recordingId: string;
  /** 1-based. */
  readonly partNumber: number;
  readonly status: RecordingPartStatus;
  /** The part's archive in the local spool, once built. */
  readonly archivePath: string | null;
  readonly bytes: number | null;
  readonly startedAtMs: number;
  readonly endedAtMs: number | null;
  /** Finalized after a crash from what reached the disk. */
  readonly interrupted: boolean;
  readonly sha256: string | null;
  readonly category: string | null;
};

export type RecordingFile = {
  readonly id: number;
  readonly recordingId: string;
  readonly partNumber: number;
  /** Object key (or path under the storage root). */
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string | null;
  /** Fully qualified location, e.g. `s3://bucket/key`. */
  readonly storageUri: string | null;
  /** The storage configuration's name, its provider and bucket when written. */
  readonly storageName: string | null;
  readonly storageProvider: string | null;
  readonly bucket: string | null;
  readonly category: string | null;
  readonly contentType: string | null;
  /** When managed-storage retention deleted it; null while it exists. */
  readonly deletedAtMs: number | null;
  readonly createdAtMs: number;
};

function toPart(row: Selectable<RecordingPartsTable>): RecordingPart {
  return {
    recordingId: row.recording_id,
    partNumber: row.part_number,
    status: row.status,
    archivePath: row.archive_path,
    bytes: row.bytes,
    startedAtMs: row.started_at,
    endedAtMs: row.ended_at,
    interrupted: row.interrupted === 1,
    sha256: row.sha256,
    category: row.category,
  };
}

function toFile(row: Selectable<RecordingFilesTable>): RecordingFile {
  return {
    id: row.id,
    recordingId: row.recording_id,
    partNumber: row.part_number,
    path: row.path,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    storageUri: row.storage_uri,
    storageName: row.storage_name,
    storageProvider: row.storage_provider,
    bucket: row.bucket,
    category: row.category,
    contentType: row.content_type,
    deletedAtMs: row.deleted_at,
    createdAtMs: row.created_at,
  };
}

/** Opens part `partNumber` in status `recording`. A duplicate part is `CONFLICT`; an unknown recording `NOT_FOUND`. */
export async function addRecordingPart(
  db: Kysely<Schema>,
  input: { readonly recordingId: string; readonly partNumber: number },
  nowMs = Date.now(),
): Promise<RecordingPart> {
  if (!Number.isInteger(input.partNumber) || input.partNumber < 1)
    throw new RangeError('input.partNumber must be an integer ≥ 1');
  try {
    const row = await db
      .insertInto('recording_parts')
      .values({
        recording_id: input.recordingId,
        part_number: input.partNumber,
        status: 'recording',
        archive_path: null,
        bytes: null,
        started_at: nowMs,
        ended_at: null,
        interrupted: 0,
        sha256: null,
        category: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPart(row);
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
      throw new TapedeckError('NOT_FOUND', `recording ${input.recordingId} does not exist`, {
        cause: error,
      });
    }
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
      throw new TapedeckError(
        'CONFLICT',
        `recording ${input.recordingId} already has part ${input.partNumber}`,
        { cause: error },
      );
    }
    throw error;
  }
}

export type RecordingPartPatch = {
  readonly status?: RecordingPartStatus;
  readonly archivePath?: string;
  readonly bytes?: number;
  readonly endedAtMs?: number;
  readonly interrupted?: boolean;
  readonly sha256?: string;
  readonly category?: string;
};

/** Updates the given fields of a part; `NOT_FOUND` when it does not exist. */
export async function updateRecordingPart(
  db: Kysely<Schema>,
  recordingId: string,
  partNumber: number,
  patch: RecordingPartPatch,
): Promise<RecordingPart> {
  const row = await db
    .updateTable('recording_parts')
    .set({
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.archivePath !== undefined ? { archive_path: patch.archivePath } : {}),
      ...(patch.bytes !== undefined ? { bytes: patch.bytes } : {}),
      ...(patch.endedAtMs !== undefined ? { ended_at: patch.endedAtMs } : {}),
      ...(patch.interrupted !== undefined ? { interrupted: patch.interrupted ? 1 : 0 } : {}),
      ...(patch.sha256 !== undefined ? { sha256: patch.sha256 } : {}),
      ...(patch.category !== undefined ? { category: patch.category } : {}),
    })
    .where('recording_id', '=', recordingId)
    .where('part_number', '=', partNumber)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined)
    throw new TapedeckError('NOT_FOUND', `recording ${recordingId} has no part ${partNumber}`);
  return toPart(row);
}

/** The recording's parts in order. */
export async function listRecordingParts(
  db: Kysely<Schema>,
  recordingId: string,
): Promise<RecordingPart[]> {
  const rows = await db
    .selectFrom('recording_parts')
    .selectAll()
    .where('recording_id', '=', recordingId)
    .orderBy('part_number')
    .execute();
  return rows.map(toPart);
}

export type AddRecordingFileInput = {
  readonly recordingId: string;
  readonly partNumber: number;
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string | null;
  readonly storageUri: string | null;
  readonly storageName?: string | null;
  readonly storageProvider?: string | null;
  readonly bucket?: string | null;
  readonly category?: string | null;
  readonly contentType?: string | null;
};

/** Records a delivered file of a part. The same path twice in one part is `CONFLICT`; an unknown part `NOT_FOUND`. */
export async function addRecordingFile(
  db: Kysely<Schema>,
  input: AddRecordingFileInput,
  nowMs = Date.now(),
): Promise<RecordingFile> {
  if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes < 0)
    throw new RangeError('input.sizeBytes must be a non-negative integer');
  try {
    const row = await db
      .insertInto('recording_files')
      .values({
        recording_id: input.recordingId,
        part_number: input.partNumber,
        path: input.path,
        size_bytes: input.sizeBytes,
        sha256: input.sha256,
        storage_uri: input.storageUri,
        storage_name: input.storageName ?? null,
        storage_provider: input.storageProvider ?? null,
        bucket: input.bucket ?? null,
        category: input.category ?? null,
        content_type: input.contentType ?? null,
        deleted_at: null,
        created_at: nowMs,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toFile(row);
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY')) {
      throw new TapedeckError(
        'NOT_FOUND',
        `recording ${input.recordingId} has no part ${input.partNumber}`,
        { cause: error },
      );
    }
    if (isSqliteError(error, 'SQLITE_CONSTRAINT_UNIQUE')) {
      throw new TapedeckError(
        'CONFLICT',
        `recording ${input.recordingId} part ${input.partNumber} already has ${input.path}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The recording's files, by part then insertion. */
export async function listRecordingFiles(
  db: Kysely<Schema>,
  recordingId: string,
): Promise<RecordingFile[]> {
  const rows = await db
    .selectFrom('recording_files')
    .selectAll()
    .where('recording_id', '=', recordingId)
    .orderBy('part_number')
    .orderBy('id')
    .execute();
  return rows.map(toFile);
}

/** Managed files written before `beforeMs` and not yet deleted (retention candidates), oldest first. */
export async function listManagedFilesBefore(
  db: Kysely<Schema>,
  storageName: string,
  beforeMs: number,
  limit = 500,
): Promise<RecordingFile[]> {
  const rows = await db
    .selectFrom('recording_files')
    .selectAll()
    .where('storage_name', '=', storageName)
    .where('deleted_at', 'is', null)
    .where('created_at', '<', beforeMs)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map(toFile);
}

/** Marks a file deleted by retention. */
export async function markRecordingFileDeleted(
  db: Kysely<Schema>,
  id: number,
  nowMs = Date.now(),
): Promise<void> {
  await db.updateTable('recording_files').set({ deleted_at: nowMs }).where('id', '=', id).execute();
}
