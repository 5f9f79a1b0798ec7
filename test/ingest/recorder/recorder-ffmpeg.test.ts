/**
 * The recorder on real RTP: ffmpeg sends Opus, VP8 and H264 to UDP sockets on 127.0.0.1,
 * every datagram goes into a TrackRecorder, the part is finalized into a ZIP, and the
 * toolkit (the judge) processes it: ffprobe durations match the sending time and ffmpeg
 * decodes every output without an error. Bob's camera restarts with another SSRC
 * mid-track, which must give two segments.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallPartRecorder,
  type FinalizedPart,
  type TrackRecorder,
} from '../../../src/ingest/recorder/index.js';
import { processAll } from '../../../src/raw/operations.js';
import type { RawReport } from '../../../src/raw/report.js';
import { runCliInProcess } from '../../e2e/support/cli-runner.js';
import { ffmpegDecodeErrors, ffprobe } from '../../media/mux-helpers.js';
import { delay, listenInto, sendWithFfmpeg, type Listener, type Span } from './ffmpeg-sender.js';
import { removeDir, tempDir } from './synthetic-packets.js';

let dir: string;
let zip: string;
let finalized: FinalizedPart;
let report: RawReport;
const spans = new Map<string, Span>();
const tracks = new Map<string, TrackRecorder>();
/** Media seconds of each track's last ffmpeg run. */
const LAST_RUN_SEC: Record<string, number> = { 'alice/mic': 3, 'alice/cam': 3, 'bob/cam': 1.5 };

beforeAll(async () => {
  dir = await tempDir();
  const root = path.join(dir, 'part');
  zip = path.join(dir, 'rec1.zip');
  const part = await CallPartRecorder.open({
    root,
    callType: 'default',
    callId: 'rec1',
    callSessionId: 'cs1',
    callStartMs: Date.now(),
  });
  tracks.set(
    'alice/mic',
    part.track('alice', 's1', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
    }),
  );
  tracks.set(
    'alice/cam',
    part.track('alice', 's1', {
      trackId: 'cam',
      kind: 'video',
      codec: { name: 'VP8', payloadType: 96 },
    }),
  );
  tracks.set(
    'bob/cam',
    part.track('bob', 's2', {
      trackId: 'cam',
      kind: 'video',
      codec: { name: 'H264', payloadType: 102, fmtp: { 'packetization-mode': '1' } },
    }),
  );
  const listeners = new Map<string, Listener>();
  try {
    for (const [key, track] of tracks) {
      const listener = await listenInto(track);
      listeners.set(key, listener);
      spans.set(key, listener.span);
    }
    const port = (key: string): number => listeners.get(key)!.port;
    await Promise.all([
      sendWithFfmpeg({ codec: 'opus', port: port('alice/mic'), durationSec: 3, ssrc: 0x1001 }),
      sendWithFfmpeg({ codec: 'VP8', port: port('alice/cam'), durationSec: 3, ssrc: 0x1002 }),
      (async () => {
        await sendWithFfmpeg({
          codec: 'H264',
          port: port('bob/cam'),
          durationSec: 1.5,
          ssrc: 0x2001,
        });
        await sendWithFfmpeg({
          codec: 'H264',
          port: port('bob/cam'),
          durationSec: 1.5,
          ssrc: 0x2002,
        });
      })(),
    ]);
    await delay(200); // datagrams still in flight
  } finally {
    for (const l of listeners.values()) await l.close();
  }
  finalized = await part.finalize(zip);
  report = await processAll({ input: { file: zip }, output: path.join(dir, 'out') });
});

afterAll(async () => {
  if (dir !== undefined) await removeDir(dir);
});

describe('recorder with ffmpeg as the RTP sender', () => {
  it('finalize() lists the ZIP: each track a segment per SSRC, metadata per session, state, manifest last', async () => {
    expect(finalized.files.map((f) => f.path)).toEqual([
      'alice/s1/audio_1.rtpdump',
      'alice/s1/audio_1.sdp',
      'alice/s1/timing_metadata.json',
      'alice/s1/video_1.rtpdump',
      'alice/s1/video_1.sdp',
      'bob/s2/timing_metadata.json',
      'bob/s2/video_1.rtpdump',
      'bob/s2/video_1.sdp',
      'bob/s2/video_2.rtpdump',
      'bob/s2/video_2.sdp',
      'recording_state.json',
      'manifest.json',
    ]);
    expect(finalized.interrupted).toBe(false);
    for (const [key, track] of tracks) {
      expect(track.stats, key).toMatchObject({
        droppedMalformed: 0,
        droppedStale: 0,
        droppedUnassigned: 0,
        droppedWriteFailed: 0,
      });
      expect(track.stats.rtcpWritten, key).toBeGreaterThan(0);
    }
    expect(tracks.get('bob/cam')!.stats.segments).toBe(2);
    const state = JSON.parse(
      await readFile(path.join(dir, 'part', 'recording_state.json'), 'utf8'),
    );
    expect(state.state).toBe('closed');
  });

  it('list-tracks shows the SSRC change as two segments of one track', async () => {
    const r = await runCliInProcess([
      'raw',
      'list-tracks',
      '--input-file',
      zip,
      '--format',
      'json',
    ]);
    expect(r.stderr).toBe('');
    const listed = JSON.parse(r.stdout) as {
      tracks: { userId: string; trackId: string; codec: string; segmentCount: number }[];
    };
    expect(listed.tracks.map((t) => [t.userId, t.trackId, t.codec, t.segmentCount])).toEqual([
      ['alice', 'mic', 'audio/opus', 1],
      ['alice', 'cam', 'video/VP8', 1],
      ['bob', 'cam', 'video/H264', 2],
    ]);
  });

  it('processAll() writes every output; each decodes without an error and lasts as long as its tracks were sent (±0.5 s)', async () => {
    expect(report.failures).toEqual([]);
    const kinds = report.outputs.map((o) => [
      o.kind,
      o.tracks.map((t) => `${t.userId}/${t.trackId}`),
    ]);
    expect(kinds).toEqual([
      ['audio_only', ['alice/mic']],
      ['video_only', ['alice/cam']],
      ['video_only', ['bob/cam']],
      ['audio_video', ['alice/mic', 'alice/cam']],
      ['composite_audio', ['alice/mic']],
    ]);
    const codecs: Record<string, string[]> = {
      'alice/mic': ['opus'],
      'alice/cam': ['vp8'],
      'bob/cam': ['h264'],
    };
    // Sending time on the arrival clock: from a track's first packet to the start of its last
    // sender run plus that run's media seconds (ffmpeg -t), so a sender slowed by machine load
    // does not change what is expected. Bob's includes the restart between his two runs.
    const start = (k: string): number => [...spans.get(k)!.firstBySsrc.values()][0]!;
    const end = (k: string): number =>
      [...spans.get(k)!.firstBySsrc.values()].at(-1)! + 1000 * LAST_RUN_SEC[k]!;
    for (const output of report.outputs) {
      const keys = output.tracks.map((t) => `${t.userId}/${t.trackId}`);
      const sentSec = (Math.max(...keys.map(end)) - Math.min(...keys.map(start))) / 1000;
      const probe = await ffprobe(output.file);
      const expected =
        output.kind === 'composite_audio' ? ['mp3'] : keys.flatMap((k) => codecs[k]!);
      expect(probe.streams.map((s) => s.codec_name).sort(), output.file).toEqual(
        [...expected].sort(),
      );
      expect(
        Math.abs(Number(probe.format.duration) - sentSec),
        `${output.file}: sent ${sentSec} s`,
      ).toBeLessThanOrEqual(0.5);
      expect(await ffmpegDecodeErrors(output.file), output.file).toBe('');
    }
    expect([...spans.get('bob/cam')!.firstBySsrc.keys()]).toEqual([0x2001, 0x2002]);
  });
});
