/**
 * Opus DTX fill: turns a jump in RTP time that the sequence numbers do not explain into
 * digital-silence packets, so decoders and muxers see continuous audio.
 *
 * With discontinuous transmission (RFC 7587 §3.1.3) a sender stops sending while the
 * speaker is silent; the RTP timestamp keeps counting, the sequence number does not. So
 * between two consecutive packets A and B:
 *
 * ```
 *   A.ts        A.ts + dur                                              B.ts
 *   |==== A ====|---- silence ----|---- silence ----|- partial -|  lost  |==== B ====
 *               <------------------ timeGap − seqDelta × dur ---------->
 *   timeGap  = B.ts − A.ts            (stream clock ticks)
 *   seqDelta = B.seq − A.seq          (1 when nothing was lost)
 *   dur      = A's duration from its TOC, converted from 48 kHz to the stream clock
 *   inserted = floor((timeGap − seqDelta × dur) / dur), never below 0
 * ```
 *
 * Silence goes right after A; the time the lost packets account for and a remainder
 * shorter than `dur` stay a gap. What is different from the reference CLI (facts, defect 4):
 * the subtraction cannot underflow, durations come from each packet's TOC (code 3 counted)
 * on any clock rate, and time jumps are bounded:
 *
 * - A gap longer than `maxFillTicks` is a discontinuity, never filled. If the arrival clock
 *   confirms it (arrival gap ≥ half the RTP jump: the sender really paused) the time is
 *   kept; otherwise it is a timestamp glitch and collapsed: B is placed where the sequence
 *   gap says (`A.ts + seqDelta × dur`, at most `maxFillTicks` on) and every later frame
 *   moves with it.
 * - Time going backwards (B.ts ≤ A.ts with a newer sequence number) is collapsed the same way,
 *   so output timestamps always increase.
 * - Total inserted silence never exceeds `maxSpanTicks` (the segment's real span).
 *
 * Frames that are not valid Opus packets, and repeated or older sequence numbers, are
 * dropped and counted.
 *
 * @see RFC 7587 §3.1.3 (DTX over RTP), RFC 6716 §3.1 (TOC)
 */
import type { EncodedFrame } from '../types.js';
import { opusSilenceFrame } from '../opus/silence.js';
import { opusPacketInfo } from '../opus/toc.js';

export type DtxFillerOptions = {
  /** Ticks per second of the stream clock (RTP clock rate). Integer ≥ 400. Default 48000. */
  readonly clockRate?: number;
  /** A single gap longer than this is a discontinuity, not silence. Default 10 minutes. */
  readonly maxFillTicks?: number;
  /**
   * Upper bound on the total silence inserted over the filler's life (one segment): its
   * real span, e.g. last − first RTP timestamp from the timing metadata. 0 disables
   * insertion. Default: unbounded (insertion is still confined to gaps between frames).
   */
  readonly maxSpanTicks?: number;
};

export type DtxInput = {
  readonly frame: EncodedFrame;
  /** Extended (unwrapped) RTP sequence number of the packet carrying the frame. */
  readonly extSeq: number;
};

/** An output frame: real or inserted, always with its duration. */
export type DtxFrame = EncodedFrame & { readonly durationTicks: number };

export type DtxOutput = {
  /** Inserted frames of one duration and channel layout share one `data` array: read only. */
  readonly frame: DtxFrame;
  /** True for inserted silence. */
  readonly synthetic: boolean;
};

export type DtxDiscontinuity = {
  /** Sequence number of the frame after the jump. */
  readonly extSeq: number;
  /** Its input timestamp, and where it was placed. */
  readonly inputTimestampTicks: number;
  readonly outputTimestampTicks: number;
  /** Input time from the end of the previous frame to this frame (negative: backwards). */
  readonly jumpTicks: number;
  readonly kind: 'forward' | 'backward';
  /** True when the jump was removed from the output time (a glitch), false when kept. */
  readonly collapsed: boolean;
};

export type DtxStats = {
  framesIn: number;
  framesOut: number;
  /** Silence packets inserted. */
  dtxFramesInserted: number;
  /** Gaps that received at least one silence packet. */
  dtxGaps: number;
  dtxTicksInserted: number;
  /** Jumps longer than maxFillTicks or backwards: never filled. */
  discontinuities: number;
  /** Gaps that wanted silence beyond maxSpanTicks (filled only up to it). */
  spanCapped: number;
  /** Frames whose timestamp starts before the previous frame ends (kept as sent). */
  overlaps: number;
  /** Dropped: sequence number not newer than the previous frame's. */
  duplicates: number;
  /** Dropped: not a valid Opus packet (empty or malformed TOC framing). */
  malformed: number;
};

/** At most this many discontinuities are kept in `discontinuityLog` (all are counted). */
export const DTX_DISCONTINUITY_LOG_LIMIT = 100;

type Previous = {
  readonly inTs: number;
  readonly outTs: number;
  readonly extSeq: number;
  readonly arrivalMs: number;
  /** Duration in (possibly fractional) stream ticks. */
  readonly durTicks: number;
  readonly dur48k: number;
  readonly stereo: boolean;
};

type Resolved = { clockRate: number; maxFillTicks: number; maxSpanTicks: number };

function resolveOptions(options: DtxFillerOptions): Resolved {
  const clockRate = options.clockRate ?? 48_000;
  if (!Number.isInteger(clockRate) || clockRate < 400) {
    throw new RangeError(`options.clockRate must be an integer ≥ 400, got ${String(clockRate)}`);
  }
  const maxFillTicks = options.maxFillTicks ?? clockRate * 600;
  if (!(maxFillTicks >= 0) || !Number.isFinite(maxFillTicks)) {
    throw new RangeError(
      `options.maxFillTicks must be a finite number ≥ 0, got ${String(maxFillTicks)}`,
    );
  }
  const maxSpanTicks = options.maxSpanTicks ?? Number.POSITIVE_INFINITY;
  if (!(maxSpanTicks >= 0)) {
    throw new RangeError(`options.maxSpanTicks must be ≥ 0, got ${String(maxSpanTicks)}`);
  }
  return { clockRate, maxFillTicks, maxSpanTicks };
}

/**
 * Synchronous DTX fill machine for one Opus stream segment: `push` each frame in sequence
 * order, get back the frames to emit (inserted silence first, then the frame), `flush` at
 * the end. Never throws after construction.
 */
export class DtxFiller {
  readonly stats: DtxStats = {
    framesIn: 0,
    framesOut: 0,
    dtxFramesInserted: 0,
    dtxGaps: 0,
    dtxTicksInserted: 0,
    discontinuities: 0,
    spanCapped: 0,
    overlaps: 0,
    duplicates: 0,
    malformed: 0,
  };
  readonly #log: DtxDiscontinuity[] = [];
  readonly #options: Resolved;
  readonly #silence = new Map<number, Uint8Array>();
  #prev: Previous | undefined;
  /** outTs − inTs, changed by each collapsed discontinuity. */
  #offset = 0;

  constructor(options: DtxFillerOptions = {}) {
    this.#options = resolveOptions(options);
  }

  /** The first DTX_DISCONTINUITY_LOG_LIMIT discontinuities, in order. */
  get discontinuityLog(): readonly DtxDiscontinuity[] {
    return this.#log;
  }

  push(input: DtxInput): DtxOutput[] {
    const { frame, extSeq } = input;
    this.stats.framesIn++;
    const info = opusPacketInfo(frame.data);
    if (!info) {
      this.stats.malformed++;
      return [];
    }
    const prev = this.#prev;
    if (prev !== undefined && !(extSeq > prev.extSeq)) {
      this.stats.duplicates++;
      return [];
    }
    const durTicks = (info.durationSamples48k * this.#options.clockRate) / 48_000;
    const out: DtxOutput[] = [];
    const outTs = prev === undefined ? frame.timestampTicks : this.#place(prev, frame, extSeq, out);
    this.#prev = {
      inTs: frame.timestampTicks,
      outTs,
      extSeq,
      arrivalMs: frame.arrivalMs,
      durTicks,
      dur48k: info.durationSamples48k,
      stereo: info.stereo,
    };
    out.push({
      frame: { ...frame, timestampTicks: outTs, durationTicks: Math.max(1, Math.round(durTicks)) },
      synthetic: false,
    });
    this.stats.framesOut += out.length;
    return out;
  }

  /** Nothing is held back: present for the push/flush machine shape. */
  flush(): DtxOutput[] {
    return [];
  }

  /** Decides where `frame` goes after `prev`, appending any silence to `out`. */
  #place(prev: Previous, frame: EncodedFrame, extSeq: number, out: DtxOutput[]): number {
    const timeGap = frame.timestampTicks - prev.inTs;
    const seqDelta = extSeq - prev.extSeq;
    const explainedTicks = seqDelta * prev.durTicks;
    if (timeGap <= 0) {
      return this.#collapse(prev, frame, extSeq, explainedTicks, 'backward');
    }
    if (timeGap > this.#options.maxFillTicks) {
      const arrivalGapTicks = ((frame.arrivalMs - prev.arrivalMs) * this.#options.clockRate) / 1000;
      if (arrivalGapTicks >= timeGap / 2) {
        const outTs = frame.timestampTicks + this.#offset;
        this.#report(prev, frame, extSeq, outTs, 'forward', false);
        return outTs;
      }
      return this.#collapse(prev, frame, extSeq, explainedTicks, 'forward');
    }
    if (timeGap < prev.durTicks) this.stats.overlaps++;
    this.#fill(prev, timeGap - explainedTicks, out);
    return frame.timestampTicks + this.#offset;
  }

  /** Places the frame where the sequence gap says, moving the rest of the stream with it. */
  #collapse(
    prev: Previous,
    frame: EncodedFrame,
    extSeq: number,
    explainedTicks: number,
    kind: 'forward' | 'backward',
  ): number {
    // A sequence gap can itself be a glitch: never advance more than maxFillTicks.
    const advance = Math.min(explainedTicks, this.#options.maxFillTicks);
    const outTs = prev.outTs + Math.max(1, Math.round(advance));
    this.#offset = outTs - frame.timestampTicks;
    this.#report(prev, frame, extSeq, outTs, kind, true);
    return outTs;
  }

  #report(
    prev: Previous,
    frame: EncodedFrame,
    extSeq: number,
    outTs: number,
    kind: 'forward' | 'backward',
    collapsed: boolean,
  ): void {
    this.stats.discontinuities++;
    if (this.#log.length < DTX_DISCONTINUITY_LOG_LIMIT) {
      this.#log.push({
        extSeq,
        inputTimestampTicks: frame.timestampTicks,
        outputTimestampTicks: outTs,
        jumpTicks: frame.timestampTicks - prev.inTs - Math.round(prev.durTicks),
        kind,
        collapsed,
      });
    }
  }

  /** Inserts floor(unexplained / dur) silence packets right after `prev`, within the span budget. */
  #fill(prev: Previous, unexplainedTicks: number, out: DtxOutput[]): void {
    const d = prev.durTicks;
    // The epsilon absorbs float error for clock rates where d is fractional.
    let count = unexplainedTicks > 0 ? Math.floor(unexplainedTicks / d + 1e-9) : 0;
    if (count === 0) return;
    const budget = this.#options.maxSpanTicks - this.stats.dtxTicksInserted;
    let affordable = Math.max(0, Math.floor(budget / d + 1e-9));
    // Rounded positions can add a tick to c × d: stay within the budget exactly.
    while (affordable > 0 && Math.round((affordable + 1) * d) - Math.round(d) > budget)
      affordable--;
    if (affordable < count) {
      this.stats.spanCapped++;
      count = affordable;
      if (count === 0) return;
    }
    const data = this.#silenceFor(prev);
    const base = { data, keyframe: true, arrivalMs: prev.arrivalMs } as const;
    let start = prev.outTs + Math.round(d);
    for (let k = 1; k <= count; k++) {
      const end = prev.outTs + Math.round((k + 1) * d);
      out.push({
        frame: { ...base, timestampTicks: start, durationTicks: end - start },
        synthetic: true,
      });
      this.stats.dtxTicksInserted += end - start;
      start = end;
    }
    this.stats.dtxFramesInserted += count;
    this.stats.dtxGaps++;
  }

  #silenceFor(prev: Previous): Uint8Array {
    const key = prev.dur48k * 2 + (prev.stereo ? 1 : 0);
    let data = this.#silence.get(key);
    if (!data) {
      data = opusSilenceFrame({ durationSamples48k: prev.dur48k, stereo: prev.stereo });
      this.#silence.set(key, data);
    }
    return data;
  }
}
