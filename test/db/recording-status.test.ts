import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACTIVE_RECORDING_STATUSES,
  createRecording,
  getOrCreateCall,
  getRecording,
  listRecordingsByStatus,
  RECORDING_TRANSITIONS,
  transitionRecording,
  upsertCallType,
  type RecordingStatus,
  type TapedeckDatabase,
} from '../../src/db/index.js';
import { openMemoryDb } from './temp-db.js';

const ALL: readonly RecordingStatus[] = [
  'starting',
  'recording',
  'stopping',
  'finalizing',
  'ready',
  'failed',
  'interrupted',
];

describe('recording status transitions', () => {
  let handle: TapedeckDatabase;
  beforeEach(async () => {
    handle = await openMemoryDb();
    await upsertCallType(
      handle.db,
      { name: 'default', settings: {}, grants: {}, externalStorage: null },
      1,
    );
    await getOrCreateCall(handle.db, { type: 'default', id: 'c1', createdBy: null }, 1);
  });
  afterEach(async () => {
    await handle.close();
  });

  async function recordingIn(status: RecordingStatus, id: string): Promise<string> {
    await createRecording(
      handle.db,
      {
        callType: 'default',
        callId: 'c1',
        recordingType: 'raw',
        storageName: null,
        storageProvider: null,
        id,
      },
      100,
    );
    // Force the status directly: the test covers every edge from every state.
    await handle.db.updateTable('recordings').set({ status }).where('id', '=', id).execute();
    return id;
  }

  it('the happy path starting → recording → stopping → finalizing → ready sets stoppedAtMs once', async () => {
    const { db } = handle;
    const { id } = await createRecording(
      db,
      {
        callType: 'default',
        callId: 'c1',
        recordingType: 'raw',
        storageName: null,
        storageProvider: null,
      },
      100,
    );
    expect((await transitionRecording(db, id, 'recording', {}, 110)).status).toBe('recording');
    expect(await transitionRecording(db, id, 'stopping', {}, 200)).toMatchObject({
      status: 'stopping',
      stoppedAtMs: 200,
    });
    expect(await transitionRecording(db, id, 'finalizing', {}, 210)).toMatchObject({
      status: 'finalizing',
      stoppedAtMs: 200,
    });
    expect(await transitionRecording(db, id, 'ready', {}, 220)).toMatchObject({
      status: 'ready',
      stoppedAtMs: 200,
      updatedAtMs: 220,
    });
  });

  it('every edge in RECORDING_TRANSITIONS is accepted and every other pair is refused with CONFLICT, leaving the status unchanged', async () => {
    const { db } = handle;
    let n = 0;
    for (const from of ALL) {
      for (const to of ALL) {
        const id = await recordingIn(from, `r${n++}`);
        const attempt = transitionRecording(db, id, to, {}, 500);
        if (RECORDING_TRANSITIONS[from].includes(to)) {
          expect((await attempt).status, `${from} → ${to}`).toBe(to);
        } else {
          await expect(attempt, `${from} → ${to}`).rejects.toMatchObject({
            code: 'CONFLICT',
            status: 409,
            message: `recording ${id} is ${from} and cannot become ${to}`,
          });
          expect((await getRecording(db, id))?.status).toBe(from);
        }
      }
    }
    expect(RECORDING_TRANSITIONS.ready).toEqual([]);
    expect(RECORDING_TRANSITIONS.failed).toEqual([]);
  });

  it('a failed transition keeps the error code and message; an unknown id is NOT_FOUND', async () => {
    const { db } = handle;
    const id = await recordingIn('recording', 'r-fail');
    const failed = await transitionRecording(
      db,
      id,
      'failed',
      { error: { code: 'DESTINATION_AUTH_FAILED', message: 'credentials rejected' } },
      300,
    );
    expect(failed).toMatchObject({
      status: 'failed',
      stoppedAtMs: 300,
      errorCode: 'DESTINATION_AUTH_FAILED',
      errorMessage: 'credentials rejected',
    });
    await expect(transitionRecording(db, 'missing', 'ready')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
  });

  it('two racing stop requests: exactly one wins, the other gets CONFLICT', async () => {
    const { db } = handle;
    const id = await recordingIn('recording', 'r-race');
    const results = await Promise.allSettled([
      transitionRecording(db, id, 'stopping'),
      transitionRecording(db, id, 'stopping'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => r.reason as { code: string }),
    ).toMatchObject([{ code: 'CONFLICT' }]);
  });

  it('listRecordingsByStatus(ACTIVE_RECORDING_STATUSES) finds what crash recovery must finalize', async () => {
    await recordingIn('recording', 'a');
    await recordingIn('ready', 'b');
    await recordingIn('finalizing', 'c');
    expect(
      (await listRecordingsByStatus(handle.db, ACTIVE_RECORDING_STATUSES)).map((r) => r.id).sort(),
    ).toEqual(['a', 'c']);
    expect(await listRecordingsByStatus(handle.db, [])).toEqual([]);
  });
});
