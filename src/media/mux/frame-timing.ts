/**
 * Per-track timing discipline in front of the muxer: a synchronous `push(frame) → frame|null`
 * / `flush()` machine (no I/O), so its rules can be tested and fuzzed on their own.
 *
 * Rules, in order:
 * 1. Empty frames are dropped (`droppedEmpty`).
 * 2. Until the track's first keyframe, non-keyframes are dropped (`droppedBeforeKeyframe`):
 *    a decoder cannot start on them and mediabunny rejects a track whose first packet is
 *    not a key packet. Audio tracks mark every frame as a keyframe.
 * 3. Timestamps must increase at the container's resolution (1 ms, the TimestampScale
 *    mediabunny writes): two blocks of one track in the same millisecond make ffmpeg report
 *    non-monotonic timestamps. A frame in the previous frame's millisecond, or up to
 *    `jitterToleranceSeconds` before it (or before 0, for the first frame), is moved to 1 ms
 *    after it (`clampedJitter`); one further back is dropped (`droppedBackwards`).
 * 4. A frame's duration is its own `durationSeconds` when given, else the gap to the next
 *    accepted frame; so each frame is held until the next one arrives (one frame per track).
 *    The last frame, without its own duration, lasts as long as the previous gap, or
 *    `defaultDurationSeconds` when it is the only frame.
 */

export type TimedFrame = {
  readonly data: Uint8Array;
  /** Presentation time on the file's timeline, seconds; 0 is the start of the file. */
  readonly timestampSeconds: number;
  /** Known duration (Opus TOC); else the gap to the next frame is used. */
  readonly durationSeconds?: number;
  readonly keyframe: boolean;
};

export type ReadyFrame = {
  readonly data: Uint8Array;
  readonly timestampSeconds: number;
  readonly durationSeconds: number;
  readonly keyframe: boolean;
  /** The frame as it was pushed (so callers can carry extra fields through). */
  readonly source: TimedFrame;
};

export type TrackTimingStats = {
  /** Frames handed to the muxer. */
  framesWritten: number;
  droppedEmpty: number;
  droppedBeforeKeyframe: number;
  droppedBackwards: number;
  clampedJitter: number;
};

export type TrackTimingOptions = {
  /** Drop leading non-keyframes. */
  readonly requireKeyframe: boolean;
  /** How far back a timestamp may step and still be clamped rather than dropped, seconds. */
  readonly jitterToleranceSeconds: number;
  /** Duration of a lone last frame without its own duration, seconds. */
  readonly defaultDurationSeconds: number;
};

export function emptyTrackTimingStats(): TrackTimingStats {
  return {
    framesWritten: 0,
    droppedEmpty: 0,
    droppedBeforeKeyframe: 0,
    droppedBackwards: 0,
    clampedJitter: 0,
  };
}

type Held = { frame: TimedFrame; timestampSeconds: number; keyframe: boolean };

/** The container's timestamp resolution: Matroska blocks in milliseconds. */
const TICKS_PER_SECOND = 1000;

export class TrackTiming {
  readonly stats: TrackTimingStats = emptyTrackTimingStats();
  readonly #options: TrackTimingOptions;
  #held: Held | null = null;
  #lastTimestamp = 0;
  /** The last accepted frame's millisecond (−1 before the first, so 0 is accepted). */
  #lastTick = -1;
  #lastGap: number | null = null;
  #sawKeyframe = false;

  constructor(options: TrackTimingOptions) {
    this.#options = options;
  }

  /** The largest timestamp accepted so far (0 before the first frame). */
  get lastTimestampSeconds(): number {
    return this.#lastTimestamp;
  }

  /** Accepts one frame; returns the previously held frame, now with its duration, if any. */
  push(frame: TimedFrame): ReadyFrame | null {
    if (frame.data.byteLength === 0) {
      this.stats.droppedEmpty++;
      return null;
    }
    const keyframe = !this.#options.requireKeyframe || frame.keyframe;
    if (!this.#sawKeyframe && !keyframe) {
      this.stats.droppedBeforeKeyframe++;
      return null;
    }
    let timestamp = frame.timestampSeconds;
    let tick = Math.round(timestamp * TICKS_PER_SECOND);
    if (tick <= this.#lastTick) {
      const floor = Math.max(0, this.#lastTick) / TICKS_PER_SECOND;
      if (floor - timestamp > this.#options.jitterToleranceSeconds) {
        this.stats.droppedBackwards++;
        return null;
      }
      tick = this.#lastTick + 1;
      timestamp = tick / TICKS_PER_SECOND;
      this.stats.clampedJitter++;
    }
    timestamp = Math.max(0, timestamp); // e.g. −0.0004 s, which is in millisecond 0
    this.#sawKeyframe = true;
    this.#lastTick = tick;
    this.#lastTimestamp = timestamp;
    const ready = this.#release(timestamp);
    this.#held = { frame, timestampSeconds: timestamp, keyframe };
    return ready;
  }

  /** Releases the held frame, if any (end of track). */
  flush(): ReadyFrame | null {
    return this.#release(null);
  }

  #release(nextTimestamp: number | null): ReadyFrame | null {
    const held = this.#held;
    if (held === null) return null;
    this.#held = null;
    let duration: number;
    if (nextTimestamp !== null) {
      const gap = nextTimestamp - held.timestampSeconds;
      if (gap > 0) this.#lastGap = gap;
      duration = held.frame.durationSeconds ?? gap;
    } else {
      duration =
        held.frame.durationSeconds ?? this.#lastGap ?? this.#options.defaultDurationSeconds;
    }
    this.stats.framesWritten++;
    return {
      data: held.frame.data,
      timestampSeconds: held.timestampSeconds,
      durationSeconds: duration,
      keyframe: held.keyframe,
      source: held.frame,
    };
  }
}
