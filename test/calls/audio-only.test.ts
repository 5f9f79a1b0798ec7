/**
 * Raw recording modes through the client SDK: `audio_only` (ffmpeg sends Opus and VP8 to
 * two RTP tracks; the archive, downloaded through its signed URL, holds no video rtpdump and
 * processes into audio outputs only) and `disabled` (start refused with 409).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TapedeckApiError,
  TapedeckClient,
  type Recording,
} from '../../packages/client/src/index.js';
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

const SECONDS = 2;

let t: TestService;
let client: TapedeckClient;
let work: string;
let recording: Recording;
let entries: string[];
let report: RawReport;

async function zipEntryNames(file: string): Promise<string[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  const names: string[] = [];
  for await (const entry of zip.eachEntry()) names.push(entry.fileName);
  zip.close();
  return names;
}

beforeAll(async () => {
  t = await startTestService();
  work = await makeTempDir();
  client = new TapedeckClient({ baseUrl: t.service.url, apiSecret: t.secret });
  await client.updateCallType('voice', {
    settings: { raw_recording: { mode: 'available', audio_only: true } },
  });
  const call = client.call('voice', 'audio-only');
  const { call: created } = await call.getOrCreate();
  expect(created.settings.raw_recording.audio_only).toBe(true);
  const { audio, video } = await addOpusAndVp8Tracks(call, 'alice', 'sess1');

  const started = await call.startRecording('raw');
  await sendOpusAndVp8({
    seconds: SECONDS,
    audioPort: audio.rtp.port,
    videoPort: video.rtp.port,
    audioSsrc: 0x3333_3333,
    videoSsrc: 0x4444_4444,
  });
  await call.stopRecording('raw');

  recording = await settledRecording(
    async () => (await client.getRecording(started.recording.id)).recording,
  );
  expect(recording.status).toBe('ready');

  const download = await fetch(recording.files[0]!.url!); // signed URL, no token
  expect(download.status).toBe(200);
  const zip = path.join(work, 'download.zip');
  await writeFile(zip, new Uint8Array(await download.arrayBuffer()));
  entries = await zipEntryNames(zip);
  report = await processAll({ input: { file: zip }, output: path.join(work, 'out') });
});

afterAll(async () => {
  await t?.stop();
  if (work !== undefined) await removeDir(work);
});

describe('a call type with raw_recording.audio_only', () => {
  it('archives the Opus track but no video rtpdump at all', () => {
    const dumps = entries.filter((name) => name.endsWith('.rtpdump'));
    expect(dumps.length).toBeGreaterThan(0);
    expect(dumps.filter((name) => /video/i.test(name))).toEqual([]);
    expect(dumps.every((name) => /audio/i.test(name))).toBe(true);
  });

  it('processes without failures into audio outputs only (Opus track, MP3 mix)', () => {
    expect(report.failures).toEqual([]);
    expect(report.outputs.map((o) => o.kind).sort()).toEqual(['audio_only', 'composite_audio']);
  });

  it('yields audio that ffprobe confirms and ffmpeg decodes without errors', async () => {
    const expected: Record<string, string[]> = {
      audio_only: ['opus'],
      composite_audio: ['mp3'],
    };
    for (const output of report.outputs) {
      const probe = await ffprobe(output.file);
      expect(probe.streams.map((s) => s.codec_name).sort(), output.kind).toEqual(
        expected[output.kind],
      );
      expect(await ffmpegDecodeErrors(output.file), output.kind).toBe('');
    }
  });
});

describe('a call type with raw_recording.mode disabled', () => {
  it('refuses startRecording with a TapedeckApiError of status 409', async () => {
    await client.updateCallType('muted', { settings: { raw_recording: { mode: 'disabled' } } });
    const call = client.call('muted', 'no-recording');
    await call.getOrCreate();
    const error: unknown = await call.startRecording('raw').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TapedeckApiError);
    expect((error as TapedeckApiError).status).toBe(409);
    expect((await call.listRecordings()).recordings).toEqual([]);
  });
});
