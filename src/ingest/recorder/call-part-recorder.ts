/**
 * One part (at most 2 hours) of a call's raw recording: a folder laid out as the toolkit
 * reads it, sessions and tracks created on demand, and its ZIP at the end.
 *
 * ```
 * <root>/recording_state.json                    see recording-state.ts
 * <root>/<userId>/<sessionId>/audio_1.rtpdump    audio_1.sdp  video_1.rtpdump  video_1.sdp
 * <root>/<userId>/<sessionId>/timing_metadata.json
 * ```
 *
 * ```ts
 * const part = await CallPartRecorder.open({ root, callType, callId, callSessionId, callStartMs, part: 1 });
 * const mic = part.track('alice', 's1', { trackId: 'mic', kind: 'audio', codec: { name: 'opus', payloadType: 111 } });
 * mic.push(datagram, Date.now(), false);             // from ingest, for every datagram
 * const zip = await part.finalize('/spool/c1-part1.zip'); // closes, then writes the ZIP
 * ```
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { TapedeckError } from '../../errors.js';
import { finalizePart, type FinalizeOptions } from './finalize-part.js';
import { FlushClock } from './flush-clock.js';
import { checkNonEmpty } from './option-checks.js';
import { writeRecordingState, type RecordingState } from './recording-state.js';
import { SessionRecorder, type PartContext } from './session-recorder.js';
import type { TrackRecorder } from './track-recorder.js';
import type { FinalizedPart, TrackRecorderOptions } from './types.js';

export type CallPartOptions = {
  /** The part's folder: created when missing, must be empty. */
  readonly root: string;
  readonly callType: string;
  readonly callId: string;
  readonly callSessionId: string;
  /** Call start, integer Unix ms (written as RFC 3339 `call_start_time`). */
  readonly callStartMs: number;
  /** 1-based part number. Default 1. */
  readonly part?: number;
  /** Buffered records of every track reach the OS together, this often: 1..1000 ms. Default 1000. */
  readonly flushIntervalMs?: number;
  /** The clock for `call_end_time` and the state file, Unix ms. Default `Date.now`. */
  readonly now?: () => number;
};

function check(options: CallPartOptions): PartContext & { part: number } {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options must be an object');
  if (typeof options.root !== 'string' || options.root === '')
    throw new TypeError('options.root must be a folder path');
  const { callStartMs, part = 1, flushIntervalMs = 1000, now = Date.now } = options;
  if (!Number.isSafeInteger(callStartMs) || callStartMs < 0) {
    throw new RangeError(
      `options.callStartMs must be a non-negative integer (Unix ms), got ${callStartMs}`,
    );
  }
  if (!Number.isInteger(part) || part < 1)
    throw new RangeError(`options.part must be a positive integer, got ${part}`);
  if (!Number.isInteger(flushIntervalMs) || flushIntervalMs < 1 || flushIntervalMs > 1000) {
    throw new RangeError(
      `options.flushIntervalMs must be an integer in 1..1000, got ${flushIntervalMs}`,
    );
  }
  if (typeof now !== 'function') throw new TypeError('options.now must be a function');
  return {
    root: path.resolve(options.root),
    callType: checkNonEmpty('options.callType', options.callType),
    callId: checkNonEmpty('options.callId', options.callId),
    callSessionId: checkNonEmpty('options.callSessionId', options.callSessionId),
    callStartMs,
    part,
    flushClock: new FlushClock(flushIntervalMs),
    now,
  };
}

export class CallPartRecorder {
  readonly root: string;
  readonly part: number;
  readonly #ctx: PartContext;
  readonly #state: RecordingState;
  readonly #sessions = new Map<string, SessionRecorder>();
  #closed: Promise<void> | undefined;
  #finalizing: { readonly out: string; readonly done: Promise<FinalizedPart> } | undefined;

  private constructor(ctx: PartContext, state: RecordingState) {
    this.root = ctx.root;
    this.part = state.part;
    this.#ctx = ctx;
    this.#state = state;
  }

  /**
   * Creates the part folder and its `recording_state.json` (state `recording`). Throws
   * TypeError/RangeError naming a bad option, TapedeckError INVALID_ARGUMENT when the
   * folder holds anything already.
   */
  static async open(options: CallPartOptions): Promise<CallPartRecorder> {
    const { part, ...ctx } = check(options);
    await mkdir(ctx.root, { recursive: true });
    const present = await readdir(ctx.root);
    if (present.length > 0) {
      throw new TapedeckError(
        'INVALID_ARGUMENT',
        `${ctx.root}: a new part needs an empty folder, found ${present.length} entries`,
      );
    }
    const { callType, callId, callSessionId, callStartMs } = ctx;
    const state: RecordingState = {
      state: 'recording',
      callType,
      callId,
      callSessionId,
      callStartMs,
      part,
      startedAtMs: ctx.now(),
    };
    await writeRecordingState(ctx.root, state);
    return new CallPartRecorder(ctx, state);
  }

  /** Sessions in creation order. */
  get sessions(): readonly SessionRecorder[] {
    return [...this.#sessions.values()];
  }

  /** The session `<userId>/<sessionId>`, created on first use. TypeError after `close()`. */
  session(userId: string, sessionId: string): SessionRecorder {
    if (this.#closed !== undefined) throw new TypeError(`call part ${this.root} is closed`);
    const key = JSON.stringify([userId, sessionId]);
    let session = this.#sessions.get(key);
    if (session === undefined) {
      session = new SessionRecorder(this.#ctx, userId, sessionId);
      this.#sessions.set(key, session);
    }
    return session;
  }

  /** `session(userId, sessionId).track(options)`. */
  track(userId: string, sessionId: string, options: TrackRecorderOptions): TrackRecorder {
    return this.session(userId, sessionId).track(options);
  }

  /**
   * Closes every session (their tracks, files and metadata, all with the same
   * `call_end_time`), then marks the part `closed`. Idempotent. When a track failed to
   * write, the part stays `recording` and this rejects with the first failure: what
   * reached the disk can then be salvaged with `recoverPart`.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const endedAtMs = this.#ctx.now();
      const results = await Promise.allSettled(this.sessions.map((s) => s.close(endedAtMs)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      await writeRecordingState(this.root, { ...this.#state, state: 'closed', endedAtMs });
    })();
    return this.#closed;
  }

  /**
   * Closes the part and writes its ZIP at `outZipPath` (outside the part folder; see
   * finalize-part.ts). Calling again returns the same result; after a failure it may be
   * retried. TypeError when called again with another path.
   */
  finalize(outZipPath: string, options: FinalizeOptions = {}): Promise<FinalizedPart> {
    const out = path.resolve(outZipPath);
    if (this.#finalizing !== undefined) {
      if (this.#finalizing.out !== out)
        throw new TypeError(`finalize() already writes ${this.#finalizing.out}`);
      return this.#finalizing.done;
    }
    const done = (async () => {
      await this.close();
      return finalizePart(this.root, out, options);
    })();
    const attempt = { out, done };
    this.#finalizing = attempt;
    done.catch(() => {
      if (this.#finalizing === attempt) this.#finalizing = undefined;
    });
    return done;
  }
}
