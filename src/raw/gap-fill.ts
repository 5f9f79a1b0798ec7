/**
 * `--fill-gaps`: the timeline stays exact (every frame keeps its call-timeline time); the
 * holes between segments — and, when asked, before the first and after the last frame —
 * are filled with Opus silence (audio) or black frames at the track's own resolution
 * (video, VP8 and H264, encoded in-process). Codecs without an in-process black frame
 * keep the hole (players hold the last picture) and the report says so.
 */
import { blackH264 } from '../media/gaps/black-h264.js';
import { blackVp8KeyFrame } from '../media/gaps/black-vp8.js';
import { opusSilenceFrame } from '../media/opus/silence.js';
import type { CodecName } from '../media/types.js';
import type { TimedFrame } from './track-frames.js';

export type GapFillOptions = {
  readonly codec: CodecName;
  /** The stream's RTP clock rate (frame durations are in its ticks). */
  readonly clockRate: number;
  /** Audio channels (Opus silence layout). */
  readonly channels: number;
  /** Video: picture size of the black frames. */
  readonly width?: number;
  readonly height?: number;
  /** Fill between segments. */
  readonly betweenSegments: boolean;
  /** Fill from this call-timeline time to the first frame. */
  readonly fromMs?: number;
  /** Fill from the last frame to this call-timeline time. */
  readonly toMs?: number;
  /** Video: one black frame per this many ms inside a gap. Default 1000. */
  readonly videoIntervalMs?: number;
};

export type GapFillReport = {
  gapsFilled: number;
  filledMs: number;
  /** Gaps left open, with the reason. */
  notFilled: { atMs: number; durationMs: number; reason: string }[];
};

const AUDIO_FRAME_MS = 20;
/** Holes shorter than this are jitter, not gaps. */
const AUDIO_MIN_GAP_MS = 40;
const VIDEO_MIN_GAP_MS = 250;
/** Frame intervals longer than this are holes, not the stream's frame rate. */
const MAX_VIDEO_FRAME_MS = 200;

/**
 * Fill frames covering [fromMs, toMs): video frames start at least `spacingMs` before toMs
 * (never on top of the next real frame) and carry durations that end exactly at toMs.
 */
type Filler = (fromMs: number, toMs: number, spacingMs: number) => TimedFrame[] | string;

function videoTimes(fromMs: number, toMs: number, spacingMs: number, intervalMs: number): { t: number; d: number }[] {
  const out: { t: number; d: number }[] = [];
  for (let t = fromMs; t <= toMs - spacingMs; t += intervalMs) out.push({ t, d: Math.min(intervalMs, toMs - t) });
  return out;
}

function makeFiller(options: GapFillOptions): Filler {
  const base = { keyframe: true, arrivalMs: 0, segmentIndex: -1, synthetic: 'dtx' as const };
  if (options.codec === 'opus') {
    const data = opusSilenceFrame({ durationSamples48k: 960, stereo: options.channels > 1 });
    const durationTicks = (options.clockRate * AUDIO_FRAME_MS) / 1000;
    return (fromMs, toMs) => {
      const out: TimedFrame[] = [];
      for (let t = fromMs; t + AUDIO_FRAME_MS <= toMs + 0.001; t += AUDIO_FRAME_MS) {
        out.push({ ...base, timestampTicks: 0, data, durationTicks, timeMs: t });
      }
      return out;
    };
  }
  const { width, height } = options;
  if (width === undefined || height === undefined) {
    return () => 'picture size unknown: no keyframe header or max_frame_dimension to size black frames';
  }
  const interval = options.videoIntervalMs ?? 1000;
  if (options.codec === 'VP8') {
    const data = blackVp8KeyFrame(width, height);
    return (fromMs, toMs, spacing) =>
      videoTimes(fromMs, toMs, spacing, interval).map(({ t, d }) => ({
        ...base,
        timestampTicks: 0,
        data,
        width,
        height,
        timeMs: t,
        durationMs: d,
      }));
  }
  if (options.codec === 'H264') {
    const black = blackH264({ width, height });
    return (fromMs, toMs, spacing) =>
      videoTimes(fromMs, toMs, spacing, interval).map(({ t, d }, i) => ({
        ...base,
        keyframe: i === 0,
        timestampTicks: 0,
        data: i === 0 ? black.idr : black.pSkip,
        width,
        height,
        timeMs: t,
        durationMs: d,
      }));
  }
  return () => `no in-process black frame for ${options.codec}; timeline kept exact, picture held`;
}

/** Wraps a track's frames, inserting fill frames; `report` is complete when iteration ends. */
export class GapFiller {
  readonly report: GapFillReport = { gapsFilled: 0, filledMs: 0, notFilled: [] };
  readonly #options: GapFillOptions;
  readonly #fill: Filler;
  /** The video stream's frame interval, as last measured (30 fps until then). */
  #videoFrameMs = 1000 / 30;

  constructor(options: GapFillOptions) {
    this.#options = options;
    this.#fill = makeFiller(options);
  }

  async *apply(frames: AsyncIterable<TimedFrame>): AsyncGenerator<TimedFrame> {
    const o = this.#options;
    const audio = o.codec === 'opus';
    const minGap = audio ? AUDIO_MIN_GAP_MS : VIDEO_MIN_GAP_MS;
    let last: TimedFrame | undefined;
    let endMs: number | undefined;
    for await (const frame of frames) {
      if (last && last.segmentIndex === frame.segmentIndex && !audio) {
        // The stream's own frame interval, so fill frames sit on its grid.
        const delta = frame.timeMs - last.timeMs;
        if (delta >= 5 && delta <= MAX_VIDEO_FRAME_MS) this.#videoFrameMs = delta;
      }
      const from = endMs ?? o.fromMs;
      const segmentChanged = last !== undefined && frame.segmentIndex !== last.segmentIndex;
      const wanted = endMs === undefined ? o.fromMs !== undefined : segmentChanged && o.betweenSegments;
      if (wanted && from !== undefined && frame.timeMs - from >= minGap) {
        yield* this.#emit(from, frame.timeMs);
      }
      yield frame;
      last = frame;
      endMs = frame.timeMs + this.#durationMs(frame);
    }
    const from = endMs ?? o.fromMs;
    if (o.toMs !== undefined && from !== undefined && o.toMs - from >= minGap) {
      yield* this.#emit(from, o.toMs);
    }
  }

  #durationMs(frame: TimedFrame): number {
    if (this.#options.codec === 'opus') {
      const ticksPerMs = this.#options.clockRate / 1000;
      return frame.durationTicks !== undefined ? frame.durationTicks / ticksPerMs : AUDIO_FRAME_MS;
    }
    return this.#videoFrameMs;
  }

  *#emit(fromMs: number, toMs: number): Generator<TimedFrame> {
    // Video fill frames keep one frame interval from the next real frame (players and
    // muxers that snap times to the frame rate would otherwise see two pictures at once).
    const spacing = this.#options.codec === 'opus' ? 0 : this.#videoFrameMs;
    const result = this.#fill(fromMs, toMs, spacing);
    if (typeof result === 'string') {
      this.report.notFilled.push({ atMs: fromMs, durationMs: toMs - fromMs, reason: result });
      return;
    }
    if (result.length === 0) return;
    this.report.gapsFilled++;
    this.report.filledMs += toMs - fromMs;
    yield* result;
  }
}
