/**
 * Part rotation over real parts: the service (startService) with TAPEDECK_PART_SECONDS=2,
 * an Opus RTP track fed by ffmpeg, recorded for about 5 s; every part becomes its own archive, announced
 * by its own `call.recording_ready`, and each archive processes into clean Opus.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAll } from '../../src/raw/operations.js';
import {
  DEFAULT_AUDIO_INPUT,
  encoderArgs,
  FFMPEG_PREAMBLE,
  lavfiInputArgs,
  rtpOutputArgs,
} from '../helpers/ffmpeg-rtp-args.js';
import { runFfmpeg } from '../helpers/run-ffmpeg.js';
import { ffmpegDecodeErrors, ffprobe, makeTempDir, removeDir } from '../media/mux-helpers.js';
import { OPUS_SDP, startTestService, type Json, type TestService } from './support.js';

let t: TestService;
let work: string;
let recording: Json;
let events: Json[];

beforeAll(async () => {
  t = await startTestService({ TAPEDECK_PART_SECONDS: '2' });
  work = await makeTempDir();
  expect(
    (
      await t.api('PUT', '/v1/call_types/rtp', {
        settings: { raw_recording: { mode: 'available' } },
      })
    ).status,
  ).toBe(200);
  expect((await t.api('POST', '/v1/calls/rtp/long', {})).status).toBe(201);
  const track = await t.api('POST', '/v1/calls/rtp/long/rtp_tracks', {
    user_id: 'alice',
    session_id: 'sess1',
    track_type: 'audio',
    sdp: OPUS_SDP,
  });
  expect(track.status).toBe(201);
  const started = await t.api('POST', '/v1/calls/rtp/long/recordings/raw/start');
  expect(started.status).toBe(201);
  const id: string = started.json.recording.id;
  // ffmpeg sends longer than the recording lasts, so that every part, the last one
  // included, holds media whatever the scheduling: the recording is stopped once its
  // third part has begun (two cuts), while packets still arrive.
  const sending = runFfmpeg(
    [
      ...FFMPEG_PREAMBLE,
      ...lavfiInputArgs(DEFAULT_AUDIO_INPUT, 8),
      ...encoderArgs({ codec: 'opus', bitrateKbps: 64, keyframeIntervalFrames: 30 }),
      ...rtpOutputArgs({
        payloadType: 111,
        ssrc: 0x1357_9bdf,
        port: track.json.rtp.port,
        sendBye: true,
      }),
    ],
    { timeoutMs: 60_000 },
  );
  for (;;) {
    const parts: Json[] = (await t.api('GET', `/v1/recordings/${id}`)).json.recording.parts;
    if (parts.length >= 3) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await t.api('POST', '/v1/calls/rtp/long/recordings/raw/stop')).status).toBe(200);
  await sending;
  for (;;) {
    recording = (await t.api('GET', `/v1/recordings/${id}`)).json.recording;
    if (recording.status === 'ready' || recording.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  events = (await t.api('GET', '/v1/calls/rtp/long/events')).json.events;
}, 120_000);

afterAll(async () => {
  await t?.stop();
  if (work !== undefined) await removeDir(work);
});

describe('a recording of about 5 s with TAPEDECK_PART_SECONDS=2', () => {
  it('is ready with at least 2 parts, each ready with its own archive', () => {
    expect(recording.status).toBe('ready');
    expect(recording.parts.length).toBeGreaterThanOrEqual(2);
    expect(recording.parts.map((p: Json): number => p.part_number as number)).toEqual(
      recording.parts.map((_: Json, i: number) => i + 1),
    );
    for (const part of recording.parts) expect(part).toMatchObject({ status: 'ready' });
    expect(recording.files).toHaveLength(recording.parts.length);
    expect(new Set(recording.files.map((f: Json): string => f.name as string)).size).toBe(
      recording.parts.length,
    );
  });

  it('announces each part with its own call.recording_ready, in increasing part_number', () => {
    const ready = events.filter((e) => e.type === 'call.recording_ready');
    expect(ready.map((e): number => e.payload.part_number as number)).toEqual(
      recording.parts.map((p: Json): number => p.part_number as number),
    );
    expect(events.filter((e) => e.type === 'call.recording_failed')).toEqual([]);
  });

  it('yields archives that each process into Opus decoding without errors', async () => {
    for (const [i, file] of (recording.files as Json[]).entries()) {
      const download = await fetch(file.url);
      expect(download.status).toBe(200);
      const zip = path.join(work, `part${i + 1}.zip`);
      await writeFile(zip, new Uint8Array(await download.arrayBuffer()));
      const report = await processAll({
        input: { file: zip },
        output: path.join(work, `out${i + 1}`),
      });
      expect(report.failures, file.name).toEqual([]);
      const audio = report.outputs.find((o) => o.kind === 'audio_only');
      expect(audio, file.name).toBeDefined();
      expect((await ffprobe(audio!.file)).streams.map((s) => s.codec_name)).toEqual(['opus']);
      expect(await ffmpegDecodeErrors(audio!.file), file.name).toBe('');
    }
  }, 60_000);
});
