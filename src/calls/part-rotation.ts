/**
 * Delivery of a part cut at a part boundary (`TAPEDECK_PART_SECONDS`, default 2 hours)
 * while the recording goes on in the next part: its ZIP is finalized, put into the managed
 * storage, recorded (part and file) and announced on its own (`call.recording_ready` with
 * its `part_number`). A failure marks only that part `failed` and announces
 * `call.recording_failed` for it; the recording fails when it is finished (finish-recording.ts).
 *
 * ```
 * part 1 ──cut──▶ finalizing ─▶ delivering ─▶ ready  (call.recording_ready, part_number 1)
 * part 2 ──cut──▶ …
 * part n ──stop─▶ finishRecording (the recording becomes ready)
 * ```
 */
import {
  addRecordingFile,
  appendEvent,
  callCid,
  updateRecordingPart,
  type Recording,
} from '../db/index.js';
import { pathToFileURL } from 'node:url';
import { archiveCategory, enqueueDelivery } from '../delivery/delivery-worker.js';
import { linkFile } from '../delivery/file-links.js';
import { rm } from 'node:fs/promises';
import { TapedeckError, toTapedeckError } from '../errors.js';
import { MANAGED_STORAGE_NAME } from '../storage/types.js';
import type { FinalizedPart } from '../ingest/recorder/index.js';
import type { CutPart } from './active-recording.js';
import { partArchiveName, type FinishContext } from './finish-recording.js';

/**
 * Puts part `partNumber`'s finalized ZIP into the managed storage. When the recording is
 * pinned to the managed local disk that is its final place: the file is recorded, the part
 * marked `ready` and its `call.recording_ready` event appended (with `interrupted` when
 * the part was recovered after a crash). Otherwise the archive waits there (part
 * `delivering`, digest and category recorded) and a durable delivery job takes it to the
 * pinned bucket (delivery-worker.ts), which announces it once the upload is confirmed.
 */
export async function deliverPart(
  ctx: FinishContext,
  recording: Recording,
  partNumber: number,
  zip: FinalizedPart,
): Promise<void> {
  const { db } = ctx;
  const { id, callType, callId } = recording;
  if (!zip.files.some((f) => f.path.endsWith('.rtpdump'))) {
    await rm(zip.path, { force: true });
    await updateRecordingPart(db, id, partNumber, { bytes: 0 });
    throw new TapedeckError(
      'NO_TRACKS',
      `part ${partNumber} received no media, so it has no archive`,
    );
  }
  const name = partArchiveName(callType, callId, partNumber);
  const stored = await ctx.storage.put(zip.path, id, name);
  const category = archiveCategory(zip.files.map((f) => f.path));
  await updateRecordingPart(db, id, partNumber, {
    archivePath: stored.absolutePath,
    bytes: stored.sizeBytes,
    sha256: stored.sha256,
    category,
    status: 'delivering',
  });
  if (recording.storageSnapshot !== null) {
    await enqueueDelivery(db, id);
    ctx.onHandOff?.();
    return;
  }
  const file = await addRecordingFile(db, {
    recordingId: id,
    partNumber,
    path: stored.key,
    sizeBytes: stored.sizeBytes,
    sha256: stored.sha256,
    storageUri: pathToFileURL(stored.absolutePath).href,
    storageName: MANAGED_STORAGE_NAME,
    storageProvider: 'local',
    bucket: ctx.storage.root,
    category,
    contentType: 'application/zip',
  });
  await updateRecordingPart(db, id, partNumber, { status: 'ready', endedAtMs: Date.now() });
  await appendEvent(db, {
    type: 'call.recording_ready',
    callCid: callCid(callType, callId),
    recordingId: id,
    payload: {
      recording_id: id,
      recording_type: recording.recordingType,
      part_number: partNumber,
      ...(zip.interrupted ? { interrupted: true } : {}),
      storage_name: MANAGED_STORAGE_NAME,
      storage_provider: 'local',
      files: [await linkFile(file, { kind: 'local' }, ctx)],
    },
  });
}

/** Finalizes and delivers a part `ActiveRecording.cut()` handed back. Never rejects. */
export async function deliverCutPart(
  ctx: FinishContext,
  recording: Recording,
  cut: CutPart,
): Promise<void> {
  const { db } = ctx;
  const { id } = recording;
  try {
    await updateRecordingPart(db, id, cut.partNumber, { status: 'finalizing' });
    await deliverPart(ctx, recording, cut.partNumber, await cut.finalize());
  } catch (error) {
    const failure = toTapedeckError(error);
    await updateRecordingPart(db, id, cut.partNumber, { status: 'failed' }).catch(() => undefined);
    await appendEvent(db, {
      type: 'call.recording_failed',
      callCid: callCid(recording.callType, recording.callId),
      recordingId: id,
      payload: {
        recording_id: id,
        recording_type: recording.recordingType,
        part_number: cut.partNumber,
        reason: `${failure.code}: ${failure.message}`,
      },
    }).catch(() => undefined);
  }
}
