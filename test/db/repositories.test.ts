import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addRecordingFile,
  addRecordingPart,
  appendEvent,
  callCid,
  createRecording,
  endCall,
  getCall,
  getCallType,
  getOrCreateCall,
  getRecording,
  listCallMembers,
  listCallTypes,
  listEventsForCall,
  listRecordingFiles,
  listRecordingParts,
  listRecordingsForCall,
  markCallLive,
  setCallMember,
  updateCallSettingsOverride,
  updateRecordingPart,
  upsertCallType,
  type TapedeckDatabase,
} from '../../src/db/index.js';
import { TapedeckError } from '../../src/errors.js';
import { openMemoryDb } from './temp-db.js';

const SETTINGS = {
  raw_recording: { mode: 'available', audio_only: false },
  limits: [1, 2.5, null, 'x'],
} as const;
const GRANTS = {
  admin: ['StartRecording', 'StopRecording', 'PublishMedia'],
  user: ['PublishMedia'],
} as const;

describe('repositories', () => {
  let handle: TapedeckDatabase;
  beforeEach(async () => {
    handle = await openMemoryDb();
  });
  afterEach(async () => {
    await handle.close();
  });

  it('upsertCallType() round-trips settings and grants as objects and keeps createdAtMs on update', async () => {
    const { db } = handle;
    const created = await upsertCallType(
      db,
      { name: 'default', settings: SETTINGS, grants: GRANTS, externalStorage: null },
      1000,
    );
    expect(created).toEqual({
      name: 'default',
      settings: SETTINGS,
      grants: GRANTS,
      externalStorage: null,
      createdAtMs: 1000,
      updatedAtMs: 1000,
    });
    const updated = await upsertCallType(
      db,
      {
        name: 'default',
        settings: { raw_recording: { mode: 'auto-on' } },
        grants: {},
        externalStorage: 'my-s3',
      },
      2000,
    );
    expect(updated).toEqual({
      name: 'default',
      settings: { raw_recording: { mode: 'auto-on' } },
      grants: {},
      externalStorage: 'my-s3',
      createdAtMs: 1000,
      updatedAtMs: 2000,
    });
    expect(await getCallType(db, 'default')).toEqual(updated);
    expect(await getCallType(db, 'missing')).toBeUndefined();
    await upsertCallType(
      db,
      { name: 'audio_room', settings: {}, grants: {}, externalStorage: null },
      3000,
    );
    expect((await listCallTypes(db)).map((t) => t.name)).toEqual(['audio_room', 'default']);
  });

  it('getOrCreateCall() creates once, then returns the stored call unchanged; an unknown type is NOT_FOUND', async () => {
    const { db } = handle;
    await upsertCallType(
      db,
      { name: 'default', settings: {}, grants: {}, externalStorage: null },
      1,
    );
    const first = await getOrCreateCall(
      db,
      {
        type: 'default',
        id: 'c1',
        createdBy: 'alice',
        settingsOverride: { raw_recording: { mode: 'auto-on' } },
      },
      10,
    );
    expect(first).toEqual({
      created: true,
      call: {
        type: 'default',
        id: 'c1',
        cid: 'default:c1',
        createdBy: 'alice',
        settingsOverride: { raw_recording: { mode: 'auto-on' } },
        state: 'idle',
        createdAtMs: 10,
        updatedAtMs: 10,
        endedAtMs: null,
      },
    });
    const again = await getOrCreateCall(
      db,
      { type: 'default', id: 'c1', createdBy: 'bob', settingsOverride: {} },
      20,
    );
    expect(again).toEqual({ created: false, call: first.call });
    const unknown = getOrCreateCall(db, { type: 'nope', id: 'c1', createdBy: null });
    await expect(unknown).rejects.toBeInstanceOf(TapedeckError);
    await expect(unknown).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('updateCallSettingsOverride(), markCallLive() and endCall() change the call; endCall() twice keeps the first end time', async () => {
    const { db } = handle;
    await upsertCallType(
      db,
      { name: 'default', settings: {}, grants: {}, externalStorage: null },
      1,
    );
    await getOrCreateCall(db, { type: 'default', id: 'c1', createdBy: null }, 10);
    const updated = await updateCallSettingsOverride(
      db,
      'default',
      'c1',
      { raw_recording: { audio_only: true } },
      20,
    );
    expect(updated.settingsOverride).toEqual({ raw_recording: { audio_only: true } });
    expect(updated.updatedAtMs).toBe(20);
    expect((await markCallLive(db, 'default', 'c1', 25)).state).toBe('live');
    const ended = await endCall(db, 'default', 'c1', 30);
    expect(ended).toMatchObject({ state: 'ended', endedAtMs: 30 });
    expect((await endCall(db, 'default', 'c1', 40)).endedAtMs).toBe(30);
    expect((await markCallLive(db, 'default', 'c1', 50)).state).toBe('ended');
    expect(await getCall(db, 'default', 'c1')).toEqual(ended);
    await expect(updateCallSettingsOverride(db, 'default', 'zz', {})).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(endCall(db, 'default', 'zz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('setCallMember() adds a member and changes its role; a member of an unknown call is NOT_FOUND', async () => {
    const { db } = handle;
    await upsertCallType(
      db,
      { name: 'default', settings: {}, grants: {}, externalStorage: null },
      1,
    );
    await getOrCreateCall(db, { type: 'default', id: 'c1', createdBy: null }, 1);
    await setCallMember(db, { callType: 'default', callId: 'c1', userId: 'bob', role: 'user' }, 5);
    await setCallMember(
      db,
      { callType: 'default', callId: 'c1', userId: 'alice', role: 'user' },
      6,
    );
    await setCallMember(db, { callType: 'default', callId: 'c1', userId: 'bob', role: 'admin' }, 7);
    expect(await listCallMembers(db, 'default', 'c1')).toEqual([
      { callType: 'default', callId: 'c1', userId: 'alice', role: 'user', createdAtMs: 6 },
      { callType: 'default', callId: 'c1', userId: 'bob', role: 'admin', createdAtMs: 5 },
    ]);
    await expect(
      setCallMember(db, { callType: 'default', callId: 'zz', userId: 'x', role: 'user' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('recordings, parts and files round-trip and list in order', async () => {
    const { db } = handle;
    await upsertCallType(
      db,
      { name: 'default', settings: {}, grants: {}, externalStorage: null },
      1,
    );
    await getOrCreateCall(db, { type: 'default', id: 'c1', createdBy: null }, 1);
    const rec = await createRecording(
      db,
      {
        callType: 'default',
        callId: 'c1',
        recordingType: 'raw',
        storageName: 'tapedeck-managed',
        storageProvider: 'local',
      },
      100,
    );
    expect(rec).toEqual({
      id: rec.id,
      callType: 'default',
      callId: 'c1',
      recordingType: 'raw',
      status: 'starting',
      storageName: 'tapedeck-managed',
      storageProvider: 'local',
      storageSnapshot: null,
      transcriptionStorageName: null,
      startedAtMs: 100,
      stoppedAtMs: null,
      errorCode: null,
      errorMessage: null,
      updatedAtMs: 100,
    });
    expect(rec.id).toMatch(/^[0-9a-f-]{36}$/);
    const other = await createRecording(
      db,
      {
        callType: 'default',
        callId: 'c1',
        recordingType: 'raw',
        storageName: null,
        storageProvider: null,
        id: 'rec-2',
      },
      200,
    );
    expect(await getRecording(db, rec.id)).toEqual(rec);
    expect((await listRecordingsForCall(db, 'default', 'c1')).map((r) => r.id)).toEqual([
      rec.id,
      other.id,
    ]);
    await expect(
      createRecording(db, {
        callType: 'default',
        callId: 'zz',
        recordingType: 'raw',
        storageName: null,
        storageProvider: null,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await addRecordingPart(db, { recordingId: rec.id, partNumber: 2 }, 7300_000);
    await addRecordingPart(db, { recordingId: rec.id, partNumber: 1 }, 100);
    await expect(
      addRecordingPart(db, { recordingId: rec.id, partNumber: 1 }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(addRecordingPart(db, { recordingId: 'zz', partNumber: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(addRecordingPart(db, { recordingId: rec.id, partNumber: 0 })).rejects.toThrow(
      RangeError,
    );
    const part1 = await updateRecordingPart(db, rec.id, 1, {
      status: 'ready',
      archivePath: 'spool/p1.zip',
      bytes: 123_456,
      endedAtMs: 7200_100,
      interrupted: true,
    });
    expect(part1).toEqual({
      recordingId: rec.id,
      partNumber: 1,
      status: 'ready',
      archivePath: 'spool/p1.zip',
      bytes: 123_456,
      startedAtMs: 100,
      endedAtMs: 7200_100,
      interrupted: true,
      sha256: null,
      category: null,
    });
    const parts = await listRecordingParts(db, rec.id);
    expect(parts.map((p) => [p.partNumber, p.status, p.interrupted])).toEqual([
      [1, 'ready', true],
      [2, 'recording', false],
    ]);
    await expect(updateRecordingPart(db, rec.id, 9, { status: 'failed' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    const file = await addRecordingFile(
      db,
      {
        recordingId: rec.id,
        partNumber: 1,
        path: `rec/${rec.id}_part1.zip`,
        sizeBytes: 123_456,
        sha256: 'ab'.repeat(32),
        storageUri: `s3://bucket/rec/${rec.id}_part1.zip`,
      },
      500,
    );
    expect(file).toEqual({
      id: file.id,
      recordingId: rec.id,
      partNumber: 1,
      path: `rec/${rec.id}_part1.zip`,
      sizeBytes: 123_456,
      sha256: 'ab'.repeat(32),
      storageUri: `s3://bucket/rec/${rec.id}_part1.zip`,
      storageName: null,
      storageProvider: null,
      bucket: null,
      category: null,
      contentType: null,
      deletedAtMs: null,
      createdAtMs: 500,
    });
    await addRecordingFile(
      db,
      {
        recordingId: rec.id,
        partNumber: 2,
        path: 'p2.zip',
        sizeBytes: 0,
        sha256: null,
        storageUri: null,
      },
      600,
    );
    expect((await listRecordingFiles(db, rec.id)).map((f) => f.path)).toEqual([
      `rec/${rec.id}_part1.zip`,
      'p2.zip',
    ]);
    await expect(
      addRecordingFile(db, {
        recordingId: rec.id,
        partNumber: 1,
        path: `rec/${rec.id}_part1.zip`,
        sizeBytes: 1,
        sha256: null,
        storageUri: null,
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      addRecordingFile(db, {
        recordingId: rec.id,
        partNumber: 3,
        path: 'x',
        sizeBytes: 1,
        sha256: null,
        storageUri: null,
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("appendEvent() stores the payload as an object; listEventsForCall() returns one call's events in order, paged by seq", async () => {
    const { db } = handle;
    const cid = callCid('default', 'c1');
    const payload = {
      recording_type: 'raw',
      files: [{ path: 'a.zip', size: 10 }],
      part: 1,
      ok: true,
      nothing: null,
    };
    const e1 = await appendEvent(
      db,
      {
        type: 'call.recording_started',
        callCid: cid,
        recordingId: 'r1',
        payload: { recording_type: 'raw' },
      },
      10,
    );
    await appendEvent(
      db,
      { type: 'call.recording_started', callCid: 'default:other', recordingId: null, payload: {} },
      11,
    );
    const e2 = await appendEvent(
      db,
      { type: 'call.recording_ready', callCid: cid, recordingId: 'r1', payload },
      12,
    );
    expect(e2).toEqual({
      id: e2.id,
      seq: e2.seq,
      type: 'call.recording_ready',
      callCid: cid,
      recordingId: 'r1',
      payload,
      createdAtMs: 12,
    });
    expect(e1.id).not.toBe(e2.id);
    const all = await listEventsForCall(db, cid);
    expect(all).toEqual([e1, e2]);
    expect(await listEventsForCall(db, cid, { afterSeq: e1.seq })).toEqual([e2]);
    expect(await listEventsForCall(db, cid, { limit: 1 })).toEqual([e1]);
    await expect(listEventsForCall(db, cid, { limit: 0 })).rejects.toThrow(/options\.limit/);
  });
});
