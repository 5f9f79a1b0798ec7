/**
 * `Mp3FileWriter`: PCM blocks in, a CBR MP3 file out, written under a temporary name and
 * renamed on `finish()`. Blocks are appended back to back; each block's timestamp is the
 * number of frames written before it. The encoding itself (mediabunny + LAME in wasm, in a
 * worker thread) lives in `media/mux/mp3-output.ts`.
 */
import { TapedeckError } from '../../errors.js';
import { Mp3Output } from '../mux/mp3-output.js';
import {
  addPlaneInto,
  blockFrames,
  checkBlock,
  PCM_SAMPLE_RATE,
  type PcmBlock,
} from './pcm-block.js';

/** Sample rates MPEG-1/2/2.5 layer III (and so LAME) can carry. */
const MP3_SAMPLE_RATES: ReadonlySet<number> = new Set([
  8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000,
]);

export type Mp3FileWriterOptions = {
  /** Final path; a temporary file beside it is renamed here on `finish()`. */
  readonly path: string;
  /** Output channels, 1 or 2. Blocks with other channel counts are converted. Default 2. */
  readonly channels?: 1 | 2;
  /** Sample rate of the blocks (no resampling happens). Default 48000. */
  readonly sampleRate?: number;
  /** Constant bitrate, kbit/s, 8..320 (LAME picks the nearest legal rate). Default 128. */
  readonly bitrateKbps?: number;
  /** Aborting deletes the partial file; later calls throw `ABORTED`. */
  readonly signal?: AbortSignal;
};

export type Mp3FileResult = {
  readonly path: string;
  readonly bytes: number;
  /** PCM frames encoded, and their duration (the file adds LAME's delay and padding). */
  readonly frames: number;
  readonly durationSeconds: number;
};

export class Mp3FileWriter {
  readonly path: string;
  readonly channels: 1 | 2;
  readonly sampleRate: number;
  readonly #output: Mp3Output;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => void this.abort();
  #frames = 0;
  #state: 'open' | 'finished' | 'aborted' = 'open';
  #abortedPromise: Promise<never> | undefined;
  #rejectAborted: (() => void) | undefined;

  private constructor(
    path: string,
    output: Mp3Output,
    channels: 1 | 2,
    sampleRate: number,
    signal: AbortSignal | undefined,
  ) {
    this.path = path;
    this.#output = output;
    this.channels = channels;
    this.sampleRate = sampleRate;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  static async create(options: Mp3FileWriterOptions): Promise<Mp3FileWriter> {
    if (typeof options.path !== 'string' || options.path === '')
      throw new TypeError('options.path must be a non-empty string');
    const channels = options.channels ?? 2;
    if (channels !== 1 && channels !== 2) throw new RangeError('options.channels must be 1 or 2');
    const sampleRate = options.sampleRate ?? PCM_SAMPLE_RATE;
    if (!MP3_SAMPLE_RATES.has(sampleRate))
      throw new RangeError(`options.sampleRate must be one of ${[...MP3_SAMPLE_RATES].join(', ')}`);
    const bitrateKbps = options.bitrateKbps ?? 128;
    if (!Number.isInteger(bitrateKbps) || bitrateKbps < 8 || bitrateKbps > 320) {
      throw new RangeError('options.bitrateKbps must be an integer in 8..320');
    }
    throwIfAborted(options.signal);
    const output = await Mp3Output.open({ path: options.path, sampleRate, channels, bitrateKbps });
    return new Mp3FileWriter(options.path, output, channels, sampleRate, options.signal);
  }

  /** Frames encoded so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Appends one block; resolves when the encoder can take more. */
  async write(block: PcmBlock): Promise<void> {
    this.#checkOpen();
    checkBlock(block, 'block');
    const frames = blockFrames(block);
    if (frames === 0) return;
    const planar = new Float32Array(frames * this.channels);
    for (let channel = 0; channel < this.channels; channel++) {
      addPlaneInto(
        planar.subarray(channel * frames, (channel + 1) * frames),
        0,
        block,
        0,
        frames,
        channel,
        this.channels,
      );
    }
    const timestamp = this.#frames / this.sampleRate;
    this.#frames += frames;
    // An abort cancels the encoder, after which a pending add may never settle: race it.
    await Promise.race([this.#output.add(planar, frames, timestamp), this.#aborted]);
    this.#checkOpen();
  }

  /** Rejects with ABORTED once the writer is aborted (never resolves). */
  get #aborted(): Promise<never> {
    this.#abortedPromise ??= new Promise<never>((_, reject) => {
      this.#rejectAborted = () => reject(new TapedeckError('ABORTED', `writing ${this.path} was aborted`));
      if (this.#state === 'aborted' || this.#signal?.aborted === true) this.#rejectAborted();
    });
    this.#abortedPromise.catch(() => undefined);
    return this.#abortedPromise;
  }

  /** Flushes the encoder, completes the file and renames it into place. */
  async finish(): Promise<Mp3FileResult> {
    this.#checkOpen();
    this.#state = 'finished';
    this.#signal?.removeEventListener('abort', this.#onAbort);
    let bytes: number;
    try {
      bytes = await this.#output.finish(); // deletes the partial file itself on failure
    } catch (error) {
      this.#state = 'aborted';
      throw error;
    }
    return {
      path: this.path,
      bytes,
      frames: this.#frames,
      durationSeconds: this.#frames / this.sampleRate,
    };
  }

  /** Stops encoding and deletes the partial file. Idempotent; a no-op once finished. */
  abort(): Promise<void> {
    if (this.#state === 'finished') return Promise.resolve();
    this.#state = 'aborted';
    this.#rejectAborted?.();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    return this.#output.abort();
  }

  #checkOpen(): void {
    throwIfAborted(this.#signal);
    if (this.#state === 'aborted')
      throw new TapedeckError('ABORTED', `writing ${this.path} was aborted`);
    if (this.#state === 'finished')
      throw new TapedeckError('INVALID_ARGUMENT', `${this.path} is already finished`);
  }
}

/** Writes every block of `blocks` to a new MP3 file; deletes the partial file on failure. */
export async function writeMp3(
  blocks: AsyncIterable<PcmBlock> | Iterable<PcmBlock>,
  options: Mp3FileWriterOptions,
): Promise<Mp3FileResult> {
  const writer = await Mp3FileWriter.create(options);
  try {
    for await (const block of blocks) await writer.write(block);
    return await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true)
    throw new TapedeckError('ABORTED', 'operation aborted', { cause: signal.reason });
}
