/**
 * One participant session: the folder `<root>/<userId>/<sessionId>/`, its tracks, the
 * segment base names (`audio_1`, `audio_2`, `video_1`, … unique in the folder, numbered
 * per kind across the session's tracks), and `timing_metadata.json`, rewritten (temporary
 * file, then rename) each time a segment closes and once more at `close()` with the call
 * end time. The metadata lists closed segments only: each one's files are complete.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareCodePoints } from '../../archive/manifest.js';
import { serializeTimingMetadata } from '../../archive/timing-metadata.js';
import type { SegmentTiming, SessionTiming } from '../../archive/types.js';
import { commitFile } from '../../archive/writer/commit-file.js';
import type { FlushClock } from './flush-clock.js';
import { checkFolderName } from './option-checks.js';
import type { SegmentPlace } from './segment-file.js';
import { TrackRecorder, type TrackHost } from './track-recorder.js';
import type { TrackRecorderOptions } from './types.js';

export const TIMING_METADATA_FILE = 'timing_metadata.json';

/** What sessions share with their call part. */
export type PartContext = {
  readonly root: string;
  readonly callType: string;
  readonly callId: string;
  readonly callSessionId: string;
  readonly callStartMs: number;
  readonly flushClock: FlushClock;
  readonly now: () => number;
};

const SEGMENT_FILE = /^(audio|video)_(\d{1,9})\.(rtpdump|sdp)$/;

/** The session's timing document for `timings` (sorted by first arrival, then base name). */
export function sessionTiming(
  ctx: Omit<PartContext, 'root' | 'flushClock' | 'now'>,
  userId: string,
  sessionId: string,
  timings: readonly SegmentTiming[],
  callEndMs: number | undefined,
): SessionTiming {
  const sorted = [...timings].sort(
    (a, b) =>
      a.firstRtpUnixTimestamp - b.firstRtpUnixTimestamp ||
      compareCodePoints(a.baseFilename, b.baseFilename),
  );
  return {
    callType: ctx.callType,
    callId: ctx.callId,
    callSessionId: ctx.callSessionId,
    callStartTime: new Date(ctx.callStartMs).toISOString(),
    callStartMs: ctx.callStartMs,
    callEndTime: callEndMs === undefined ? undefined : new Date(callEndMs).toISOString(),
    participantId: userId,
    userSessionId: sessionId,
    segments: {
      audio: sorted.filter((t) => t.codec.startsWith('audio/')),
      video: sorted.filter((t) => !t.codec.startsWith('audio/')),
    },
  };
}

/** Writes `<dir>/timing_metadata.json` (temporary file, then rename). */
export async function writeTimingMetadata(dir: string, timing: SessionTiming): Promise<void> {
  const text = serializeTimingMetadata(timing);
  await commitFile(path.join(dir, TIMING_METADATA_FILE), (tmp) =>
    writeFile(tmp, text, { flag: 'wx' }),
  );
}

export class SessionRecorder {
  readonly userId: string;
  readonly sessionId: string;
  /** `<root>/<userId>/<sessionId>`, created with the first segment. */
  readonly dir: string;
  readonly #ctx: PartContext;
  readonly #tracks = new Map<string, TrackRecorder>();
  readonly #timings: SegmentTiming[] = [];
  /** Last number used per kind; read from the folder before the first allocation. */
  #numbers: { audio: number; video: number } | undefined;
  #placing: Promise<unknown> = Promise.resolve();
  #metadata: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;
  readonly #host: TrackHost;

  /** Use `CallPartRecorder.session()`; throws RangeError for ids that are not plain folder names. */
  constructor(ctx: PartContext, userId: string, sessionId: string) {
    this.userId = checkFolderName('userId', userId);
    this.sessionId = checkFolderName('sessionId', sessionId);
    this.dir = path.join(ctx.root, userId, sessionId);
    this.#ctx = ctx;
    this.#host = {
      flushClock: ctx.flushClock,
      place: (kind) => this.#place(kind),
      segmentClosed: (timing) => {
        this.#timings.push(timing);
        return this.#writeMetadata(undefined);
      },
    };
  }

  /** The session's tracks, in creation order. */
  get tracks(): readonly TrackRecorder[] {
    return [...this.#tracks.values()];
  }

  /**
   * The track with `options.trackId`, created on first use (later calls return it; a
   * different kind for the same id is a RangeError). TypeError after `close()`.
   */
  track(options: TrackRecorderOptions): TrackRecorder {
    if (this.#closed !== undefined)
      throw new TypeError(`session ${this.userId}/${this.sessionId} is closed`);
    const existing = this.#tracks.get(options.trackId);
    if (existing !== undefined) {
      if (existing.kind !== options.kind) {
        throw new RangeError(
          `options.kind: track ${options.trackId} is ${existing.kind}, not ${options.kind}`,
        );
      }
      return existing;
    }
    const track = new TrackRecorder(options, this.#host);
    this.#tracks.set(track.trackId, track);
    return track;
  }

  /**
   * Closes every track, then writes the metadata with `call_end_time` (default: now).
   * Idempotent. Rejects with the first track failure after writing what closed cleanly.
   */
  close(callEndMs?: number): Promise<void> {
    this.#closed ??= (async () => {
      const results = await Promise.allSettled(this.tracks.map((t) => t.close()));
      await this.#writeMetadata(callEndMs ?? this.#ctx.now());
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.#closed;
  }

  #place(kind: 'audio' | 'video'): Promise<SegmentPlace> {
    const next = this.#placing.then(async () => {
      if (this.#numbers === undefined) {
        await mkdir(this.dir, { recursive: true });
        const numbers = { audio: 0, video: 0 };
        for (const name of await readdir(this.dir)) {
          const m = SEGMENT_FILE.exec(name);
          if (m)
            numbers[m[1] as 'audio' | 'video'] = Math.max(
              numbers[m[1] as 'audio' | 'video'],
              Number(m[2]),
            );
        }
        this.#numbers = numbers;
      }
      this.#numbers[kind] += 1;
      return { dir: this.dir, baseFilename: `${kind}_${this.#numbers[kind]}` };
    });
    this.#placing = next.catch(() => undefined);
    return next;
  }

  /** Queued so writes never overlap; nothing is written before the first segment closes. */
  #writeMetadata(callEndMs: number | undefined): Promise<void> {
    const next = this.#metadata.then(async () => {
      if (this.#timings.length === 0) return;
      await writeTimingMetadata(
        this.dir,
        sessionTiming(this.#ctx, this.userId, this.sessionId, this.#timings, callEndMs),
      );
    });
    this.#metadata = next.catch(() => undefined);
    return next;
  }
}
