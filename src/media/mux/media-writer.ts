/**
 * `MediaFileWriter`: already-encoded Opus/VP8/VP9/H264/AV1 frames into a Matroska or WebM
 * file, through mediabunny, streamed to a temporary file that is renamed on `finalize()`.
 *
 * File shape (mediabunny's seekable Matroska mode, not `appendOnly`): EBML header, Segment
 * with SeekHead, Info (TimestampScale 1 ms, Duration), Tracks, then Clusters of SimpleBlocks
 * (a new cluster at most once a second, on a keyframe in every video track), then Cues. At
 * finalize mediabunny seeks back to fill in the segment size, Duration and SeekHead, which
 * is why the target writes positioned chunks. Duration is the largest `timestamp +
 * duration` written, so ffprobe reports the right length; Cues (one point per cluster) are
 * the only thing that grows in memory, about 40 bytes a second.
 *
 * Memory: the file goes out in ≤1 MiB chunks; each track holds one frame back (to learn its
 * duration); mediabunny interleaves tracks by timestamp and holds a track's frames until
 * every other open track has one queued. So feed tracks in timestamp order, and call
 * `endTrack()` for a track that has ended (or stays silent for long) so it stops holding the
 * others back.
 *
 * Codec notes:
 * - Opus: every packet is a keyframe. CodecPrivate is the given OpusHead or one with
 *   pre-skip 0 (RTP Opus has no encoder delay to skip).
 * - VP9, AV1: the codec string (and so CodecPrivate) comes from the first keyframe's
 *   header: profile and bit depth (VP9 level from the picture size), AV1 profile, level,
 *   tier and bit depth from its sequence header OBU. AV1 frames must be temporal units in
 *   the low-overhead format (size fields set), sequence header in-band on keyframes.
 * - H264: frames are access units of NAL units with 4-byte big-endian length prefixes.
 *   CodecPrivate is the avcC from the track spec, else from the first keyframe's
 *   `description`, else built from the SPS/PPS that keyframe carries in-band; a keyframe
 *   with none of these is dropped (counted in `droppedBeforeKeyframe`). Later SPS/PPS
 *   changes travel in-band inside the frames (decoders apply them); CodecPrivate and the
 *   track's pixel size keep the first values.
 */
import {
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  MkvOutputFormat,
  Output,
  WebMOutputFormat,
} from 'mediabunny';
import { TapedeckError } from '../../errors.js';
import { avcConfigFromFrame } from './avc-config.js';
import { TempFileTarget } from './file-target.js';
import {
  TrackTiming,
  type ReadyFrame,
  type TimedFrame,
  type TrackTimingStats,
} from './frame-timing.js';
import {
  audioDecoderConfig,
  checkAvcDescription,
  mediabunnyCodec,
  validateTracks,
  videoDecoderConfig,
  type ContainerName,
  type TrackSpec,
} from './track-spec.js';

export type {
  AudioTrackSpec,
  ContainerName,
  TrackSpec,
  VideoCodecName,
  VideoTrackSpec,
} from './track-spec.js';
export type { TrackTimingStats } from './frame-timing.js';

export type MediaFileWriterOptions = {
  /** Final path of the file; written as a temporary file beside it until `finalize()`. */
  readonly path: string;
  readonly container: ContainerName;
  readonly tracks: readonly TrackSpec[];
  /** Aborting deletes the partial file; later calls throw `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Backward timestamp steps up to this are clamped, longer ones dropped. Default 0.005 s. */
  readonly jitterToleranceSeconds?: number;
  /** Duration of a lone last video frame without its own duration. Default 1/30 s. */
  readonly defaultVideoFrameSeconds?: number;
  /** Duration of a lone last audio frame without its own duration. Default 0.02 s. */
  readonly defaultAudioFrameSeconds?: number;
};

export type MediaFrame = TimedFrame & {
  /** H264: the avcC, taken when the track has none yet (at its first keyframe). */
  readonly description?: Uint8Array;
};

export type MediaFileResult = {
  readonly path: string;
  readonly bytes: number;
  /** The largest `timestamp + duration` written (the file's Duration, before ms rounding). */
  readonly durationSeconds: number;
  readonly tracks: readonly TrackTimingStats[];
};

type TrackState = {
  readonly index: number;
  readonly spec: TrackSpec;
  readonly timing: TrackTiming;
  readonly source: EncodedAudioPacketSource | EncodedVideoPacketSource;
  avcC: Uint8Array | undefined;
  started: boolean;
  ended: boolean;
};

export class MediaFileWriter {
  readonly path: string;
  readonly #output: Output;
  readonly #file: TempFileTarget;
  readonly #tracks: readonly TrackState[];
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => void this.abort();
  #state: 'open' | 'finalizing' | 'finalized' | 'aborted' = 'open';
  #queue: Promise<unknown> = Promise.resolve();
  #aborting: Promise<void> | undefined;
  #endSeconds = 0;

  private constructor(
    path: string,
    output: Output,
    file: TempFileTarget,
    tracks: TrackState[],
    signal: AbortSignal | undefined,
  ) {
    this.path = path;
    this.#output = output;
    this.#file = file;
    this.#tracks = tracks;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  static async create(options: MediaFileWriterOptions): Promise<MediaFileWriter> {
    if (typeof options.path !== 'string' || options.path === '')
      throw new TypeError('options.path must be a non-empty string');
    if (options.container !== 'mkv' && options.container !== 'webm')
      throw new TypeError("options.container must be 'mkv' or 'webm'");
    validateTracks(options.container, options.tracks);
    const jitter = nonNegative(
      options.jitterToleranceSeconds,
      0.005,
      'options.jitterToleranceSeconds',
    );
    const videoDefault = positive(
      options.defaultVideoFrameSeconds,
      1 / 30,
      'options.defaultVideoFrameSeconds',
    );
    const audioDefault = positive(
      options.defaultAudioFrameSeconds,
      0.02,
      'options.defaultAudioFrameSeconds',
    );
    throwIfAborted(options.signal);

    const file = await TempFileTarget.open(options.path);
    try {
      const format = options.container === 'webm' ? new WebMOutputFormat() : new MkvOutputFormat();
      const output = new Output({ format, target: file.target });
      const tracks = options.tracks.map((spec, index): TrackState => {
        const isVideo = spec.kind === 'video';
        const timing = new TrackTiming({
          requireKeyframe: isVideo,
          jitterToleranceSeconds: jitter,
          defaultDurationSeconds: isVideo ? videoDefault : audioDefault,
        });
        let source: EncodedAudioPacketSource | EncodedVideoPacketSource;
        if (spec.kind === 'video') {
          source = new EncodedVideoPacketSource(mediabunnyCodec(spec.codec));
          output.addVideoTrack(source);
        } else {
          source = new EncodedAudioPacketSource('opus');
          output.addAudioTrack(source);
        }
        const avcC = spec.kind === 'video' ? spec.description : undefined;
        return { index, spec, timing, source, avcC, started: false, ended: false };
      });
      await output.start();
      throwIfAborted(options.signal);
      return new MediaFileWriter(options.path, output, file, tracks, options.signal);
    } catch (error) {
      await file.discard();
      throw wrap(error, 'starting the file');
    }
  }

  /** Per-track counters (frames written, dropped, clamped). */
  get stats(): readonly TrackTimingStats[] {
    return this.#tracks.map((t) => ({ ...t.timing.stats }));
  }

  /**
   * Adds one frame to a track. Resolves once the muxer can take more (backpressure); calls
   * are applied in call order. Irregular frames are dropped and counted, never thrown.
   */
  async writeFrame(trackIndex: number, frame: MediaFrame): Promise<void> {
    const track = this.#track(trackIndex);
    checkFrame(frame);
    return this.#enqueue(async () => {
      if (track.ended)
        throw new TapedeckError(
          'INVALID_ARGUMENT',
          `track ${trackIndex} was ended with endTrack()`,
        );
      if (
        track.spec.kind === 'video' &&
        track.spec.codec === 'H264' &&
        track.avcC === undefined &&
        frame.keyframe
      ) {
        if (frame.description !== undefined)
          checkAvcDescription(frame.description, 'frame.description');
        track.avcC = frame.description ?? avcConfigFromFrame(frame.data) ?? undefined;
        if (track.avcC === undefined) {
          track.timing.stats.droppedBeforeKeyframe++;
          return;
        }
      }
      const ready = track.timing.push(frame);
      if (ready !== null) await this.#send(track, ready);
    });
  }

  /** Ends one track: writes its held frame and lets the other tracks' frames flow. */
  async endTrack(trackIndex: number): Promise<void> {
    const track = this.#track(trackIndex);
    return this.#enqueue(async () => {
      if (track.ended) return;
      await this.#endTrack(track);
    });
  }

  /**
   * Writes held frames, completes the file and renames it into place. A track that never
   * got a frame is left out of the file; if no track got one, the partial file is deleted
   * and this throws `MEDIA_ERROR` (mediabunny would write a file without tracks).
   */
  finalize(): Promise<MediaFileResult> {
    return this.#enqueue(async () => {
      this.#state = 'finalizing';
      try {
        for (const track of this.#tracks) if (!track.ended) await this.#endTrack(track);
        if (this.#tracks.every((track) => track.timing.stats.framesWritten === 0)) {
          throw new TapedeckError('MEDIA_ERROR', `no frames were written to ${this.path}`);
        }
        await this.#output.finalize();
        await this.#file.commit();
      } catch (error) {
        const failure = this.#failure(error, 'finalizing the file');
        await this.abort();
        throw failure;
      }
      this.#state = 'finalized';
      this.#signal?.removeEventListener('abort', this.#onAbort);
      return {
        path: this.path,
        bytes: this.#file.size,
        durationSeconds: this.#endSeconds,
        tracks: this.stats,
      };
    });
  }

  /** What a failure means: after an abort, whatever broke is the abort's doing. */
  #failure(error: unknown, doing: string): Error {
    if (this.#state === 'aborted' || this.#signal?.aborted === true) {
      return new TapedeckError('ABORTED', `writing ${this.path} was aborted`, { cause: error });
    }
    return wrap(error, doing);
  }

  /** Stops writing and deletes the partial file. Idempotent; a no-op once finalized. */
  abort(): Promise<void> {
    if (this.#state === 'finalized') return Promise.resolve();
    this.#aborting ??= this.#discard();
    return this.#aborting;
  }

  async #discard(): Promise<void> {
    this.#state = 'aborted';
    this.#signal?.removeEventListener('abort', this.#onAbort);
    await this.#output.cancel().catch(() => undefined);
    await this.#file.discard();
  }

  #track(trackIndex: number): TrackState {
    const track = Number.isInteger(trackIndex) ? this.#tracks[trackIndex] : undefined;
    if (track === undefined)
      throw new RangeError(`trackIndex must be an integer in 0..${this.#tracks.length - 1}`);
    return track;
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      throwIfAborted(this.#signal);
      if (this.#state === 'aborted')
        throw new TapedeckError('ABORTED', `writing ${this.path} was aborted`);
      if (this.#state !== 'open')
        throw new TapedeckError('INVALID_ARGUMENT', `${this.path} is already finalized`);
      return operation();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #endTrack(track: TrackState): Promise<void> {
    track.ended = true;
    const last = track.timing.flush();
    if (last !== null) await this.#send(track, last);
    track.source.close();
  }

  async #send(track: TrackState, frame: ReadyFrame): Promise<void> {
    const packet = new EncodedPacket(
      frame.data,
      frame.keyframe ? 'key' : 'delta',
      frame.timestampSeconds,
      frame.durationSeconds,
    );
    this.#endSeconds = Math.max(this.#endSeconds, frame.timestampSeconds + frame.durationSeconds);
    try {
      if (track.source instanceof EncodedAudioPacketSource) {
        const meta =
          track.started || track.spec.kind !== 'audio'
            ? undefined
            : { decoderConfig: audioDecoderConfig(track.spec) };
        track.started = true;
        await track.source.add(packet, meta);
      } else {
        const meta =
          track.started || track.spec.kind !== 'video'
            ? undefined
            : { decoderConfig: videoDecoderConfig(track.spec, frame.data, track.avcC) };
        track.started = true;
        await track.source.add(packet, meta);
      }
    } catch (error) {
      throw this.#failure(error, `muxing track ${track.index}`);
    }
  }
}

function checkFrame(frame: MediaFrame): void {
  if (frame === null || typeof frame !== 'object') throw new TypeError('frame must be an object');
  if (!(frame.data instanceof Uint8Array)) throw new TypeError('frame.data must be a Uint8Array');
  if (!Number.isFinite(frame.timestampSeconds))
    throw new TypeError('frame.timestampSeconds must be a finite number');
  if (
    frame.durationSeconds !== undefined &&
    !(Number.isFinite(frame.durationSeconds) && frame.durationSeconds >= 0)
  ) {
    throw new RangeError('frame.durationSeconds must be a finite number >= 0');
  }
  if (typeof frame.keyframe !== 'boolean') throw new TypeError('frame.keyframe must be a boolean');
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a finite number >= 0`);
  return value;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a finite number > 0`);
  return value;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true)
    throw new TapedeckError('ABORTED', 'operation aborted', { cause: signal.reason });
}

/** Keeps catalog errors; anything else (mediabunny, the file system) becomes MEDIA_ERROR. */
function wrap(error: unknown, doing: string): Error {
  if (error instanceof TapedeckError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TapedeckError('MEDIA_ERROR', `${doing}: ${message.split('\n')[0] ?? ''}`, {
    cause: error,
  });
}
