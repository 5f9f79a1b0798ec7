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
import { toTapedeckError } from '../errors.js';
import type { FinalizedPart } from '../ingest/recorder/index.js';
import type { CutPart } from './active-recording.js';
import { partArchiveName, type FinishContext } from './finish-recording.js';

/**
 * Stores part `partNumber`'s finalized ZIP, records its file, marks the part `ready` and
 * appends its `call.recording_ready` event (with `interrupted` when the part was
 * recovered after a crash).
 */
export async function deliverPart(
  ctx: FinishContext,
  recording: Recording,
  partNumber: number,
  zip: FinalizedPart,
): Promise<void> {
  const { db } = ctx;
  const { id, callType, callId } = recording;
  await updateRecordingPart(db, id, partNumber, {
    archivePath: zip.path,
    bytes: zip.bytes,
    status: 'delivering',
  });
  const name = partArchiveName(callType, callId, partNumber);
  const stored = await ctx.storage.put(zip.path, id, name);
  await addRecordingFile(db, {
    recordingId: id,
    partNumber,
    path: stored.key,
    sizeBytes: stored.sizeBytes,
    sha256: stored.sha256,
    storageUri: `local:${stored.key}`,
  });
  await updateRecordingPart(db, id, partNumber, { status: 'ready', endedAtMs: Date.now() });
  const url = ctx.signer.sign(id, name);
  await appendEvent(db, {
    type: 'call.recording_ready',
    callCid: callCid(callType, callId),
    recordingId: id,
    payload: {
      recording_id: id,
      recording_type: recording.recordingType,
      part_number: partNumber,
      ...(zip.interrupted ? { interrupted: true } : {}),
      files: [
        {
          name,
          size: stored.sizeBytes,
          sha256: stored.sha256,
          url: `${ctx.baseUrl()}${url.path}`,
          expires_at: url.expiresAt,
        },
      ],
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
