/**
 * A/V sync: one ffmpeg sends beeps (audio) and white flashes (video) at the same instants,
 * the video starting a known time after the audio, as two RTP streams with their own
 * sender reports. After mux-av, the onsets measured in the output by ffmpeg line up.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawReport } from '../../src/raw/report.js';
import { captureWithFfmpeg } from '../helpers/ffmpeg-rtp-capture.js';
import { runCliInProcess as runCli } from './support/cli-runner.js';

let dir: string;
const VIDEO_DELAY_MS = 500;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-avsync-'));
  await captureWithFfmpeg({
    dir: path.join(dir, 'call'),
    participants: [
      { userId: 'u', sessionId: 'vp8', avSync: { durationSec: 5, videoDelayMs: VIDEO_DELAY_MS, videoCodec: 'VP8' } },
      { userId: 'u', sessionId: 'h264', avSync: { durationSec: 5, videoDelayMs: VIDEO_DELAY_MS, videoCodec: 'H264' } },
    ],
  });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Beep onsets (s): the audio, padded to start at file time 0, crossing 0.1 after ≥ 0.3 s quiet. */
function beepOnsets(file: string): number[] {
  const pcm = execFileSync('ffmpeg', [
    '-v', 'error', '-i', file, '-map', '0:a', '-af', 'aresample=async=1:first_pts=0',
    '-ac', '1', '-ar', '48000', '-f', 'f32le', '-',
  ], { maxBuffer: 1 << 28 });
  const samples = new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4);
  const onsets: number[] = [];
  let quietSince = 0;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i] ?? 0) > 0.1) {
      if (i - quietSince > 0.3 * 48000) onsets.push(i / 48000);
      quietSince = i;
    }
  }
  return onsets;
}

/** Flash onsets (s): frames whose mean luma rises above 128 from below, with their file times. */
function flashOnsets(file: string): { onsets: number[]; firstFrame: number } {
  const csv = execFileSync('ffprobe', [
    '-v', 'error', '-f', 'lavfi', '-i', `movie=${file},signalstats`,
    '-show_entries', 'frame=pts_time:frame_tags=lavfi.signalstats.YAVG', '-of', 'csv=p=0',
  ]).toString();
  const frames = csv.trim().split('\n').map((l) => l.split(',').map(Number) as [number, number]);
  const onsets: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    if ((frames[i]?.[1] ?? 0) > 128 && (frames[i - 1]?.[1] ?? 255) <= 128) onsets.push(frames[i]![0]);
  }
  return { onsets, firstFrame: frames[0]?.[0] ?? NaN };
}

describe('A/V sync', () => {
  for (const session of ['vp8', 'h264']) {
    it(`mux-av (${session}): beeps and flashes line up within 40 ms, and the video starts ${VIDEO_DELAY_MS} ms in`, async () => {
      const out = path.join(dir, `out-${session}`);
      const r = await runCli(['raw', 'mux-av', '--input-dir', path.join(dir, 'call'), '--session-id', session, '--output', out, '--json', '--no-fill-gaps']);
      expect(r.stderr).toBe('');
      const file = (JSON.parse(r.stdout) as RawReport).outputs[0]!.file;
      const beeps = beepOnsets(file);
      const { onsets: flashes, firstFrame } = flashOnsets(file);
      expect(beeps.length).toBeGreaterThanOrEqual(4);
      expect(flashes.length).toBeGreaterThanOrEqual(3);
      expect(Math.abs(firstFrame - VIDEO_DELAY_MS / 1000)).toBeLessThan(0.04);
      for (const f of flashes) {
        const nearest = Math.min(...beeps.map((b) => Math.abs(b - f)));
        expect(nearest, `flash at ${f.toFixed(3)} s, beeps at ${beeps.map((b) => b.toFixed(3)).join(' ')}`).toBeLessThanOrEqual(0.04);
      }
    });
  }
});
