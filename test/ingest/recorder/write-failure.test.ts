import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallPartRecorder, finalizePart, recoverPart } from '../../../src/ingest/recorder/index.js';
import { removeDir, rtp, tempDir } from './synthetic-packets.js';

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

describe('a segment that cannot be written', () => {
  it('counts its packets as dropped, makes close() reject with the file named, keeps the other sessions, and leaves the part "recording": recoverPart then finalizes what reached the disk', async () => {
    const part = await CallPartRecorder.open({
      root,
      callType: 'default',
      callId: 'c1',
      callSessionId: 'cs1',
      callStartMs: T0,
    });
    await writeFile(path.join(root, 'alice'), 'not a folder'); // alice/s1 cannot be created
    const broken = part.track('alice', 's1', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    const fine = part.track('bob', 's2', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    });
    for (let i = 0; i < 3; i++) {
      broken.push(rtp({ ssrc: 1, seq: i, ts: i * 960 }), T0 + i, false);
      fine.push(rtp({ ssrc: 2, seq: i, ts: i * 960 }), T0 + i, false);
    }
    await expect(part.close()).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^track mic, new segment: cannot write: ENOTDIR.*alice/),
    });
    await expect(part.close()).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(broken.stats).toMatchObject({ rtpWritten: 0, droppedWriteFailed: 3 });
    expect(broken.failure?.message).toMatch(/cannot write/);
    expect(fine.stats).toMatchObject({ rtpWritten: 3, droppedWriteFailed: 0 });
    expect(
      JSON.parse(await readFile(path.join(root, 'bob', 's2', 'timing_metadata.json'), 'utf8'))
        .segments.audio,
    ).toHaveLength(1);
    expect(JSON.parse(await readFile(path.join(root, 'recording_state.json'), 'utf8')).state).toBe(
      'recording',
    );
    await expect(part.finalize(path.join(dir, 'c1.zip'))).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    const recovered = await recoverPart(root);
    expect(recovered.sessions.map((x) => [x.userId, x.segments])).toEqual([['bob', ['audio_1']]]);
    const zip = await finalizePart(root, path.join(dir, 'c1.zip'));
    expect(zip.interrupted).toBe(true);
  });
});
