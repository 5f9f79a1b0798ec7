/**
 * After stop: finalize the last part's ZIP, put it into the managed local storage, record the
 * part and file (size, SHA-256), mark the recording `ready` and announce it
 * (`call.recording_ready`); on any failure mark it `failed` and announce
 * `call.recording_failed` with the reason. Never announces ready for an archive that was
 * not completely written.
 */
import type { Kysely } from 'kysely';
import {
  appendEvent,
  callCid,
  listRecordingParts,
  transitionRecording,
  updateRecordingPart,
  type Schema,
} from '../db/index.js';
import { TapedeckError, toTapedeckError } from '../errors.js';
import { markReadyWhenComplete } from '../delivery/delivery-worker.js';
import type { ActiveRecording } from './active-recording.js';
import type { LocalStorage } from './local-storage.js';
import { deliverPart } from './part-rotation.js';
import type { FileUrlSigner } from './signed-url.js';

export type FinishContext = {
  readonly db: Kysely<Schema>;
  readonly storage: LocalStorage;
  readonly signer: FileUrlSigner;
  /** Origin prefixed to download URLs in events (e.g. `http://127.0.0.1:8080`); may be ''. */
  readonly baseUrl: () => string;
  /** Called after a part was queued for delivery to a customer's bucket (wakes the worker). */
  readonly onHandOff?: () => void;
};

/** The stored name of a part's archive. */
export function partArchiveName(callType: string, callId: string, partNumber: number): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '-');
  return `raw_${safe(callType)}_${safe(callId)}_part${partNumber}.zip`;
}

export async function finishRecording(ctx: FinishContext, active: ActiveRecording): Promise<void> {
  const { db } = ctx;
  const { id, callType, callId } = active.recording;
  const cid = callCid(callType, callId);
  const part = active.partNumber;
  let delivered = false;
  try {
    await transitionRecording(db, id, 'finalizing');
    await updateRecordingPart(db, id, part, { status: 'finalizing' });
    let lastPartEmpty: TapedeckError | undefined;
    try {
      await deliverPart(ctx, active.recording, part, await active.finalize());
    } catch (error) {
      if (!(error instanceof TapedeckError && error.code === 'NO_TRACKS')) throw error;
      lastPartEmpty = error;
    }
    delivered = lastPartEmpty === undefined;
    // Parts cut earlier are delivered on their own; the recording is ready when all are.
    while (active.pendingParts.size > 0) await Promise.allSettled([...active.pendingParts]);
    let parts = await listRecordingParts(db, id);
    // A part that received no media (bytes 0) has no archive: it is reported on its own
    // (call.recording_failed with its part_number) and does not fail a recording whose
    // other parts hold media.
    const withMedia = parts.filter((p) => p.bytes !== 0 && p.partNumber !== part);
    if (lastPartEmpty !== undefined) {
      if (withMedia.length === 0) throw lastPartEmpty;
      await updateRecordingPart(db, id, part, { status: 'failed' });
      await appendEvent(db, {
        type: 'call.recording_failed',
        callCid: cid,
        recordingId: id,
        payload: {
          recording_id: id,
          recording_type: active.recording.recordingType,
          part_number: part,
          reason: `${lastPartEmpty.code}: ${lastPartEmpty.message}`,
        },
      });
      delivered = true;
      parts = await listRecordingParts(db, id);
    }
    parts = parts.filter((p) => !(p.status === 'failed' && p.bytes === 0));
    if (parts.length === 0)
      throw new TapedeckError('NO_TRACKS', 'no part of the recording received media');
    const failed = parts.filter((p) => p.status !== 'ready' && p.status !== 'delivering');
    if (failed.length > 0) {
      throw new TapedeckError(
        'INTERNAL',
        `part ${failed.map((p) => p.partNumber).join(', ')} could not be finalized`,
      );
    }
    if (parts.every((p) => p.status === 'ready')) {
      await transitionRecording(db, id, 'ready');
    } else {
      // Parts are on their way to the pinned bucket; the delivery worker finishes the job.
      await transitionRecording(db, id, 'delivering');
      await markReadyWhenComplete(db, id);
    }
  } catch (error) {
    const failure = toTapedeckError(error);
    const reason = `${failure.code}: ${failure.message}`;
    await transitionRecording(db, id, 'failed', {
      error: { code: failure.code, message: failure.message },
    }).catch(() => undefined);
    if (!delivered)
      await updateRecordingPart(db, id, part, { status: 'failed' }).catch(() => undefined);
    await appendEvent(db, {
      type: 'call.recording_failed',
      callCid: cid,
      recordingId: id,
      payload: {
        recording_id: id,
        recording_type: active.recording.recordingType,
        part_number: part,
        reason,
      },
    });
  }
}
