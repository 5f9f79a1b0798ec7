/**
 * The codec-independent half of a video depacketizer: sequence continuity, padding, frame
 * boundaries (timestamp change or marker bit), dropping incomplete frames and holding back
 * frames until a keyframe after loss. The codec half is a {@link FrameBuilder}.
 *
 * ```
 * ordered packets ─▶ gap? ─▶ (frame broken, wait for keyframe)
 *                 ─▶ empty payload? ─▶ padding (not a loss)
 *                 ─▶ builder.add(payload) … until marker / new timestamp ─▶ builder.finish()
 *                 ─▶ complete? keyframe gate? ─▶ EncodedFrame
 * ```
 */
import {
  emptyStats,
  type Depacketizer,
  type EncodedFrame,
  type OrderedPacket,
  type PacketStats,
} from '../types.js';

/** What a codec's builder returns for a finished frame. */
export type BuiltFrame = {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  /** Decoder configuration in effect (H264 keyframes). */
  readonly codecDescription?: Uint8Array | undefined;
};

/** `'incomplete'`: fragments missing or malformed (dropped, counted); `'empty'`: nothing to output. */
export type FinishResult = BuiltFrame | 'incomplete' | 'empty';

/** The codec-specific half: collects one frame's payloads. */
export type FrameBuilder = {
  /**
   * Adds one packet's payload (never empty) to the frame in progress; `first` is true for
   * the frame's first packet. Returns false when the payload is malformed or cannot
   * continue the frame (the frame is then dropped). Must not throw.
   */
  add(payload: Uint8Array, first: boolean): boolean;
  /** Ends the frame. Must not throw. */
  finish(): FinishResult;
  /** Forgets the frame in progress. */
  reset(): void;
  /** Current decoder configuration, if the codec has one (H264). */
  readonly codecDescription?: Uint8Array | undefined;
};

type FrameInProgress = { readonly ts: number; readonly arrivalMs: number; broken: boolean };

/** Concatenates views into one new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Drives a {@link FrameBuilder} over ordered packets (a `Depacketizer`).
 *
 * Counting (`stats`): `received` every packet; `padding` empty payloads (they keep the
 * sequence continuous); `late` packets not after the previous one (dropped); `framesDropped`
 * frames that lost a packet or were malformed; `framesSkippedUntilKeyframe` complete
 * frames held back because the decoder has no intact reference chain: at the start of the
 * stream and after any loss, until the next keyframe.
 */
export class FrameAssembler implements Depacketizer {
  readonly #builder: FrameBuilder;
  readonly #stats: PacketStats = emptyStats();
  #nextExtSeq: number | undefined;
  #frame: FrameInProgress | undefined;
  #needKeyframe = true;

  constructor(builder: FrameBuilder) {
    this.#builder = builder;
  }

  get stats(): PacketStats {
    return this.#stats;
  }

  get codecDescription(): Uint8Array | undefined {
    return this.#builder.codecDescription;
  }

  push(input: OrderedPacket): EncodedFrame[] {
    const out: EncodedFrame[] = [];
    this.#stats.received += 1;
    if (this.#nextExtSeq !== undefined && input.extSeq < this.#nextExtSeq) {
      this.#stats.late += 1;
      return out;
    }
    if (this.#nextExtSeq !== undefined && input.extSeq > this.#nextExtSeq) {
      if (this.#frame !== undefined) this.#frame.broken = true;
      this.#needKeyframe = true;
    }
    this.#nextExtSeq = input.extSeq + 1;
    const { payload, marker } = input.packet;
    if (payload.length === 0) {
      this.#stats.padding += 1;
      return out;
    }
    if (this.#frame !== undefined && this.#frame.ts !== input.extTimestamp) this.#close(out);
    let first = false;
    if (this.#frame === undefined) {
      this.#frame = { ts: input.extTimestamp, arrivalMs: input.arrivalMs, broken: false };
      first = true;
    }
    if (!this.#frame.broken && !this.#builder.add(payload, first)) this.#frame.broken = true;
    if (marker) this.#close(out);
    return out;
  }

  /** Ends the frame in progress (a stream ending without a marker). */
  flush(): EncodedFrame[] {
    const out: EncodedFrame[] = [];
    if (this.#frame !== undefined) this.#close(out);
    return out;
  }

  #close(out: EncodedFrame[]): void {
    const frame = this.#frame;
    this.#frame = undefined;
    if (frame === undefined) return;
    if (frame.broken) {
      this.#builder.reset();
      this.#drop();
      return;
    }
    const built = this.#builder.finish();
    if (built === 'empty') return;
    if (built === 'incomplete') {
      this.#drop();
      return;
    }
    if (this.#needKeyframe && !built.keyframe) {
      this.#stats.framesSkippedUntilKeyframe += 1;
      return;
    }
    if (built.keyframe) this.#needKeyframe = false;
    out.push({
      timestampTicks: frame.ts,
      data: built.data,
      keyframe: built.keyframe,
      arrivalMs: frame.arrivalMs,
      ...(built.width !== undefined ? { width: built.width } : {}),
      ...(built.height !== undefined ? { height: built.height } : {}),
      ...(built.codecDescription !== undefined ? { codecDescription: built.codecDescription } : {}),
    });
  }

  #drop(): void {
    this.#stats.framesDropped += 1;
    this.#needKeyframe = true;
  }
}
