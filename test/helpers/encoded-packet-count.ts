/**
 * The judge for packet counts: encode the same source with the same encoder settings to a
 * Matroska file (no real-time pacing) and let ffprobe count the encoder's packets.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `args` are input and encoder arguments for one output stream (no output path). */
export async function countEncodedPackets(args: readonly string[]): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-count-'));
  try {
    const file = path.join(dir, 'out.mkv');
    await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      ...args,
      '-f',
      'matroska',
      file,
    ]);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-count_packets',
      '-select_streams',
      '0',
      '-show_entries',
      'stream=nb_read_packets',
      '-of',
      'csv=p=0',
      file,
    ]);
    return Number(stdout.trim());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
