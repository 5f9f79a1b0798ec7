/**
 * End to end with real media: ffmpeg (a real RTP sender) sends Opus, VP8, VP9 and H264 to
 * 127.0.0.1; the capture is written with tapedeck's rtpdump writer into a ZIP archive; every
 * `tapedeck raw` command runs on it; ffprobe and a full ffmpeg decode judge every output.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZipArchive } from '../../src/archive/writer/write-zip.js';
import type { RawReport } from '../../src/raw/report.js';
import { captureWithFfmpeg } from '../helpers/ffmpeg-rtp-capture.js';
import { ffmpegDecodeErrors, ffprobe } from '../media/mux-helpers.js';
import { runCliInProcess as runCli } from './support/cli-runner.js';

let dir: string;
let zip: string;
const SECONDS = 3;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-e2e-'));
  const root = path.join(dir, 'capture');
  await captureWithFfmpeg({
    dir: root,
    callType: 'default',
    callId: 'call42',
    participants: [
      {
        userId: 'alice',
        sessionId: 'sa',
        tracks: [
          { kind: 'audio', codec: 'opus', durationSec: SECONDS },
          { kind: 'video', codec: 'VP8', durationSec: SECONDS },
        ],
      },
      {
        userId: 'bob',
        sessionId: 'sb',
        tracks: [
          { kind: 'audio', codec: 'opus', durationSec: SECONDS },
          { kind: 'video', codec: 'H264', durationSec: SECONDS },
          { kind: 'video', codec: 'VP9', durationSec: SECONDS, trackType: 'TRACK_TYPE_SCREEN_SHARE' },
          { kind: 'audio', codec: 'opus', durationSec: SECONDS, trackType: 'TRACK_TYPE_SCREEN_SHARE_AUDIO' },
        ],
      },
    ],
  });
  zip = path.join(dir, 'call.zip');
  await writeZipArchive(root, zip);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

describe('tapedeck raw on a real ffmpeg capture', () => {
  it('list-tracks shows every track, sorted, with screenshares marked', async () => {
    const r = await runCli(['raw', 'list-tracks', '--input-file', zip]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(2).map((l) => l.split(/\s{2,}/));
    expect(rows.map((c) => [c[0], c[3], c[4], c[5]])).toEqual([
      ['alice', 'audio', 'No', 'audio/opus'],
      ['alice', 'video', 'No', 'video/VP8'],
      ['bob', 'audio', 'No', 'audio/opus'],
      ['bob', 'audio', 'Yes', 'audio/opus'],
      ['bob', 'video', 'No', 'video/H264'],
      ['bob', 'video', 'Yes', 'video/VP9'],
    ]);
  });

  it('process-all writes every track, every pair and the mix, and ffmpeg decodes each without an error', async () => {
    const out = path.join(dir, 'out');
    const r = await runCli(['raw', 'process-all', '--input-file', zip, '--output', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RawReport;
    const names = report.outputs.map((o) => path.basename(o.file));
    const ts = names[0]?.match(/_(\d+)\.mkv$/)?.[1];
    expect(names).toEqual(
      [
        'alice_sa_audio_only',
        'bob_sb_audio_only',
        'bob_sb_shared_audio_only',
        'alice_sa_video_only',
        'bob_sb_video_only',
        'bob_sb_shared_video_only',
        'alice_sa_audio_video',
        'bob_sb_audio_video',
        'bob_sb_shared_audio_video',
      ]
        .map((n) => `individual_default_call42_${n}_${ts}.mkv`)
        .concat([`composite_default_call42_audio_${ts}.mp3`]),
    );
    expect((await readdir(out)).sort()).toEqual([...names].sort());

    const expected: Record<string, string[]> = {
      alice_sa_audio_only: ['opus'],
      bob_sb_audio_only: ['opus'],
      bob_sb_shared_audio_only: ['opus'],
      alice_sa_video_only: ['vp8'],
      bob_sb_video_only: ['h264'],
      bob_sb_shared_video_only: ['vp9'],
      alice_sa_audio_video: ['opus', 'vp8'],
      bob_sb_audio_video: ['opus', 'h264'],
      bob_sb_shared_audio_video: ['opus', 'vp9'],
      composite: ['mp3'],
    };
    for (const o of report.outputs) {
      const key = Object.keys(expected).find((k) => path.basename(o.file).includes(`_${k}_`)) ?? 'composite';
      const probe = await ffprobe(o.file);
      expect(probe.streams.map((s) => s.codec_name).sort(), o.file).toEqual([...(expected[key] ?? [])].sort());
      for (const s of probe.streams.filter((x) => x.codec_type === 'video')) {
        expect([s.width, s.height], o.file).toEqual([640, 360]);
      }
      // Each track was sent for SECONDS; the mix spans start-to-end of all microphones.
      const duration = Number(probe.format.duration);
      expect(duration, o.file).toBeGreaterThan(SECONDS - 0.3);
      expect(duration, o.file).toBeLessThan(SECONDS + (key === 'composite' ? 1.5 : 0.5));
      expect(Math.abs(duration - o.durationMs / 1000), o.file).toBeLessThan(0.15);
      expect(await ffmpegDecodeErrors(o.file), o.file).toBe('');
    }
    for (const o of report.outputs) {
      for (const t of o.tracks) {
        expect(t.stats.lost, o.file).toBe(0);
        expect(t.framesWritten, o.file).toBeGreaterThan(0);
      }
    }
  });

  it('the same input gives the same files, byte for byte, every run', async () => {
    const a = path.join(dir, 'run-a');
    const b = path.join(dir, 'run-b');
    expect((await runCli(['raw', 'process-all', '--input-file', zip, '--output', a])).code).toBe(0);
    expect((await runCli(['raw', 'process-all', '--input-file', zip, '--output', b, '--concurrency', '1'])).code).toBe(0);
    const files = (await readdir(a)).sort();
    expect((await readdir(b)).sort()).toEqual(files);
    for (const f of files) expect(await sha256(path.join(b, f)), f).toBe(await sha256(path.join(a, f)));
  });

  it('extract-audio --container webm writes Opus in WebM', async () => {
    const out = path.join(dir, 'webm');
    const r = await runCli(['raw', 'extract-audio', '--input-file', zip, '--output', out, '--user-id', 'alice', '--container', 'webm']);
    expect(r.code).toBe(0);
    const files = await readdir(out);
    expect(files).toHaveLength(1);
    const probe = await ffprobe(path.join(out, files[0] as string));
    expect(probe.format.format_name).toContain('webm');
    expect(probe.streams.map((s) => s.codec_name)).toEqual(['opus']);
  });
});
