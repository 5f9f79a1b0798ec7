/**
 * A recording's files as users fetch them: where each was written and a short-lived URL
 * when its storage allows reading.
 *
 * ```text
 * GET /v1/recordings/{id}/files
 *   read_write / managed → 200 { files: [{ …, storage_uri, url, url_expires_at }] }
 *   write_only           → 403 { error: { code: FORBIDDEN, access_mode: write_only, files: [{ name, storage_uri }] } }
 *   nothing written      → 404
 * ```
 * Access is decided per file from the storage's current configuration when it still names
 * the same provider and bucket, so switching write_only → read_write makes earlier
 * recordings fetchable at once; a deleted configuration falls back to the recording's pin.
 */
import type { Kysely } from 'kysely';
import {
  getRecording,
  listRecordingFiles,
  type Recording,
  type RecordingFile,
  type Schema,
} from '../db/index.js';
import { describeFile, linkFile, type FileLink } from '../delivery/file-links.js';
import { TapedeckError } from '../errors.js';
import type { StorageService } from '../storage/storage-service.js';
import type { FileUrlSigner } from './signed-url.js';

export type FileLinkDeps = {
  readonly storage: StorageService;
  readonly signer: FileUrlSigner;
};

/** Links for `files` (deleted ones excluded); write_only files come back without a URL. */
export async function linkRecordingFiles(
  deps: FileLinkDeps,
  recording: Recording,
  files: readonly RecordingFile[],
): Promise<FileLink[]> {
  return Promise.all(
    files
      .filter((f) => f.deletedAtMs === null)
      .map(async (f) => {
        const access = await deps.storage
          .accessOf(f, recording.storageSnapshot)
          .catch(() => undefined);
        if (access === undefined) return describeFile(f);
        return linkFile(f, access, { signer: deps.signer, baseUrl: () => '' }).catch(() =>
          describeFile(f),
        );
      }),
  );
}

/** The files endpoint's answer, or NOT_FOUND / FORBIDDEN (write_only) as described above. */
export async function fetchRecordingFiles(
  db: Kysely<Schema>,
  deps: FileLinkDeps,
  recordingId: string,
): Promise<{ readonly recording: Recording; readonly files: readonly FileLink[] }> {
  const recording = await getRecording(db, recordingId);
  if (recording === undefined)
    throw new TapedeckError('NOT_FOUND', `recording ${recordingId} does not exist`);
  const all = await listRecordingFiles(db, recordingId);
  const live = all.filter((f) => f.deletedAtMs === null);
  if (live.length === 0) {
    const why =
      all.length > 0
        ? 'its files were deleted by the managed storage retention'
        : `no file was written (status ${recording.status})`;
    throw new TapedeckError('NOT_FOUND', `recording ${recordingId} has no files: ${why}`);
  }
  const links = await linkRecordingFiles(deps, recording, live);
  const unreadable = links.filter((l) => l.url === undefined);
  if (unreadable.length > 0) {
    throw new TapedeckError(
      'FORBIDDEN',
      `recording ${recordingId} is in write_only storage ${unreadable[0]?.storage_name ?? ''}: tapedeck may write there but not read; fetch it from the bucket yourself`,
      {
        details: {
          access_mode: 'write_only',
          files: unreadable.map((l) => ({
            name: l.name,
            part_number: l.part_number,
            storage_name: l.storage_name,
            storage_provider: l.storage_provider,
            storage_uri: l.storage_uri,
          })),
        },
      },
    );
  }
  return { recording, files: links };
}
