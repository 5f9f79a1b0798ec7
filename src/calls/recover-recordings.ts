/**
 * Startup recovery after a crash (`kill -9`, power loss): every recording the database
 * still lists as active (`starting | recording | stopping | finalizing`) lost its process.
 * Each of its unfinished parts is recovered from what reached the spool (`recoverPart`:
 * torn records cut, timing rebuilt, state `interrupted`), packed into its ZIP
 * (`finalizePart`) and put into the managed storage.
 *
 * ```
 * recording ─▶ interrupted ─▶ finalizing ─▶ ready   (parts and event carry interrupted: true)
 *                                       └─▶ failed  (a part without media, or finalizing failed)
 * ```
 *
 * The final status of a recovered recording is `ready`; that it was cut short is kept on
 * its parts (`interrupted: true`) and in the `call.recording_ready` payload
 * (`interrupted: true`). A part with no complete RTP packet, or one whose archive cannot
 * be written, fails the recording with `call.recording_failed` and its reason: nothing
 * half-written is announced as complete.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  ACTIVE_RECORDING_STATUSES,
  appendEvent,
  callCid,
  listRecordingFiles,
  listRecordingParts,
  listRecordingsByStatus,
  transitionRecording,
  updateRecordingPart,
  type Recording,
} from '../db/index.js';
import { TapedeckError, toTapedeckError } from '../errors.js';
import { finalizePart, recoverPart } from '../ingest/recorder/index.js';
import { markReadyWhenComplete } from '../delivery/delivery-worker.js';
import type { FinishContext } from './finish-recording.js';
import { deliverPart } from './part-rotation.js';

export type RecoveryOutcome = {
  readonly recordingId: string;
  readonly status: 'ready' | 'failed';
  /** Part numbers announced ready during this recovery. */
  readonly partsReady: readonly number[];
  readonly reason?: string;
};

/** Recovers every recording left active; resolves when all are `ready` or `failed`. */
export async function recoverRecordings(
  ctx: FinishContext,
  spoolRoot: string,
): Promise<RecoveryOutcome[]> {
  const outcomes: RecoveryOutcome[] = [];
  for (const recording of await listRecordingsByStatus(ctx.db, ACTIVE_RECORDING_STATUSES))
    outcomes.push(await recoverRecording(ctx, spoolRoot, recording));
  return outcomes;
}

async function isDir(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function recoverRecording(
  ctx: FinishContext,
  spoolRoot: string,
  recording: Recording,
): Promise<RecoveryOutcome> {
  const { db } = ctx;
  const { id, callType, callId } = recording;
  const cid = callCid(callType, callId);
  const partsReady: number[] = [];
  let current = 0;
  try {
    await transitionRecording(db, id, 'interrupted');
    await appendEvent(db, {
      type: 'call.recording_stopped',
      callCid: cid,
      recordingId: id,
      payload: { recording_id: id, recording_type: recording.recordingType, interrupted: true },
    });
    await transitionRecording(db, id, 'finalizing');
    const delivered = new Set((await listRecordingFiles(db, id)).map((f) => f.partNumber));
    // Parts already handed to delivery (`delivering`) are in the durable queue.
    const parts = (await listRecordingParts(db, id)).filter(
      (p) => p.status !== 'ready' && p.status !== 'delivering' && !delivered.has(p.partNumber),
    );
    if (parts.length === 0 && delivered.size === 0)
      throw new TapedeckError('INVALID_ARGUMENT', 'the recording has no part on the spool');
    for (const part of parts) {
      current = part.partNumber;
      const root = path.join(spoolRoot, id, `part-${current}`);
      if (!(await isDir(root)))
        throw new TapedeckError('INVALID_ARGUMENT', `part ${current}: no spool folder ${root}`);
      const recovered = await recoverPart(root);
      if (recovered.recovered && recovered.sessions.length === 0) {
        throw new TapedeckError(
          'INVALID_ARGUMENT',
          `part ${current}: no media reached the disk before the service stopped`,
        );
      }
      await updateRecordingPart(db, id, current, { status: 'finalizing', interrupted: true });
      const zip = await finalizePart(root, path.join(spoolRoot, id, `part-${current}.zip`));
      await deliverPart(ctx, recording, current, zip);
      partsReady.push(current);
    }
    if ((await listRecordingParts(db, id)).every((p) => p.status === 'ready')) {
      await transitionRecording(db, id, 'ready');
    } else {
      await transitionRecording(db, id, 'delivering');
      await markReadyWhenComplete(db, id);
    }
    return { recordingId: id, status: 'ready', partsReady };
  } catch (error) {
    const failure = toTapedeckError(error);
    const reason = `${failure.code}: ${failure.message}`;
    await transitionRecording(db, id, 'failed', {
      error: { code: failure.code, message: failure.message },
    }).catch(() => undefined);
    if (current > 0)
      await updateRecordingPart(db, id, current, { status: 'failed', interrupted: true }).catch(
        () => undefined,
      );
    await appendEvent(db, {
      type: 'call.recording_failed',
      callCid: cid,
      recordingId: id,
      payload: {
        recording_id: id,
        recording_type: recording.recordingType,
        ...(current > 0 ? { part_number: current } : {}),
        interrupted: true,
        reason,
      },
    });
    return { recordingId: id, status: 'failed', partsReady, reason };
  }
}
