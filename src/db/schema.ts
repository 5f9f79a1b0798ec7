/**
 * The metadata store's tables as kysely sees them. Column names are snake_case; every
 * time is an integer of Unix milliseconds; booleans are 0/1 integers; JSON columns are
 * `JsonText<T>` (see json.ts). Repositories map rows to camelCase domain objects.
 */

import type { ColumnType, Generated } from 'kysely';
import type { JsonObject, JsonText } from './json.js';

/** A column set on insert and never changed (`created_at`, foreign keys). */
type Immutable<T> = ColumnType<T, T, never>;

export type CallState = 'idle' | 'live' | 'ended';
export type RecordingType = 'raw';
export type RecordingStatus =
  | 'starting'
  | 'recording'
  | 'stopping'
  | 'finalizing'
  | 'delivering'
  | 'copy_failed'
  | 'ready'
  | 'failed'
  | 'interrupted';
export type RecordingPartStatus = 'recording' | 'finalizing' | 'delivering' | 'ready' | 'failed';
export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** Role name → capabilities (`StartRecording`, `StopRecording`, `PublishMedia`, …). */
export type Grants = { readonly [role: string]: readonly string[] };

export type CallTypesTable = {
  name: Immutable<string>;
  settings: JsonText<JsonObject>;
  grants: JsonText<Grants>;
  external_storage: string | null;
  created_at: Immutable<number>;
  updated_at: number;
};

export type CallsTable = {
  type: Immutable<string>;
  id: Immutable<string>;
  created_by: Immutable<string | null>;
  settings_override: JsonText<JsonObject>;
  state: CallState;
  created_at: Immutable<number>;
  updated_at: number;
  ended_at: number | null;
};

export type CallMembersTable = {
  call_type: Immutable<string>;
  call_id: Immutable<string>;
  user_id: Immutable<string>;
  role: string;
  created_at: Immutable<number>;
};

export type RecordingsTable = {
  id: Immutable<string>;
  call_type: Immutable<string>;
  call_id: Immutable<string>;
  recording_type: Immutable<RecordingType>;
  status: RecordingStatus;
  storage_name: string | null;
  storage_provider: string | null;
  /** JSON `{ config, secrets_sealed }`: the exact storage the recording is pinned to. */
  storage_snapshot: string | null;
  transcription_storage_name: string | null;
  started_at: Immutable<number>;
  stopped_at: number | null;
  error_code: string | null;
  error_message: string | null;
  updated_at: number;
};

export type RecordingPartsTable = {
  recording_id: Immutable<string>;
  part_number: Immutable<number>;
  status: RecordingPartStatus;
  archive_path: string | null;
  bytes: number | null;
  started_at: Immutable<number>;
  ended_at: number | null;
  /** 1 when the part was finalized after a crash from what reached the disk. */
  interrupted: number;
  /** The archive's SHA-256 (hex) and file category, recorded when it is handed to delivery. */
  sha256: string | null;
  category: string | null;
};

export type RecordingFilesTable = {
  id: Generated<number>;
  recording_id: Immutable<string>;
  part_number: Immutable<number>;
  /** Object key (or path under the storage root) the file was written to. */
  path: Immutable<string>;
  size_bytes: Immutable<number>;
  sha256: Immutable<string | null>;
  storage_uri: Immutable<string | null>;
  storage_name: Immutable<string | null>;
  storage_provider: Immutable<string | null>;
  bucket: Immutable<string | null>;
  category: Immutable<string | null>;
  content_type: Immutable<string | null>;
  /** When managed-storage retention deleted the file. */
  deleted_at: number | null;
  created_at: Immutable<number>;
};

export type ExternalStoragesTable = {
  name: Immutable<string>;
  storage_type: Immutable<'s3' | 'gcs' | 'abs'>;
  /** JSON of the public `StorageConfig`. */
  config: string;
  /** `StorageSecrets` JSON sealed by the secret box (associated data: the name). */
  secrets_sealed: string | null;
  created_at: Immutable<number>;
  updated_at: number;
};

export type EventsTable = {
  /** Insertion order; `id` is the public, random identifier (webhook idempotency id). */
  seq: Generated<number>;
  id: Immutable<string>;
  type: Immutable<string>;
  /** `<call type>:<call id>` */
  call_cid: Immutable<string>;
  recording_id: Immutable<string | null>;
  payload: Immutable<JsonText<JsonObject>>;
  created_at: Immutable<number>;
};

export type JobsTable = {
  id: Immutable<string>;
  kind: Immutable<string>;
  payload: Immutable<JsonText<JsonObject>>;
  status: JobStatus;
  run_at: number;
  attempts: number;
  max_attempts: Immutable<number>;
  last_error: string | null;
  /** While `running`: the lease's end; another worker may take the job after it. */
  locked_until: number | null;
  /** While `running`: the claim's token; only its holder may complete or fail the job. */
  lease_token: string | null;
  created_at: Immutable<number>;
  updated_at: number;
};

/** Application-wide settings by key (`webhook`, `webhook_cursor`); `value` is JSON. */
export type AppSettingsTable = {
  key: Immutable<string>;
  value: JsonText<JsonObject>;
  updated_at: number;
};

export type Schema = {
  call_types: CallTypesTable;
  calls: CallsTable;
  call_members: CallMembersTable;
  recordings: RecordingsTable;
  recording_parts: RecordingPartsTable;
  recording_files: RecordingFilesTable;
  events: EventsTable;
  jobs: JobsTable;
  app_settings: AppSettingsTable;
  external_storages: ExternalStoragesTable;
};
