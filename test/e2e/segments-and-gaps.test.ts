/**
 * A track republished after a gap: two segments (new SSRC, own rtpdump each). The call is
 * synthesized from real ffmpeg-encoded media (VP8 camera, Opus microphone) with known
 * timing, so the expected output times are exact: the second segment must start where it
 * started, and --fill-gaps must fill the hole with silence and black frames.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawReport } from '../../src/raw/report.js';
import { synthesizeCall } from '../../scripts/lib/synth-call.js';
import { ffmpegDecodeErrors, ffprobe } from '../media/mux-helpers.js';
import { runCliInProcess as runCli } from './support/cli-runner.js';

let dir: string;
let root: string;
const RUNS = [
  { startMs: 0, endMs: 4000 },
  { startMs: 7000, endMs: 10_000 },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-gaps-'));
  root = path.join(dir, 'call');
  await synthesizeCall({
    outDir: root,
    durationSec: 12,
    participants: [
      {
        userId: 'ann',
        sessionId: 's1',
        joinOffsetMs: 0,
        tracks: [
          { kind: 'audio', segments: RUNS },
          { kind: 'video', segments: RUNS },
        ],
      },
    ],
    // A keyframe every second, as a sender answering the recorder's keyframe requests does.
    camera: { width: 320, height: 240, frameRate: 15, bitrateKbps: 300, keyframeIntervalSec: 1 },
  });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<RawReport> {
  const r = await runCli([...args, '--input-dir', root, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as RawReport;
}

function lumaAt(file: string, seconds: number): number {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  let sum = 0;
  for (const b of raw) sum += b;
  return sum / raw.length;
}

async function duration(file: string): Promise<number> {
  return Number((await ffprobe(file)).format.duration);
}

describe('a track with two segments and a gap', () => {
  it('--fill-gaps keeps the timeline exact and fills the 3 s hole with silence and black frames', async () => {
    const report = await run(['raw', 'process-all', '--output', path.join(dir, 'filled')]);
    const audio = report.outputs.find((o) => o.kind === 'audio_only')!;
    const video = report.outputs.find((o) => o.kind === 'video_only')!;
    const av = report.outputs.find((o) => o.kind === 'audio_video')!;
    for (const o of [audio, video, av]) {
      expect(o.tracks[0]?.segments, o.file).toBe(2);
      expect(Math.abs((await duration(o.file)) - 10), o.file).toBeLessThan(0.1);
      expect(await ffmpegDecodeErrors(o.file), o.file).toBe('');
    }
    expect(audio.tracks[0]?.gaps?.gapsFilled).toBe(1);
    expect(video.tracks[0]?.gaps?.gapsFilled).toBe(1);
    expect(audio.tracks[0]?.gaps?.filledMs).toBeGreaterThan(2900);
    // The test pattern before and after the gap, black inside it.
    expect(lumaAt(video.file, 2)).toBeGreaterThan(50);
    expect(lumaAt(video.file, 5.5)).toBeLessThan(20);
    expect(lumaAt(video.file, 8.5)).toBeGreaterThan(50);
  });

  it('--fill-gaps false leaves the hole empty but the second segment still starts at 7 s', async () => {
    const report = await run(['raw', 'extract-video', '--output', path.join(dir, 'bare'), '--fill-gaps', 'false']);
    const video = report.outputs[0]!;
    expect(video.tracks[0]?.gaps).toBeUndefined();
    expect(Math.abs((await duration(video.file)) - 10)).toBeLessThan(0.1);
    const times = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', video.file])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
    const gap = times.findIndex((t, i) => i > 0 && t - (times[i - 1] ?? 0) > 1);
    expect(times[gap - 1]).toBeLessThan(4.01);
    expect(Math.abs((times[gap] ?? 0) - 7)).toBeLessThan(0.07);
  });
});
