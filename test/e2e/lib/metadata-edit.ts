/** Small edits of captured archives' timing_metadata.json (snake_case, as on disk). */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type RawSegment = Record<string, unknown> & { base_filename: string; track_id: string };
export type RawSession = Record<string, unknown> & { segments: { audio: RawSegment[]; video: RawSegment[] } };

export async function readSession(sessionDir: string): Promise<RawSession> {
  return JSON.parse(await readFile(path.join(sessionDir, 'timing_metadata.json'), 'utf8')) as RawSession;
}

export async function writeSession(sessionDir: string, session: RawSession): Promise<void> {
  await writeFile(path.join(sessionDir, 'timing_metadata.json'), JSON.stringify(session, null, 2));
}

/**
 * Moves the `kind` segment `base` of session `fromDir` into session `toDir` as a further
 * segment of the track `trackId` there, renamed `newBase` (a republish: new SSRC, new files).
 */
export async function appendSegment(
  fromDir: string,
  toDir: string,
  kind: 'audio' | 'video',
  base: string,
  newBase: string,
): Promise<void> {
  const from = await readSession(fromDir);
  const to = await readSession(toDir);
  const segment = from.segments[kind].find((s) => s.base_filename === base);
  const target = to.segments[kind][0];
  if (!segment || !target) throw new Error(`no ${kind} segment ${base} to move`);
  for (const ext of ['rtpdump', 'sdp']) {
    await rename(path.join(fromDir, `${base}.${ext}`), path.join(toDir, `${newBase}.${ext}`));
  }
  to.segments[kind].push({ ...segment, base_filename: newBase, track_id: target.track_id });
  from.segments[kind] = from.segments[kind].filter((s) => s !== segment);
  await writeSession(toDir, to);
  await writeSession(fromDir, from);
}
