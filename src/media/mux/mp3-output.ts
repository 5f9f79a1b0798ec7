/**
 * The mediabunny side of MP3 writing (DESIGN: only `media/mux` knows mediabunny): an
 * `Output` with `Mp3OutputFormat` and an `AudioSampleSource` encoding through LAME.
 *
 * Node has no WebCodecs `AudioEncoder`, so `canEncodeAudio('mp3')` is false until
 * `@mediabunny/mp3-encoder` registers its custom encoder: LAME compiled to wasm, run in a
 * `worker_threads` worker that mediabunny starts with the first sample and terminates on
 * finalize or cancel. LAME runs CBR at the requested bitrate and writes no LAME/Xing tag of
 * its own; mediabunny writes a Xing frame (frame count, seek index) first and fills it in at
 * finalize, so the file is written with positioned writes. The file is one LAME frame of
 * 1152 samples per 24 ms at 48 kHz, and its length includes LAME's encoder delay and final
 * padding (under 0.05 s at 48 kHz), since there is no tag telling players to trim them.
 */
import { registerMp3Encoder } from '@mediabunny/mp3-encoder';
import { AudioSample, AudioSampleSource, Mp3OutputFormat, Output, Quality } from 'mediabunny';
import { TapedeckError } from '../../errors.js';
import { TempFileTarget } from './file-target.js';

let registered = false;

/** Registers the LAME encoder once per process (the package warns if loaded twice). */
function ensureMp3Encoder(): void {
  if (registered) return;
  registerMp3Encoder();
  registered = true;
}

export type Mp3OutputOptions = {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly bitrateKbps: number;
};

export class Mp3Output {
  readonly #output: Output;
  readonly #source: AudioSampleSource;
  readonly #file: TempFileTarget;
  readonly #sampleRate: number;
  readonly #channels: 1 | 2;
  #aborting: Promise<void> | undefined;

  private constructor(
    output: Output,
    source: AudioSampleSource,
    file: TempFileTarget,
    options: Mp3OutputOptions,
  ) {
    this.#output = output;
    this.#source = source;
    this.#file = file;
    this.#sampleRate = options.sampleRate;
    this.#channels = options.channels;
  }

  static async open(options: Mp3OutputOptions): Promise<Mp3Output> {
    ensureMp3Encoder();
    const file = await TempFileTarget.open(options.path);
    try {
      const output = new Output({ format: new Mp3OutputFormat(), target: file.target });
      const source = new AudioSampleSource({
        codec: 'mp3',
        quality: new Quality({ bitrate: options.bitrateKbps * 1000, bitrateMode: 'constant' }),
      });
      output.addAudioTrack(source);
      await output.start();
      return new Mp3Output(output, source, file, options);
    } catch (error) {
      await file.discard();
      throw mediaError(error, 'starting the MP3 file');
    }
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#file.size;
  }

  /**
   * Encodes `frames` frames of planar float PCM (`planar` holds channel 0, then channel 1)
   * starting at `timestampSeconds`; resolves when the encoder can take more.
   */
  async add(planar: Float32Array, frames: number, timestampSeconds: number): Promise<void> {
    const sample = new AudioSample({
      data: planar,
      format: 'f32-planar',
      numberOfChannels: this.#channels,
      sampleRate: this.#sampleRate,
      timestamp: timestampSeconds,
    });
    try {
      if (sample.numberOfFrames !== frames)
        throw new TapedeckError('INTERNAL', 'MP3 sample size mismatch');
      await this.#source.add(sample);
    } catch (error) {
      throw mediaError(error, 'encoding MP3');
    } finally {
      sample.close();
    }
  }

  /** Flushes the encoder, completes the file and renames it into place. */
  async finish(): Promise<number> {
    try {
      await this.#output.finalize();
      await this.#file.commit();
      return this.#file.size;
    } catch (error) {
      await this.abort();
      throw mediaError(error, 'finishing the MP3 file');
    }
  }

  /** Stops the encoder and deletes the partial file. Idempotent. */
  abort(): Promise<void> {
    this.#aborting ??= (async () => {
      await this.#output.cancel().catch(() => undefined);
      await this.#file.discard();
    })();
    return this.#aborting;
  }
}

function mediaError(error: unknown, doing: string): TapedeckError {
  if (error instanceof TapedeckError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TapedeckError('MEDIA_ERROR', `${doing}: ${message.split('\n')[0] ?? ''}`, {
    cause: error,
  });
}
