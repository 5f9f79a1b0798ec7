/**
 * Recovery of a call part whose recorder was killed (`recording_state.json` still says
 * `recording`), so that it can be finalized into a ZIP marked interrupted:
 *
 * 1. leftover temporary files (`.name.<12 hex>.tmp`) are removed;
 * 2. each `<base>.rtpdump` is cut after its last complete record and its timing rebuilt
 *    from the records (salvage-segment.ts) with the codec and track identity of its
 *    `<base>.sdp`; an rtpdump without an SDP, an SDP without an rtpdump, and a segment
 *    without one complete RTP packet are removed (they were never described anywhere);
 * 3. a session's `timing_metadata.json` is rebuilt when it is missing, unreadable or stale
 *    (it does not list exactly the segments on disk, or one of them was cut), with
 *    `call_end_time` = the last packet kept in the part; otherwise it is kept as written;
 * 4. `recording_state.json` becomes `interrupted` (written last: a recovery that is itself
 *    killed runs again from the start).
 *
 * A part already `closed` or `interrupted` is left alone. Run it only on a part no live
 * recorder is writing.
 */
import { readFile, readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseTimingMetadataText } from '../../archive/timing-metadata.js';
import type { SegmentTiming, SessionTiming } from '../../archive/types.js';
import { TapedeckError } from '../../errors.js';
import { readRecordingState, writeRecordingState } from './recording-state.js';
import { salvageSegment } from './salvage-segment.js';
import { sessionTiming, TIMING_METADATA_FILE, writeTimingMetadata } from './session-recorder.js';
import { readSegmentSdp } from './track-codec.js';

export type RecoveredSession = {
  readonly userId: string;
  readonly sessionId: string;
  /** Base names of the segments kept, sorted. */
  readonly segments: readonly string[];
  /** Whether timing_metadata.json was rebuilt from the files (false: it was current). */
  readonly metadataRebuilt: boolean;
};

export type RecoveredPart = {
  /** The part ends as `interrupted` (true also for a part recovered earlier). */
  readonly interrupted: boolean;
  /** False when the part was already `closed` or `interrupted`: nothing was touched. */
  readonly recovered: boolean;
  /** Sessions with at least one segment kept. */
  readonly sessions: readonly RecoveredSession[];
  /** Bytes cut from the ends of rtpdump files. */
  readonly truncatedBytes: number;
  /** Files removed, relative to the part folder with `/` separators, sorted. */
  readonly removedFiles: readonly string[];
};

const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

type SessionScan = {
  readonly dir: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly timings: SegmentTiming[];
  readonly stale: boolean;
  readonly truncatedBytes: number;
};

async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  const list = await readdir(dir, { withFileTypes: true });
  return list
    .map((e) => ({ name: e.name, isDir: e.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function readMetadata(dir: string): Promise<SessionTiming | undefined> {
  try {
    return parseTimingMetadataText(
      await readFile(path.join(dir, TIMING_METADATA_FILE), 'utf8'),
      TIMING_METADATA_FILE,
    );
  } catch {
    return undefined; // missing or unreadable: rebuilt
  }
}

async function scanSession(
  dir: string,
  userId: string,
  sessionId: string,
  remove: (file: string) => Promise<void>,
): Promise<SessionScan> {
  const names = new Set((await entries(dir)).filter((e) => !e.isDir).map((e) => e.name));
  for (const name of names) if (TEMP_FILE.test(name)) await remove(path.join(dir, name));
  const written = await readMetadata(dir);
  const listed = new Map(
    [...(written?.segments.audio ?? []), ...(written?.segments.video ?? [])].map((s) => [
      s.baseFilename,
      s,
    ]),
  );
  const timings: SegmentTiming[] = [];
  let truncatedBytes = 0;
  for (const name of names) {
    const base = name.endsWith('.rtpdump') ? name.slice(0, -'.rtpdump'.length) : undefined;
    if (base === undefined) {
      if (name.endsWith('.sdp') && !names.has(`${name.slice(0, -4)}.rtpdump`))
        await remove(path.join(dir, name));
      continue;
    }
    const rtpdump = path.join(dir, name);
    const sdp = path.join(dir, `${base}.sdp`);
    const info = names.has(`${base}.sdp`) ? await readSdp(sdp) : undefined;
    const salvaged =
      info === undefined
        ? undefined
        : await salvageSegment(rtpdump, {
            baseFilename: base,
            codec: info.codec,
            trackId: info.trackId ?? listed.get(base)?.trackId ?? base,
            trackType:
              info.trackType ??
              listed.get(base)?.trackType ??
              (info.codec.kind === 'audio' ? 'TRACK_TYPE_AUDIO' : 'TRACK_TYPE_VIDEO'),
          });
    if (salvaged === undefined) {
      await remove(rtpdump);
      if (names.has(`${base}.sdp`)) await remove(sdp);
      continue;
    }
    truncatedBytes += salvaged.truncatedBytes;
    timings.push(salvaged.timing);
  }
  const stale =
    written === undefined ||
    truncatedBytes > 0 ||
    listed.size !== timings.length ||
    timings.some((t) => !listed.has(t.baseFilename));
  return {
    dir,
    userId,
    sessionId,
    timings: stale ? timings : [...listed.values()],
    stale,
    truncatedBytes,
  };
}

async function readSdp(file: string): Promise<ReturnType<typeof readSegmentSdp> | undefined> {
  try {
    return readSegmentSdp(await readFile(file, 'utf8'));
  } catch (error) {
    if (error instanceof TapedeckError) return undefined;
    throw error;
  }
}

/** Recovers the part folder `root` (see the module comment). */
export async function recoverPart(root: string): Promise<RecoveredPart> {
  const rootAbs = path.resolve(root);
  const state = await readRecordingState(rootAbs);
  if (state.state !== 'recording') {
    return {
      interrupted: state.state === 'interrupted',
      recovered: false,
      sessions: [],
      truncatedBytes: 0,
      removedFiles: [],
    };
  }
  const removedFiles: string[] = [];
  const remove = async (file: string): Promise<void> => {
    await rm(file, { force: true });
    removedFiles.push(path.relative(rootAbs, file).split(path.sep).join('/'));
  };
  let truncatedBytes = 0;
  const scans: SessionScan[] = [];
  for (const top of await entries(rootAbs)) {
    if (!top.isDir) {
      if (TEMP_FILE.test(top.name)) await remove(path.join(rootAbs, top.name));
      continue;
    }
    for (const sub of await entries(path.join(rootAbs, top.name))) {
      if (!sub.isDir) continue;
      const scan = await scanSession(
        path.join(rootAbs, top.name, sub.name),
        top.name,
        sub.name,
        remove,
      );
      truncatedBytes += scan.truncatedBytes;
      scans.push(scan);
    }
  }
  const all = scans.flatMap((s) => s.timings);
  const callEndMs =
    all.length === 0 ? undefined : Math.max(...all.map((t) => t.lastRtpUnixTimestamp));
  const sessions: RecoveredSession[] = [];
  for (const scan of scans) {
    if (scan.timings.length === 0) {
      const metadata = path.join(scan.dir, TIMING_METADATA_FILE);
      if (await exists(metadata)) await remove(metadata);
      await rmdir(scan.dir).catch(() => undefined); // only when empty
      await rmdir(path.dirname(scan.dir)).catch(() => undefined);
      continue;
    }
    if (scan.stale)
      await writeTimingMetadata(
        scan.dir,
        sessionTiming(state, scan.userId, scan.sessionId, scan.timings, callEndMs),
      );
    const segments = scan.timings.map((t) => t.baseFilename).sort();
    sessions.push({
      userId: scan.userId,
      sessionId: scan.sessionId,
      segments,
      metadataRebuilt: scan.stale,
    });
  }
  await writeRecordingState(rootAbs, {
    ...state,
    state: 'interrupted',
    endedAtMs: callEndMs,
    recoveredAtMs: Date.now(),
  });
  return {
    interrupted: true,
    recovered: true,
    sessions,
    truncatedBytes,
    removedFiles: removedFiles.sort(),
  };
}
