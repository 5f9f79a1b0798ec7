/**
 * `AudioMixer`: sums N PCM streams placed on one call timeline into fixed-size blocks.
 *
 * - Each input starts at `startFrames` (48 kHz frames on the call timeline); output frame 0
 *   is the earliest start (`originFrames`) and the output runs to the latest input end.
 *   Every block is `blockFrames` long except the last, which stops at that end.
 * - Pull-based: an input is read only while the block being built needs its samples, so
 *   at most one block per input plus the block being built are held.
 * - Sums are floating point (no integer wrap-around). A memoryless soft limiter then keeps
 *   every sample within ±`ceiling`: samples up to `kneeThreshold` pass unchanged; above it
 *   `knee + (ceiling − knee)·tanh((|x| − knee)/(ceiling − knee))`, continuous in value and
 *   slope, never beyond the ceiling. The default ceiling (0.95) leaves headroom for the
 *   overshoot a lossy encoder adds.
 * - Inputs may be mono or stereo whatever the output (see `addPlaneInto`).
 */
import { TapedeckError } from '../../errors.js';
import { addPlaneInto, blockFrames, checkBlock, type PcmBlock } from './pcm-block.js';

export type MixerInput = {
  /** Where the input's first frame sits on the call timeline, 48 kHz frames. */
  readonly startFrames: number;
  readonly blocks: AsyncIterable<PcmBlock> | Iterable<PcmBlock>;
};

export type AudioMixerOptions = {
  readonly inputs: readonly MixerInput[];
  /** Output channels, 1 or 2. Default 2. */
  readonly channels?: 1 | 2;
  /** Frames per output block. Default 960 (20 ms). */
  readonly blockFrames?: number;
  /** Level where limiting starts. Default 0.8 (or 0.8 × ceiling for a ceiling at or below 0.8). */
  readonly kneeThreshold?: number;
  /** Largest output magnitude. Default 0.95; at most 1. */
  readonly ceiling?: number;
  readonly signal?: AbortSignal;
};

export type MixerStats = {
  blocks: number;
  frames: number;
  /** Samples whose summed magnitude was above the knee (and so were limited). */
  limitedSamples: number;
  /** Largest summed magnitude before limiting. */
  peakBeforeLimit: number;
};

/** The soft limiter on one sample (NaN becomes 0). */
export function softLimit(x: number, kneeThreshold: number, ceiling: number): number {
  if (Number.isNaN(x)) return 0;
  const magnitude = Math.abs(x);
  if (magnitude <= kneeThreshold) return x;
  const range = ceiling - kneeThreshold;
  const limited = kneeThreshold + range * Math.tanh((magnitude - kneeThreshold) / range);
  return x < 0 ? -limited : limited;
}

/** Reads one input in order, adding its samples into output blocks. */
class InputCursor {
  readonly start: number;
  readonly #iterator: AsyncIterator<PcmBlock> | Iterator<PcmBlock>;
  #block: PcmBlock | null = null;
  #offset = 0;
  /** Timeline frame of the next sample this input will give. */
  position: number;
  done = false;

  constructor(input: MixerInput) {
    this.start = input.startFrames;
    this.position = input.startFrames;
    const source = input.blocks as Partial<AsyncIterable<PcmBlock> & Iterable<PcmBlock>>;
    const asyncIt = source[Symbol.asyncIterator];
    const syncIt = source[Symbol.iterator];
    if (asyncIt !== undefined) this.#iterator = asyncIt.call(source);
    else if (syncIt !== undefined) this.#iterator = syncIt.call(source);
    else throw new TypeError('options.inputs[].blocks must be iterable');
  }

  /** Adds up to `count` frames into `sums` at `at`; stops early (and sets `done`) at the input's end. */
  async addInto(sums: readonly Float32Array[], at: number, count: number): Promise<void> {
    let left = count;
    let dest = at;
    while (left > 0) {
      if (this.#block === null || this.#offset >= blockFrames(this.#block)) {
        const next = await this.#iterator.next();
        if (next.done === true) {
          this.done = true;
          this.#block = null;
          return;
        }
        checkBlock(next.value, 'input block');
        this.#block = next.value;
        this.#offset = 0;
        continue;
      }
      const n = Math.min(left, blockFrames(this.#block) - this.#offset);
      sums.forEach((sum, channel) =>
        addPlaneInto(sum, dest, this.#block as PcmBlock, this.#offset, n, channel, sums.length),
      );
      this.#offset += n;
      this.position += n;
      dest += n;
      left -= n;
    }
  }

  async close(): Promise<void> {
    this.#block = null;
    await this.#iterator.return?.();
  }
}

export class AudioMixer implements AsyncIterable<PcmBlock> {
  /** Timeline frame of output frame 0 (the earliest input start). */
  readonly originFrames: number;
  readonly channels: 1 | 2;
  readonly blockFrames: number;
  readonly stats: MixerStats = { blocks: 0, frames: 0, limitedSamples: 0, peakBeforeLimit: 0 };
  readonly #inputs: readonly MixerInput[];
  readonly #knee: number;
  readonly #ceiling: number;
  readonly #signal: AbortSignal | undefined;
  #used = false;

  constructor(options: AudioMixerOptions) {
    if (!isList(options.inputs) || options.inputs.length === 0)
      throw new RangeError('options.inputs must hold at least one input');
    options.inputs.forEach((input, i) => {
      if (!Number.isInteger(input.startFrames))
        throw new TypeError(`options.inputs[${i}].startFrames must be an integer`);
    });
    const channels = options.channels ?? 2;
    if (channels !== 1 && channels !== 2) throw new RangeError('options.channels must be 1 or 2');
    const frames = options.blockFrames ?? 960;
    if (!Number.isInteger(frames) || frames < 1 || frames > 1 << 20)
      throw new RangeError('options.blockFrames must be an integer in 1..1048576');
    const ceiling = options.ceiling ?? 0.95;
    if (!(ceiling > 0 && ceiling <= 1)) throw new RangeError('options.ceiling must be in (0, 1]');
    const knee = options.kneeThreshold ?? (ceiling > 0.8 ? 0.8 : ceiling * 0.8);
    if (!(knee > 0 && knee < ceiling))
      throw new RangeError('options.kneeThreshold must be in (0, ceiling)');
    this.#inputs = options.inputs;
    this.channels = channels;
    this.blockFrames = frames;
    this.#knee = knee;
    this.#ceiling = ceiling;
    this.#signal = options.signal;
    this.originFrames = Math.min(...options.inputs.map((input) => input.startFrames));
  }

  /** Mixed blocks; single use. */
  async *[Symbol.asyncIterator](): AsyncGenerator<PcmBlock> {
    if (this.#used) throw new TapedeckError('INVALID_ARGUMENT', 'AudioMixer can be iterated once');
    this.#used = true;
    const cursors = this.#inputs.map((input) => new InputCursor(input));
    try {
      let position = this.originFrames;
      for (;;) {
        if (this.#signal?.aborted === true)
          throw new TapedeckError('ABORTED', 'mixing aborted', { cause: this.#signal.reason });
        const end = position + this.blockFrames;
        const sums = Array.from(
          { length: this.channels },
          () => new Float32Array(this.blockFrames),
        );
        let reached = position;
        let more = false;
        for (const cursor of cursors) {
          if (cursor.done) continue;
          if (cursor.start >= end) {
            more = true;
            continue;
          }
          await cursor.addInto(sums, cursor.position - position, end - cursor.position);
          reached = Math.max(reached, cursor.position);
          if (!cursor.done) more = true;
        }
        const length = more ? this.blockFrames : reached - position;
        if (length <= 0) return;
        const block = {
          channelData: sums.map((sum) => (length < sum.length ? sum.subarray(0, length) : sum)),
        };
        this.#limit(block.channelData);
        this.stats.blocks++;
        this.stats.frames += length;
        yield block;
        if (!more) return;
        position = end;
      }
    } finally {
      await Promise.all(cursors.map((cursor) => cursor.close()));
    }
  }

  #limit(planes: readonly Float32Array[]): void {
    const knee = this.#knee;
    for (const plane of planes) {
      for (let i = 0; i < plane.length; i++) {
        const x = plane[i] ?? 0;
        const magnitude = Math.abs(x);
        if (magnitude > this.stats.peakBeforeLimit) this.stats.peakBeforeLimit = magnitude;
        if (magnitude > knee || Number.isNaN(x)) {
          if (magnitude > knee) this.stats.limitedSamples++;
          plane[i] = softLimit(x, knee, this.#ceiling);
        }
      }
    }
  }
}

/** `Array.isArray` without narrowing a readonly array to `any[]`. */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}
