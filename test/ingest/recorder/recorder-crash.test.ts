/**
 * A recorder killed mid-stream: a child process records ffmpeg's Opus and VP8 and is
 * stopped with SIGKILL once a second of each is on disk; the last rtpdump is then chopped
 * inside its last record (a write cut short). No metadata was ever written. recoverPart
 * must make the part finalizable, marked interrupted, and the toolkit must process it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimingMetadataText } from '../../../src/archive/timing-metadata.js';
import {
  finalizePart,
  recoverPart,
  type RecoveredPart,
} from '../../../src/ingest/recorder/index.js';
import { ParseError } from '../../../src/errors.js';
import { processAll } from '../../../src/raw/operations.js';
import { openRtpdump } from '../../../src/rtpdump/read-rtpdump.js';
import { ffmpegDecodeErrors, ffprobe } from '../../media/mux-helpers.js';
import { sendWithFfmpeg } from './ffmpeg-sender.js';
import { removeDir, tempDir } from './synthetic-packets.js';

const SCRIPT = fileURLToPath(new URL('./support/record-until-killed.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

let dir: string;
let root: string;
let recovered: RecoveredPart;
let cutAt: number;
const session = (): string => path.join(root, 'alice', 's1');

/** Complete RTP records in a file another process is writing, and where the last one starts. */
async function recordsOnDisk(file: string): Promise<{ count: number; lastOffset: number }> {
  let count = 0;
  let lastOffset = -1;
  try {
    const dump = await openRtpdump(file);
    for await (const r of dump.records()) {
      if (!r.isRtcp) count += 1;
      lastOffset = r.fileOffset;
    }
  } catch (error) {
    if (!(error instanceof ParseError) && (error as { code?: string }).code !== 'INPUT_NOT_FOUND')
      throw error;
  }
  return { count, lastOffset };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

beforeAll(async () => {
  dir = await tempDir();
  root = path.join(dir, 'part');
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, root, String(Date.now())], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const senders = new AbortController();
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    const ports = JSON.parse(String(first.value)) as { audioPort: number; videoPort: number };
    const sending = Promise.allSettled([
      sendWithFfmpeg(
        { codec: 'opus', port: ports.audioPort, durationSec: 3, ssrc: 0x3001 },
        senders.signal,
      ),
      sendWithFfmpeg(
        { codec: 'VP8', port: ports.videoPort, durationSec: 3, ssrc: 0x3002 },
        senders.signal,
      ),
    ]);
    // A second of each on disk (the recorder's flush timer put it there), then the kill.
    await until(
      async () => (await recordsOnDisk(path.join(session(), 'audio_1.rtpdump'))).count >= 50,
    );
    await until(
      async () => (await recordsOnDisk(path.join(session(), 'video_1.rtpdump'))).count >= 30,
    );
    child.kill('SIGKILL');
    await exited(child);
    senders.abort(new Error('recorder killed'));
    await sending;
  } finally {
    child.kill('SIGKILL');
    await exited(child);
  }
  const video = path.join(session(), 'video_1.rtpdump');
  const { lastOffset } = await recordsOnDisk(video);
  cutAt = lastOffset + 5; // inside the last complete record's header
  await truncate(video, cutAt);
});

afterAll(async () => {
  if (dir !== undefined) await removeDir(dir);
});

describe('recoverPart after SIGKILL', () => {
  it('the killed part holds no metadata, says recording, and cannot be finalized', async () => {
    await expect(stat(path.join(session(), 'timing_metadata.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(JSON.parse(await readFile(path.join(root, 'recording_state.json'), 'utf8')).state).toBe(
      'recording',
    );
    const zip = path.join(dir, 'too-early.zip');
    await expect(finalizePart(root, zip)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(stat(zip)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('cuts the chopped record, rebuilds the metadata from the files, and marks the part interrupted', async () => {
    recovered = await recoverPart(root);
    expect(recovered).toMatchObject({
      interrupted: true,
      recovered: true,
      sessions: [
        {
          userId: 'alice',
          sessionId: 's1',
          segments: ['audio_1', 'video_1'],
          metadataRebuilt: true,
        },
      ],
      removedFiles: [],
    });
    expect(recovered.truncatedBytes).toBe(5);
    expect((await stat(path.join(session(), 'video_1.rtpdump'))).size).toBe(cutAt - 5);
    const state = JSON.parse(await readFile(path.join(root, 'recording_state.json'), 'utf8'));
    expect(state).toMatchObject({ state: 'interrupted', call_id: 'crash1', part: 1 });
    const m = parseTimingMetadataText(
      await readFile(path.join(session(), 'timing_metadata.json'), 'utf8'),
      'metadata',
    );
    expect(m.segments.audio.map((s) => [s.trackId, s.codec])).toEqual([['mic', 'audio/opus']]);
    expect(m.segments.video.map((s) => [s.trackId, s.codec, s.maxFrameDimension])).toEqual([
      ['cam', 'video/VP8', { width: 640, height: 360 }],
    ]);
    expect(m.segments.video[0]!.firstKeyFrameOffsetMs).toBe(0);
    expect(m.segments.audio[0]!.firstRtcpNtpTimestamp).toBeGreaterThan(0);
  });

  it('finalizes into a ZIP marked interrupted, and processAll() decodes what reached the disk for as long as it lasts (±0.5 s)', async () => {
    const zip = path.join(dir, 'crash1.zip');
    const finalized = await finalizePart(root, zip);
    expect(finalized.interrupted).toBe(true);
    expect(finalized.files.map((f) => f.path)).toContain('recording_state.json');
    const report = await processAll({ input: { file: zip }, output: path.join(dir, 'out') });
    expect(report.failures).toEqual([]);
    expect(report.outputs.map((o) => o.kind)).toEqual([
      'audio_only',
      'video_only',
      'audio_video',
      'composite_audio',
    ]);
    const m = parseTimingMetadataText(
      await readFile(path.join(session(), 'timing_metadata.json'), 'utf8'),
      'metadata',
    );
    const audio = m.segments.audio[0]!;
    const video = m.segments.video[0]!;
    // What is on disk, on the arrival clock: each track from its first packet for its RTP span.
    const span = (s: typeof audio, clockRate: number, frameSec: number) => ({
      start: s.firstRtpUnixTimestamp / 1000,
      end:
        s.firstRtpUnixTimestamp / 1000 +
        ((s.lastRtpRtpTimestamp - s.firstRtpRtpTimestamp) >>> 0) / clockRate +
        frameSec,
    });
    const a = span(audio, 48_000, 0.02);
    const v = span(video, 90_000, 1 / 30);
    expect(a.end - a.start).toBeGreaterThanOrEqual(0.9); // at least the 50 packets waited for
    for (const output of report.outputs) {
      const parts =
        output.kind === 'video_only' ? [v] : output.kind === 'audio_video' ? [a, v] : [a];
      const expected =
        Math.max(...parts.map((p) => p.end)) - Math.min(...parts.map((p) => p.start));
      const probe = await ffprobe(output.file);
      expect(
        Math.abs(Number(probe.format.duration) - expected),
        `${output.file}: ${expected} s on disk`,
      ).toBeLessThanOrEqual(0.5);
      expect(await ffmpegDecodeErrors(output.file), output.file).toBe('');
    }
  });
});
