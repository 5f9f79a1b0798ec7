import { copyFile, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCallModel } from '../../../src/archive/call-model.js';
import { openArchiveInput } from '../../../src/archive/reader/open-input.js';
import { parseTimingMetadataText } from '../../../src/archive/timing-metadata.js';
import {
  CallPartRecorder,
  finalizePart,
  readRecordingState,
  recoverPart,
} from '../../../src/ingest/recorder/index.js';
import { writeRecordingState } from '../../../src/ingest/recorder/recording-state.js';
import { readSegment } from '../../helpers/read-segment.js';
import { removeDir, rtp, sr, tempDir, vp8Interframe, vp8Keyframe } from './synthetic-packets.js';

let dir: string;
let root: string;
const T0 = 1_714_557_600_000;

beforeEach(async () => {
  dir = await tempDir();
  root = path.join(dir, 'part');
});
afterEach(async () => {
  await removeDir(dir);
});

const opus = { name: 'opus', payloadType: 111 };
const session = (user: string, s: string): string => path.join(root, user, s);

/** Records alice (audio; video in two segments) and bob (audio), closes, then marks the part as never closed. */
async function recordThenKill(): Promise<void> {
  const part = await CallPartRecorder.open({
    root,
    callType: 'default',
    callId: 'c1',
    callSessionId: 'cs1',
    callStartMs: T0,
    now: () => T0 + 9000,
  });
  const mic = part.track('alice', 's1', { trackId: 'mic', kind: 'audio', codec: opus });
  const cam = part.track('alice', 's1', {
    trackId: 'cam',
    kind: 'video',
    codec: { name: 'VP8', payloadType: 96 },
  });
  const bob = part.track('bob', 's2', { trackId: 'mic', kind: 'audio', codec: opus });
  mic.push(sr(1, T0 + 5, 0), T0 + 5, true);
  for (let i = 0; i < 20; i++) {
    mic.push(rtp({ ssrc: 1, seq: i, ts: i * 960 }), T0 + 10 + 20 * i, false);
    bob.push(rtp({ ssrc: 2, seq: i, ts: i * 960 }), T0 + 15 + 20 * i, false);
    cam.push(
      rtp({
        ssrc: 3,
        seq: i,
        ts: i * 3000,
        pt: 96,
        payload: i === 0 ? vp8Keyframe(320, 240) : vp8Interframe(),
      }),
      T0 + 12 + 33 * i,
      false,
    );
  }
  await cam.cut();
  cam.push(
    rtp({ ssrc: 3, seq: 20, ts: 60000, pt: 96, payload: vp8Keyframe(320, 240) }),
    T0 + 700,
    false,
  );
  await part.close();
  const state = await readRecordingState(root);
  await writeRecordingState(root, { ...state, state: 'recording', endedAtMs: undefined });
}

async function metadataText(user: string, s: string): Promise<string> {
  return readFile(path.join(session(user, s), 'timing_metadata.json'), 'utf8');
}

describe('recoverPart', () => {
  it('cuts an rtpdump chopped mid-record after its last whole record, rebuilds missing metadata from the files, and the part finalizes as interrupted', async () => {
    await recordThenKill();
    const live = parseTimingMetadataText(await metadataText('alice', 's1'), 'live');
    const bobBefore = await metadataText('bob', 's2');
    await rm(path.join(session('alice', 's1'), 'timing_metadata.json'));
    const audio = path.join(session('alice', 's1'), 'audio_1.rtpdump');
    const full = (await stat(audio)).size;
    const lastRecord = 8 + rtp({ ssrc: 1, seq: 19, ts: 0 }).byteLength;
    await truncate(audio, full - 5);

    await expect(finalizePart(root, path.join(dir, 'early.zip'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(stat(path.join(dir, 'early.zip'))).rejects.toMatchObject({ code: 'ENOENT' });

    const result = await recoverPart(root);
    expect(result).toEqual({
      interrupted: true,
      recovered: true,
      sessions: [
        {
          userId: 'alice',
          sessionId: 's1',
          segments: ['audio_1', 'video_1', 'video_2'],
          metadataRebuilt: true,
        },
        { userId: 'bob', sessionId: 's2', segments: ['audio_1'], metadataRebuilt: false },
      ],
      truncatedBytes: lastRecord - 5,
      removedFiles: [],
    });
    expect((await stat(audio)).size).toBe(full - lastRecord);
    expect((await readSegment(audio)).rtp).toHaveLength(19);

    const rebuilt = parseTimingMetadataText(await metadataText('alice', 's1'), 'rebuilt');
    expect(rebuilt.segments.video).toEqual(live.segments.video);
    expect(rebuilt.segments.audio).toEqual([
      {
        ...live.segments.audio[0],
        lastRtpRtpTimestamp: 18 * 960,
        lastRtpUnixTimestamp: T0 + 10 + 20 * 18,
      },
    ]);
    expect(rebuilt.callEndTime).toBe(new Date(T0 + 700).toISOString()); // video_2, the last packet kept
    expect(await metadataText('bob', 's2')).toBe(bobBefore);
    const state = await readRecordingState(root);
    expect(state).toMatchObject({ state: 'interrupted', endedAtMs: T0 + 700 });
    expect(state.recoveredAtMs).toBeGreaterThan(0);

    expect(await recoverPart(root)).toEqual({
      interrupted: true,
      recovered: false,
      sessions: [],
      truncatedBytes: 0,
      removedFiles: [],
    });
    const zip = path.join(dir, 'c1.zip');
    const finalized = await finalizePart(root, zip);
    expect(finalized.interrupted).toBe(true);
    expect(finalized.files.map((f) => f.path)).toContain('recording_state.json');
    const archive = await openArchiveInput({ file: zip }, {});
    try {
      const model = await loadCallModel(archive.root, { verifyManifest: true });
      expect(model.tracks.map((t) => [t.userId, t.trackId, t.kind, t.segments.length])).toEqual([
        ['alice', 'mic', 'audio', 1],
        ['alice', 'cam', 'video', 2],
        ['bob', 'mic', 'audio', 1],
      ]);
    } finally {
      await archive.cleanup();
    }
  });

  it('removes what no metadata could describe: temporary files, an rtpdump without SDP, an SDP without rtpdump, a segment without a whole RTP record', async () => {
    await recordThenKill();
    const alice = session('alice', 's1');
    await writeFile(path.join(alice, '.timing_metadata.json.0123456789ab.tmp'), '{"call');
    await writeFile(path.join(root, '.recording_state.json.0123456789ab.tmp'), '');
    await copyFile(path.join(alice, 'audio_1.rtpdump'), path.join(alice, 'audio_7.rtpdump'));
    await copyFile(path.join(alice, 'audio_1.sdp'), path.join(alice, 'audio_8.sdp'));
    await copyFile(path.join(alice, 'audio_1.sdp'), path.join(alice, 'audio_9.sdp'));
    await writeFile(path.join(alice, 'audio_9.rtpdump'), '#!rtpplay1.0 127.0.0.1/5004\n\0\0');
    const bob = session('bob', 's2');
    await truncate(path.join(bob, 'audio_1.rtpdump'), 40); // header and part of the first record
    const result = await recoverPart(root);
    expect(result.removedFiles).toEqual([
      '.recording_state.json.0123456789ab.tmp',
      'alice/s1/.timing_metadata.json.0123456789ab.tmp',
      'alice/s1/audio_7.rtpdump',
      'alice/s1/audio_8.sdp',
      'alice/s1/audio_9.rtpdump',
      'alice/s1/audio_9.sdp',
      'bob/s2/audio_1.rtpdump',
      'bob/s2/audio_1.sdp',
      'bob/s2/timing_metadata.json',
    ]);
    expect(result.sessions).toEqual([
      {
        userId: 'alice',
        sessionId: 's1',
        segments: ['audio_1', 'video_1', 'video_2'],
        metadataRebuilt: false,
      },
    ]);
    expect((await readdir(root)).sort()).toEqual(['alice', 'recording_state.json']);
    const finalized = await finalizePart(root, path.join(dir, 'c1.zip'));
    expect(finalized.files.filter((f) => f.path.startsWith('alice/')).map((f) => f.path)).toEqual([
      'alice/s1/audio_1.rtpdump',
      'alice/s1/audio_1.sdp',
      'alice/s1/timing_metadata.json',
      'alice/s1/video_1.rtpdump',
      'alice/s1/video_1.sdp',
      'alice/s1/video_2.rtpdump',
      'alice/s1/video_2.sdp',
    ]);
  });

  it('throws INPUT_NOT_FOUND for a folder without recording_state.json', async () => {
    await expect(recoverPart(dir)).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});
