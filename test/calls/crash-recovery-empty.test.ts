/**
 * Startup recovery of recordings that left nothing to archive: the crash came before any
 * packet reached the disk, or before the spool folder existed. They fail with a reason;
 * nothing is announced ready. Recordings already final are left alone.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallService } from '../../src/calls/call-service.js';
import { StorageService } from '../../src/storage/storage-service.js';
import {
  addRecordingPart,
  createRecording,
  getOrCreateCall,
  getRecording,
  listEventsForCall,
  listRecordingFiles,
  migrateToLatest,
  openDatabase,
  transitionRecording,
  upsertCallType,
  type TapedeckDatabase,
} from '../../src/db/index.js';
import { CallPartRecorder } from '../../src/ingest/recorder/index.js';

let dataDir: string;
let store: TapedeckDatabase;
let calls: CallService;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  store = openDatabase({ path: path.join(dataDir, 'tapedeck.db') });
  await migrateToLatest(store.db);
  await upsertCallType(store.db, { name: 'rtp', settings: {}, grants: {}, externalStorage: null });
  await getOrCreateCall(store.db, { type: 'rtp', id: 'c1', createdBy: null });
  const apiSecret = 'x'.repeat(40);
  calls = new CallService({
    db: store.db,
    dataDir,
    rtpHost: '127.0.0.1',
    apiSecret,
    storage: new StorageService({
      db: store.db,
      apiSecret,
      deps: { endpoints: {} },
      managed: { kind: 'local' },
    }),
  });
});

afterEach(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function recordingIn(status: 'recording' | 'ready'): Promise<string> {
  const created = await createRecording(store.db, {
    callType: 'rtp',
    callId: 'c1',
    recordingType: 'raw',
    storageName: 'local',
    storageProvider: 'local',
  });
  await addRecordingPart(store.db, { recordingId: created.id, partNumber: 1 });
  await transitionRecording(store.db, created.id, 'recording');
  if (status === 'ready') {
    await transitionRecording(store.db, created.id, 'stopping');
    await transitionRecording(store.db, created.id, 'finalizing');
    await transitionRecording(store.db, created.id, 'ready');
  }
  return created.id;
}

describe('CallService.recoverInterrupted()', () => {
  it('fails a recording whose killed part holds no packet, with call.recording_failed and its reason', async () => {
    const id = await recordingIn('recording');
    const part = await CallPartRecorder.open({
      root: path.join(dataDir, 'spool', id, 'part-1'),
      callType: 'rtp',
      callId: 'c1',
      callSessionId: id,
      callStartMs: Date.now(),
    });
    part.track('alice', 's1', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    // The "process" dies here: the part stays `recording` on disk.

    const outcomes = await calls.recoverInterrupted();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ recordingId: id, status: 'failed', partsReady: [] });
    expect(outcomes[0]?.reason).toContain('no media reached the disk');
    expect((await getRecording(store.db, id))?.status).toBe('failed');
    expect(await listRecordingFiles(store.db, id)).toEqual([]);
    const events = await listEventsForCall(store.db, 'rtp:c1', { afterSeq: 0, limit: 100 });
    expect(events.map((e) => e.type)).toEqual(['call.recording_stopped', 'call.recording_failed']);
    expect(events[1]?.payload).toMatchObject({
      recording_id: id,
      part_number: 1,
      interrupted: true,
    });
    expect(await readdir(path.join(dataDir, 'spool', id))).not.toContain('part-1.zip');
  });

  it('fails a recording whose spool folder was never created', async () => {
    const id = await recordingIn('recording');
    const [outcome] = await calls.recoverInterrupted();
    expect(outcome).toMatchObject({ recordingId: id, status: 'failed' });
    expect(outcome?.reason).toContain('no spool folder');
    expect((await getRecording(store.db, id))?.status).toBe('failed');
  });

  it('leaves final recordings alone and finds nothing to do the second time', async () => {
    const ready = await recordingIn('ready');
    await recordingIn('recording');
    expect(await calls.recoverInterrupted()).toHaveLength(1);
    expect(await calls.recoverInterrupted()).toEqual([]);
    expect((await getRecording(store.db, ready))?.status).toBe('ready');
  });
});
