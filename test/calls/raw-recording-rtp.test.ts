/**
 * End to end over real parts, driven through the client SDK (`TapedeckClient`): the service
 * (startService, SQLite on a temp data dir), two
 * RTP tracks fed by the Debian ffmpeg (Opus and VP8, 3 s, -re, RTCP to port + 1), the
 * archive downloaded through its signed URL with plain fetch, processed by processAll and
 * judged by ffprobe and a full ffmpeg decode.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckClient, type Recording } from '../../packages/client/src/index.js';
import { processAll } from '../../src/raw/operations.js';
import type { RawReport } from '../../src/raw/report.js';
import { ffmpegDecodeErrors, ffprobe, makeTempDir, removeDir } from '../media/mux-helpers.js';
import {
  addOpusAndVp8Tracks,
  sendOpusAndVp8,
  settledRecording,
  startTestService,
  type TestService,
} from './support.js';

const SECONDS = 3;

let t: TestService;
let work: string;
let recording: Recording;
let report: RawReport;

beforeAll(async () => {
  t = await startTestService();
  work = await makeTempDir();
  const client = new TapedeckClient({ baseUrl: t.service.url, apiSecret: t.secret });
  await client.updateCallType('rtp', { settings: { raw_recording: { mode: 'available' } } });
  const call = client.call('rtp', 'e2e');
  expect((await call.getOrCreate()).created).toBe(true);
  const { audio, video } = await addOpusAndVp8Tracks(call, 'alice', 'sess1');
  // ffmpeg sends RTCP to the RTP port + 1: the endpoints must have bound exactly that.
  expect(audio.rtcp.port).toBe(audio.rtp.port + 1);
  expect(video.rtcp.port).toBe(video.rtp.port + 1);

  const started = await call.startRecording('raw');
  await sendOpusAndVp8({
    seconds: SECONDS,
    audioPort: audio.rtp.port,
    videoPort: video.rtp.port,
    audioSsrc: 0x1111_1111,
    videoSsrc: 0x2222_2222,
  });
  await call.stopRecording('raw');

  const id = started.recording.id;
  recording = await settledRecording(async () => (await client.getRecording(id)).recording);
  expect(recording.status).toBe('ready');

  expect((await call.listRecordings()).recordings.map((r) => r.id)).toEqual([id]);
  const download = await fetch(recording.files[0]!.url!); // signed URL, no token
  expect(download.status).toBe(200);
  const zip = path.join(work, 'download.zip');
  await writeFile(zip, new Uint8Array(await download.arrayBuffer()));
  report = await processAll({ input: { file: zip }, output: path.join(work, 'out') });
});

afterAll(async () => {
  await t?.stop();
  if (work !== undefined) await removeDir(work);
});

describe('a raw recording of ffmpeg Opus + VP8 RTP over UDP', () => {
  it('downloads a ZIP of the size and sha256 the API reports', async () => {
    const { createHash } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(path.join(work, 'download.zip'));
    expect(bytes.byteLength).toBe(recording.files[0]!.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(recording.files[0]!.sha256);
  });

  it('processes without failures into Opus audio, VP8 video, a mux and a mix', () => {
    expect(report.failures).toEqual([]);
    expect(report.outputs.map((o) => o.kind).sort()).toEqual([
      'audio_only',
      'audio_video',
      'composite_audio',
      'video_only',
    ]);
  });

  it('yields outputs whose codecs ffprobe confirms, about 3 s long, decoding without errors', async () => {
    const expected: Record<string, string[]> = {
      audio_only: ['opus'],
      video_only: ['vp8'],
      audio_video: ['opus', 'vp8'],
      composite_audio: ['mp3'],
    };
    for (const output of report.outputs) {
      const probe = await ffprobe(output.file);
      expect(probe.streams.map((s) => s.codec_name).sort(), output.kind).toEqual(
        expected[output.kind],
      );
      expect(Math.abs(Number(probe.format.duration) - SECONDS), output.kind).toBeLessThanOrEqual(1);
      expect(await ffmpegDecodeErrors(output.file), output.kind).toBe('');
    }
  });
});
