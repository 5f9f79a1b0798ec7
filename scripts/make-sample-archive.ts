/**
 * `npm run sample -- --out sample.zip [--duration-sec 20] [--cache-dir DIR]`: writes a small raw call archive to try the
 * toolkit on: two participants, about 20 s; alice sends camera and microphone, bob joins
 * 1.5 s later with microphone and a screen share. Synthetic (see scripts/lib/synth-call.ts),
 * zipped with the archive writer (manifest.json last).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeZipArchive } from '../src/archive/writer/write-zip.js';
import { synthesizeCall } from './lib/synth-call.js';

export type SampleArchiveOptions = {
  /** Where the ZIP goes. */
  readonly out: string;
  /** Call length. Default 20. */
  readonly durationSec?: number;
  /** Encoded clip cache (see synthesizeCall). Default its default. */
  readonly cacheDir?: string;
};

export type SampleArchive = {
  readonly out: string;
  readonly bytes: number;
  readonly tracks: number;
};

export async function makeSampleArchive(options: SampleArchiveOptions): Promise<SampleArchive> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-sample-'));
  try {
    const result = await synthesizeCall({
      outDir: work,
      durationSec: options.durationSec ?? 20,
      callType: 'default',
      callId: 'sample-call',
      callSessionId: 'sample-call-session',
      // A 5 s loop keeps the one-off clip encoding short; the call loops it.
      clipSec: 5,
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
      participants: [
        { userId: 'alice', sessionId: 'alice-session-1' },
        {
          userId: 'bob',
          sessionId: 'bob-session-1',
          joinOffsetMs: 1500,
          dtx: { talkMs: 4000, silenceMs: 2500 },
          tracks: [{ kind: 'audio' }, { kind: 'video', trackType: 'TRACK_TYPE_SCREEN_SHARE' }],
        },
      ],
    });
    const out = path.resolve(options.out);
    await writeZipArchive(work, out);
    const tracks = new Set(result.segments.map((s) => `${s.userId}/${s.sessionId}/${s.trackId}`))
      .size;
    return { out, bytes: (await stat(out)).size, tracks };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'sample.zip' },
      'duration-sec': { type: 'string' },
      'cache-dir': { type: 'string' },
    },
    strict: true,
  });
  const durationSec =
    values['duration-sec'] === undefined ? undefined : Number(values['duration-sec']);
  if (durationSec !== undefined && !(durationSec > 0))
    throw new RangeError('--duration-sec must be a positive number');
  const sample = await makeSampleArchive({
    out: values.out,
    ...(durationSec !== undefined ? { durationSec } : {}),
    ...(values['cache-dir'] !== undefined ? { cacheDir: values['cache-dir'] } : {}),
  });
  const relative = path.relative(process.cwd(), sample.out);
  const shown =
    relative === '' || relative.startsWith('..') || path.isAbsolute(relative)
      ? sample.out
      : relative;
  process.stdout.write(
    `Wrote ${sample.out} (2 participants, ${sample.tracks} tracks, ${(sample.bytes / 1e6).toFixed(1)} MB)\n` +
      `Next: npx tapedeck raw list-tracks --input-file ${shown.includes(' ') ? JSON.stringify(shown) : shown}\n`,
  );
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href
) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
