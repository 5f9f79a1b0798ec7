import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import { filterTracks, loadCallModel } from '../../src/archive/call-model.js';
import { computeManifestForDir, writeManifestFile } from '../../src/archive/manifest-node.js';
import type { CallModel } from '../../src/archive/types.js';
import { CALL_START_MS, writeArchive, type SessionSpec } from './call-model-archive-builder.js';

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function failure(run: Promise<unknown>): Promise<TapedeckError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof TapedeckError) return error;
    throw error;
  }
  throw new Error('expected a TapedeckError');
}

const summary = (model: CallModel): string[] =>
  model.tracks.map(
    (t) =>
      `${t.userId}/${t.sessionId}/${t.kind}/${t.trackId}${t.isScreenshare ? ' (screen)' : ''}: ${t.segments.map((s) => s.timing.baseFilename).join(',')}`,
  );

/** The documented layout: alice with two sessions (s1: mic in two segments, camera, screenshare), bob with one. */
const DOCUMENTED: SessionSpec[] = [
  {
    userId: 'bob',
    sessionId: 's3',
    segments: [{ base: 'audio_1', kind: 'audio', trackId: 'bob-mic', startMs: 500 }],
  },
  {
    userId: 'alice',
    sessionId: 's1',
    segments: [
      { base: 'audio_2', kind: 'audio', trackId: 'mic', startMs: 60_000 },
      { base: 'audio_1', kind: 'audio', trackId: 'mic', startMs: 100 },
      {
        base: 'video_2',
        kind: 'video',
        trackId: 'screen',
        trackType: 'TRACK_TYPE_SCREEN_SHARE',
        startMs: 5_000,
      },
      { base: 'video_1', kind: 'video', trackId: 'cam', startMs: 200 },
    ],
  },
  {
    userId: 'alice',
    sessionId: 's2',
    callStartMs: CALL_START_MS - 1000,
    segments: [{ base: 'audio_1', kind: 'audio', trackId: 'mic2', startMs: 90_000 }],
  },
];

describe('loadCallModel() on the documented layout', () => {
  it('groups segments into tracks and orders tracks by user, session, audio before video, camera before screenshare', async () => {
    await writeArchive(root, DOCUMENTED);
    const model = await loadCallModel(root);
    expect(summary(model)).toEqual([
      'alice/s1/audio/mic: audio_1,audio_2',
      'alice/s1/video/cam: video_1',
      'alice/s1/video/screen (screen): video_2',
      'alice/s2/audio/mic2: audio_1',
      'bob/s3/audio/bob-mic: audio_1',
    ]);
    expect(model).toMatchObject({
      callType: 'default',
      callId: 'call-1',
      callStartMs: CALL_START_MS - 1000,
    });
  });

  it('resolves each segment next to its own metadata, even where another session has a file of the same name', async () => {
    await writeArchive(root, DOCUMENTED);
    const model = await loadCallModel(root);
    const paths = model.tracks
      .filter((t) => t.trackId.startsWith('mic') || t.trackId === 'bob-mic')
      .map((t) => t.segments[0]!.rtpdumpPath);
    expect(paths).toEqual([
      path.join(root, 'alice', 's1', 'audio_1.rtpdump'),
      path.join(root, 'alice', 's2', 'audio_1.rtpdump'),
      path.join(root, 'bob', 's3', 'audio_1.rtpdump'),
    ]);
    expect(model.tracks[0]!.segments[1]!.sdpPath).toBe(
      path.join(root, 'alice', 's1', 'audio_2.sdp'),
    );
  });

  it('fills the track fields from the metadata: call, ids, kind, track type, codec, and the session call start', async () => {
    await writeArchive(root, DOCUMENTED);
    const model = await loadCallModel(root);
    const screen = model.tracks[2]!;
    expect({ ...screen, segments: screen.segments.length }).toEqual({
      callType: 'default',
      callId: 'call-1',
      callSessionId: 'cs-1',
      callStartMs: CALL_START_MS,
      userId: 'alice',
      sessionId: 's1',
      trackId: 'screen',
      kind: 'video',
      trackType: 'TRACK_TYPE_SCREEN_SHARE',
      isScreenshare: true,
      codec: 'video/VP8',
      segments: 1,
    });
    expect(screen.segments[0]!.timing.firstKeyFrameOffsetMs).toBe(40);
  });
});

describe('loadCallModel() on the reference tool layout', () => {
  it('reads <base>_timing_metadata.json files, everything in one folder, without confusing audio_1 and audio_10', async () => {
    await writeArchive(root, [
      {
        userId: 'alice',
        sessionId: 's1',
        folder: '',
        metadataName: 'alice_s1_timing_metadata.json',
        segments: [
          { base: 'alice_s1_audio_1', kind: 'audio', trackId: 'mic', startMs: 0 },
          { base: 'alice_s1_audio_10', kind: 'audio', trackId: 'mic', startMs: 30_000 },
          { base: 'alice_s1_video_1', kind: 'video', trackId: 'cam', startMs: 10 },
        ],
      },
      {
        userId: 'bob',
        sessionId: 's2',
        folder: '',
        metadataName: 'bob_s2_timing_metadata.json',
        segments: [{ base: 'bob_s2_audio_1', kind: 'audio', trackId: 'mic', startMs: 0 }],
      },
    ]);
    const model = await loadCallModel(root);
    expect(summary(model)).toEqual([
      'alice/s1/audio/mic: alice_s1_audio_1,alice_s1_audio_10',
      'alice/s1/video/cam: alice_s1_video_1',
      'bob/s2/audio/mic: bob_s2_audio_1',
    ]);
    expect(model.tracks[0]!.segments[1]!.rtpdumpPath).toBe(
      path.join(root, 'alice_s1_audio_10.rtpdump'),
    );
  });

  it('finds media in another folder by exact basename when it is the only file of that name', async () => {
    await writeArchive(root, [
      {
        userId: 'alice',
        sessionId: 's1',
        folder: 'metadata',
        metadataName: 'alice_timing_metadata.json',
        segments: [
          {
            base: 'alice_audio_1',
            kind: 'audio',
            trackId: 'mic',
            startMs: 0,
            mediaFolder: 'media/alice',
          },
        ],
      },
    ]);
    const model = await loadCallModel(root);
    expect(model.tracks[0]!.segments[0]!.sdpPath).toBe(
      path.join(root, 'media', 'alice', 'alice_audio_1.sdp'),
    );
  });
});

describe('loadCallModel() errors', () => {
  it("throws INPUT_NOT_FOUND naming the metadata and the file when a segment's rtpdump is missing", async () => {
    await writeArchive(root, [
      {
        userId: 'u',
        sessionId: 's',
        segments: [{ base: 'audio_1', kind: 'audio', trackId: 't', startMs: 0, omit: 'rtpdump' }],
      },
    ]);
    const error = await failure(loadCallModel(root));
    expect(error.code).toBe('INPUT_NOT_FOUND');
    expect(error.message).toBe(
      'u/s/timing_metadata.json: segment audio_1 refers to audio_1.rtpdump, which is not in the archive',
    );
  });

  it('throws INPUT_NOT_FOUND for a missing .sdp', async () => {
    await writeArchive(root, [
      {
        userId: 'u',
        sessionId: 's',
        segments: [{ base: 'video_1', kind: 'video', trackId: 't', startMs: 0, omit: 'sdp' }],
      },
    ]);
    expect((await failure(loadCallModel(root))).message).toBe(
      'u/s/timing_metadata.json: segment video_1 refers to video_1.sdp, which is not in the archive',
    );
  });

  it('refuses to guess when a missing file has several namesakes elsewhere', async () => {
    await writeArchive(root, [
      {
        userId: 'u',
        sessionId: 's',
        segments: [{ base: 'audio_1', kind: 'audio', trackId: 't', startMs: 0, mediaFolder: 'x' }],
      },
      {
        userId: 'v',
        sessionId: 's',
        segments: [{ base: 'audio_1', kind: 'audio', trackId: 't', startMs: 0, mediaFolder: 'y' }],
      },
    ]);
    const error = await failure(loadCallModel(root));
    expect(error.code).toBe('INPUT_NOT_FOUND');
    expect(error.message).toBe(
      'u/s/timing_metadata.json: segment audio_1 refers to audio_1.rtpdump, which is not in its folder, and 2 files elsewhere have that name (x/audio_1.rtpdump, y/audio_1.rtpdump)',
    );
  });

  it('throws METADATA_INVALID with the metadata path and field path for a wrong-typed field', async () => {
    await writeArchive(root, DOCUMENTED);
    const file = path.join(root, 'bob', 's3', 'timing_metadata.json');
    const doc = JSON.parse(await fs.readFile(file, 'utf8')) as {
      segments: { audio: Record<string, unknown>[] };
    };
    doc.segments.audio[0]!['first_rtp_unix_timestamp'] = 'abc';
    await fs.writeFile(file, JSON.stringify(doc));
    const error = await failure(loadCallModel(root));
    expect(error.code).toBe('METADATA_INVALID');
    expect(error.message).toBe(
      'bob/s3/timing_metadata.json: segments.audio[0].first_rtp_unix_timestamp must be an integer, got "abc"',
    );
  });

  it('throws METADATA_INVALID when two sessions disagree on the call id', async () => {
    await writeArchive(root, [
      { userId: 'a', sessionId: 's', segments: [] },
      { userId: 'b', sessionId: 's', callId: 'other-call', segments: [] },
    ]);
    expect((await failure(loadCallModel(root))).message).toBe(
      'b/s/timing_metadata.json: call_id "other-call" differs from "call-1" in a/s/timing_metadata.json',
    );
  });

  it('throws METADATA_INVALID when one rtpdump is claimed by two segments', async () => {
    await writeArchive(root, [
      {
        userId: 'u',
        sessionId: 's',
        folder: '',
        metadataName: 'a_timing_metadata.json',
        segments: [{ base: 'audio_1', kind: 'audio', trackId: 't', startMs: 0 }],
      },
      {
        userId: 'v',
        sessionId: 's',
        folder: '',
        metadataName: 'b_timing_metadata.json',
        segments: [{ base: 'audio_1', kind: 'audio', trackId: 't', startMs: 0 }],
      },
    ]);
    const error = await failure(loadCallModel(root));
    expect(error.code).toBe('METADATA_INVALID');
    expect(error.message).toBe(
      'b_timing_metadata.json: segment audio_1 refers to audio_1.rtpdump, which a_timing_metadata.json (segment audio_1) also uses',
    );
  });

  it('throws NO_TRACKS when the archive has no timing metadata, ignoring links and macOS resource forks', async () => {
    await fs.mkdir(path.join(root, '__MACOSX', 'u'), { recursive: true });
    await fs.writeFile(
      path.join(root, '__MACOSX', 'u', '._timing_metadata.json'),
      new Uint8Array([0, 5, 22, 7]),
    );
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
    try {
      await writeArchive(outside, [{ userId: 'x', sessionId: 's', segments: [] }]);
      await fs.symlink(
        path.join(outside, 'x', 's', 'timing_metadata.json'),
        path.join(root, 'timing_metadata.json'),
      );
      await fs.symlink(path.join(outside, 'x'), path.join(root, 'x'));
      const error = await failure(loadCallModel(root));
      expect(error.code).toBe('NO_TRACKS');
      expect(error.message).toBe(
        'no timing metadata (timing_metadata.json or *_timing_metadata.json) in the archive',
      );
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('throws INPUT_NOT_FOUND for a root that does not exist', async () => {
    expect((await failure(loadCallModel(path.join(root, 'missing')))).code).toBe('INPUT_NOT_FOUND');
  });

  it('returns a model without tracks for sessions without segments', async () => {
    await writeArchive(root, [{ userId: 'u', sessionId: 's', segments: [] }]);
    expect((await loadCallModel(root)).tracks).toEqual([]);
  });
});

describe('loadCallModel() with a manifest', () => {
  beforeEach(async () => {
    await writeArchive(root, DOCUMENTED);
    await writeManifestFile(root, await computeManifestForDir(root));
  });

  it('verifies it by default and loads the model', async () => {
    expect((await loadCallModel(root)).tracks).toHaveLength(5);
  });

  it('throws MANIFEST_MISMATCH when a listed file changed, unless verification is switched off', async () => {
    await fs.appendFile(path.join(root, 'alice', 's1', 'video_1.rtpdump'), 'x');
    const error = await failure(loadCallModel(root));
    expect(error.code).toBe('MANIFEST_MISMATCH');
    expect(error.message).toBe('alice/s1/video_1.rtpdump: size 45, manifest says 44');
    expect((await loadCallModel(root, { verifyManifest: false })).tracks).toHaveLength(5);
  });

  it('throws MANIFEST_MISMATCH when a file the model uses is not listed', async () => {
    await writeArchive(root, [
      {
        userId: 'carol',
        sessionId: 's9',
        segments: [{ base: 'audio_1', kind: 'audio', trackId: 't', startMs: 0 }],
      },
    ]);
    const error = await failure(loadCallModel(root));
    expect(error.message).toBe(
      'carol/s9/timing_metadata.json: in the archive but not listed in manifest.json',
    );
  });

  it('throws MANIFEST_MISMATCH when verification is asked for and there is no manifest', async () => {
    await fs.rm(path.join(root, 'manifest.json'));
    expect((await failure(loadCallModel(root, { verifyManifest: true }))).message).toBe(
      'manifest.json: missing, and verification was asked for',
    );
    expect((await loadCallModel(root)).tracks).toHaveLength(5);
  });
});

describe('filterTracks()', () => {
  let model: CallModel;
  beforeEach(async () => {
    await writeArchive(root, DOCUMENTED);
    model = await loadCallModel(root);
  });

  it('keeps the tracks of one user, one session or one track id, in model order', () => {
    expect(filterTracks(model, { userId: 'alice' }).map((t) => t.trackId)).toEqual([
      'mic',
      'cam',
      'screen',
      'mic2',
    ]);
    expect(filterTracks(model, { sessionId: 's2' }).map((t) => t.trackId)).toEqual(['mic2']);
    expect(filterTracks(model, { trackId: 'cam' }).map((t) => t.sessionId)).toEqual(['s1']);
    expect(filterTracks(model, { userId: 'bob', sessionId: undefined })).toHaveLength(1);
    expect(filterTracks(model, {})).toHaveLength(5);
  });

  it('combines given ids with AND', () => {
    expect(filterTracks(model, { userId: 'bob', trackId: 'mic' })).toEqual([]);
    expect(filterTracks(model, { userId: 'alice', sessionId: 's1' })).toHaveLength(3);
  });

  it('throws UNKNOWN_ID with the sorted known values for an unknown id', () => {
    const error = (() => {
      try {
        filterTracks(model, { userId: 'x' });
      } catch (e) {
        return e as TapedeckError;
      }
      throw new Error('expected UNKNOWN_ID');
    })();
    expect(error.code).toBe('UNKNOWN_ID');
    expect(error.message).toBe('unknown --user-id "x"; known: alice, bob');
    expect(() => filterTracks(model, { sessionId: 's9' })).toThrow(
      'unknown --session-id "s9"; known: s1, s2, s3',
    );
    expect(() => filterTracks(model, { trackId: '' })).toThrow(
      'unknown --track-id ""; known: bob-mic, cam, mic, mic2, screen',
    );
  });

  it('cuts the hint after ten known values', () => {
    const many: CallModel = {
      ...model,
      tracks: Array.from({ length: 12 }, (_, i) => ({
        ...model.tracks[0]!,
        userId: `u${String(i).padStart(2, '0')}`,
      })),
    };
    expect(() => filterTracks(many, { userId: 'x' })).toThrow(
      'unknown --user-id "x"; known: u00, u01, u02, u03, u04, u05, u06, u07, u08, u09, … (2 more)',
    );
  });
});
