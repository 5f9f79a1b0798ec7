/**
 * `npm run bench`: tapedeck's process-all on a 4-participant, 10-minute call (Opus + 720p
 * VP8 at ~1.2 Mbit/s), against ffmpeg doing only the container work on the same encoded
 * media in the same run (each track remuxed `-c copy` to Matroska, all audio mixed with
 * amix to MP3). Prints wall time, peak RSS and the tapedeck/ffmpeg ratio, then peak RSS
 * for a 30-minute call to show memory stays flat. The synthetic calls are generated once
 * and cached in bench/.cache/. Then the ingest benchmark (bench/ingest.ts) and WHIP publishers
 * per core (bench/whip.ts), then delivery (bench/delivery.ts: a 1 GiB archive to a local S3
 * server against a plain lib-storage upload, and stop → ready for a 5-minute audio-only call).
 * `npm run bench -- --ingest-only` / `--whip-only` / `--delivery-only` runs only that one.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesizeCall } from '../scripts/lib/synth-call.js';
import { runDeliveryBench } from './delivery.js';
import { runIngestBench } from './ingest.js';
import { runWhipBench } from './whip.js';
import { measure, measureAll, type Measurement } from './measure.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(repo, 'bench', '.cache');
const cli = path.join(repo, 'bin', 'tapedeck.js');
const PARTICIPANTS = 4;

async function ensureCall(minutes: number): Promise<string> {
  const root = path.join(cache, `call-${PARTICIPANTS}x${minutes}m`);
  const done = path.join(root, '.complete');
  if (existsSync(done)) return root;
  await rm(root, { recursive: true, force: true });
  process.stderr.write(
    `generating a ${PARTICIPANTS}-participant, ${minutes}-minute call (cached in ${path.relative(repo, root)})…\n`,
  );
  await synthesizeCall({
    outDir: root,
    durationSec: minutes * 60,
    participants: Array.from({ length: PARTICIPANTS }, (_, i) => ({
      userId: `user${i + 1}`,
      sessionId: `session${i + 1}`,
    })),
    camera: { width: 1280, height: 720, frameRate: 30, bitrateKbps: 1200 },
    cacheDir: path.join(cache, 'clips'),
  });
  await writeFile(done, new Date().toISOString());
  return root;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function row(label: string, a: string, b: string, ratio: string): string {
  return `${label.padEnd(28)}${a.padStart(12)}${b.padStart(12)}${ratio.padStart(10)}\n`;
}

async function tapedeck(input: string, output: string): Promise<Measurement> {
  await rm(output, { recursive: true, force: true });
  return measure(process.execPath, [
    cli,
    'raw',
    'process-all',
    '--input-dir',
    input,
    '--output',
    output,
  ]);
}

async function ffmpegBaseline(tracksDir: string, output: string): Promise<Measurement> {
  await rm(output, { recursive: true, force: true });
  await mkdir(output, { recursive: true });
  const files = (await readdir(tracksDir)).filter((f) => /_(audio|video)_only_/.test(f)).sort();
  const audio = files.filter((f) => f.includes('_audio_only_'));
  const remux = files.map(
    (f) =>
      [
        'ffmpeg',
        ['-v', 'error', '-y', '-i', path.join(tracksDir, f), '-c', 'copy', path.join(output, f)],
      ] as const,
  );
  const mix = [
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      ...audio.flatMap((f) => ['-i', path.join(tracksDir, f)]),
      '-filter_complex',
      `amix=inputs=${audio.length}:duration=longest`,
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      path.join(output, 'mix.mp3'),
    ],
  ] as const;
  return measureAll([...remux, mix], Math.min(4, availableParallelism()));
}

async function main(): Promise<void> {
  if (!existsSync(path.join(repo, 'dist', 'cli', 'main.js')))
    throw new Error('run `npm run build` first');
  const call10 = await ensureCall(10);
  const out = path.join(cache, 'out');
  const inputBytes = await dirBytes(call10);
  process.stderr.write(`input: ${mb(inputBytes)} of rtpdump\n`);

  const td = await tapedeck(call10, path.join(out, 'tapedeck-10m'));
  const ff = await ffmpegBaseline(path.join(out, 'tapedeck-10m'), path.join(out, 'ffmpeg-10m'));

  let report = `\n${PARTICIPANTS} participants × 10 min, Opus + 720p VP8 (${mb(inputBytes)} of RTP)\n`;
  report += row('', 'tapedeck', 'ffmpeg', 'ratio');
  report += row(
    'wall time (process-all)',
    s(td.wallMs),
    s(ff.wallMs),
    (td.wallMs / ff.wallMs).toFixed(2),
  );
  report += row(
    'peak RSS',
    mb(td.peakRssBytes),
    mb(ff.peakRssBytes),
    (td.peakRssBytes / ff.peakRssBytes).toFixed(2),
  );
  report += `  (ffmpeg baseline: each track remuxed -c copy to Matroska + amix of all audio to MP3, ${Math.min(4, availableParallelism())} at a time)\n`;

  const call30 = await ensureCall(30);
  const td30 = await tapedeck(call30, path.join(out, 'tapedeck-30m'));
  report += `\nmemory as the call grows (tapedeck process-all)\n`;
  report += row('', '10 min', '30 min', 'ratio');
  report += row(
    'peak RSS',
    mb(td.peakRssBytes),
    mb(td30.peakRssBytes),
    (td30.peakRssBytes / td.peakRssBytes).toFixed(2),
  );
  report += row('wall time', s(td.wallMs), s(td30.wallMs), (td30.wallMs / td.wallMs).toFixed(2));
  report += `\ntargets: wall-time ratio ≤ 1.0; peak RSS < 300 MB at both lengths\n`;
  process.stdout.write(report);
  await rm(out, { recursive: true, force: true });
}

const only = ['--ingest-only', '--whip-only', '--delivery-only'].find((f) =>
  process.argv.includes(f),
);
if (only === undefined) await main();
if (only === undefined || only === '--ingest-only') process.stdout.write(await runIngestBench());
if (only === undefined || only === '--whip-only') process.stdout.write(await runWhipBench());
if (only === undefined || only === '--delivery-only')
  process.stdout.write(await runDeliveryBench());
