/**
 * `POST /v1/recordings/{id}/retry_delivery`: a recording whose copy to its bucket failed
 * (`copy_failed`) goes back into the durable queue with a fresh retry window, using the
 * archives kept in managed storage. CONFLICT when it is not `copy_failed` or the archives
 * are gone (recovery window passed).
 */
import { stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import {
  getRecording,
  listRecordingParts,
  transitionRecording,
  updateRecordingPart,
  type Recording,
  type Schema,
} from '../db/index.js';
import { TapedeckError } from '../errors.js';
import { enqueueDelivery } from './delivery-worker.js';

export async function retryDelivery(db: Kysely<Schema>, recordingId: string): Promise<Recording> {
  const recording = await getRecording(db, recordingId);
  if (recording === undefined)
    throw new TapedeckError('NOT_FOUND', `recording ${recordingId} does not exist`);
  if (recording.status !== 'copy_failed')
    throw new TapedeckError(
      'CONFLICT',
      `recording ${recordingId} is ${recording.status}; only a copy_failed recording can be retried`,
    );
  const failed = (await listRecordingParts(db, recordingId)).filter((p) => p.status === 'failed');
  for (const part of failed) {
    const held =
      part.archivePath !== null &&
      (await stat(part.archivePath).then(
        () => true,
        () => false,
      ));
    if (!held)
      throw new TapedeckError(
        'CONFLICT',
        `recording ${recordingId} part ${part.partNumber}: the archive is no longer kept`,
      );
  }
  for (const part of failed)
    await updateRecordingPart(db, recordingId, part.partNumber, { status: 'delivering' });
  const moved = await transitionRecording(db, recordingId, 'delivering');
  await enqueueDelivery(db, recordingId);
  return moved;
}
