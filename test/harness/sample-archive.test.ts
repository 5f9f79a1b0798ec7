import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCall } from '../../src/raw/open-call.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

async function zipEntryNames(file: string): Promise<string[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (error, z) => (error ? reject(error) : resolve(z))),
  );
  return new Promise((resolve, reject) => {
    const names: string[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      zip.readEntry();
    });
    zip.on('end', () => resolve(names));
    zip.on('error', reject);
    zip.readEntry();
  });
}

let dir: string;
let out: string;
let stdout: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  out = path.join(dir, 'sample.zip');
  const script = path.join(repo, 'scripts', 'make-sample-archive.ts');
  ({ stdout } = await run(
    process.execPath,
    ['--import', 'tsx', script, '--out', out, '--cache-dir', path.join(dir, 'cache')],
    { cwd: repo },
  ));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('npm run sample (scripts/make-sample-archive.ts)', () => {
  it('prints the archive path and the list-tracks command to try next', () => {
    expect(stdout).toContain(`Wrote ${out} (2 participants, 4 tracks,`);
    expect(stdout).toContain(`Next: npx tapedeck raw list-tracks --input-file ${out}`);
  });

  it('writes a ZIP of two sessions (rtpdump, sdp, timing metadata) with manifest.json last', async () => {
    const names = await zipEntryNames(out);
    expect(names.at(-1)).toBe('manifest.json');
    expect(names.slice(0, -1)).toEqual([
      'alice/alice-session-1/audio_1.rtpdump',
      'alice/alice-session-1/audio_1.sdp',
      'alice/alice-session-1/timing_metadata.json',
      'alice/alice-session-1/video_1.rtpdump',
      'alice/alice-session-1/video_1.sdp',
      'bob/bob-session-1/audio_1.rtpdump',
      'bob/bob-session-1/audio_1.sdp',
      'bob/bob-session-1/timing_metadata.json',
      'bob/bob-session-1/video_1.rtpdump',
      'bob/bob-session-1/video_1.sdp',
    ]);
  });

  it('opens as a call (manifest verified): alice camera + mic, bob mic + 720p screen share joining 1.5 s later', async () => {
    const call = await openCall({ input: { file: out } });
    try {
      expect(call.model.callId).toBe('sample-call');
      expect(call.tracks.map((t) => [t.userId, t.kind, t.isScreenshare, t.codec])).toEqual([
        ['alice', 'audio', false, 'audio/opus'],
        ['alice', 'video', false, 'video/VP8'],
        ['bob', 'audio', false, 'audio/opus'],
        ['bob', 'video', true, 'video/VP8'],
      ]);
      const [aliceAudio, , bobAudio, bobScreen] = call.tracks.map((t) => t.segments[0]!.timing);
      expect(bobAudio!.firstRtpUnixTimestamp - aliceAudio!.firstRtpUnixTimestamp).toBeGreaterThan(
        1400,
      );
      expect(bobScreen!.maxFrameDimension).toEqual({ width: 1280, height: 720 });
    } finally {
      await call.close();
    }
  });
});
