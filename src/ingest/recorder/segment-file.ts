/**
 * One segment being written: `<base>.sdp` (written whole, then renamed into place) and
 * `<base>.rtpdump`, whose records arrive synchronously while the files are still being
 * created (they wait in memory, in order, until the writer is open). Buffered records go
 * to the OS on every tick of the part's flush clock (flush-clock.ts), so a killed process
 * loses at most one interval. Timing is computed from the same records as they are accepted.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SegmentTiming, TrackType } from '../../archive/types.js';
import { commitFile } from '../../archive/writer/commit-file.js';
import { TapedeckError } from '../../errors.js';
import type { RtpPacket } from '../../rtp/rtp-packet.js';
import type { RtpdumpRecordInit } from '../../rtpdump/core/rtpdump-encode.js';
import { RtpdumpWriter } from '../../rtpdump/rtpdump-writer.js';
import type { FlushClock } from './flush-clock.js';
import { SegmentTimingTracker } from './segment-timing-tracker.js';
import { segmentSdp, type TrackCodec } from './track-codec.js';
import type { TrackEndpoint } from './types.js';

/** Counters a segment adds to (its track's). */
export type SegmentCounters = {
  rtpWritten: number;
  rtcpWritten: number;
  bytesWritten: number;
  droppedWriteFailed: number;
};

/** Where a segment's files go: the session allocates a base name unique in its folder. */
export type SegmentPlace = { readonly dir: string; readonly baseFilename: string };

export type SegmentFileInit = {
  readonly codec: TrackCodec;
  readonly trackId: string;
  readonly trackType: TrackType;
  readonly endpoint: TrackEndpoint;
  /** The media SSRC (written into the SDP). */
  readonly ssrc: number;
  /** The rtpdump's start time: the first record's arrival, integer Unix ms. */
  readonly startMs: number;
  readonly place: () => Promise<SegmentPlace>;
  readonly counters: SegmentCounters;
  readonly flushClock: FlushClock;
};

/** A record as the track hands it over; `rtp` is set for media packets (they feed the timing). */
export type SegmentInput = {
  readonly packet: Uint8Array;
  readonly arrivalMs: number;
  readonly isRtcp: boolean;
  readonly rtp?: RtpPacket | undefined;
};

export class SegmentFile {
  readonly ssrc: number;
  readonly #init: SegmentFileInit;
  readonly #tracker: SegmentTimingTracker;
  readonly #opened: Promise<void>;
  #queue: RtpdumpRecordInit[] | undefined = [];
  #writer: RtpdumpWriter | undefined;
  #baseFilename: string | undefined;
  #unregister: (() => void) | undefined;
  #flushedBytes = 0;
  #failure: Error | undefined;
  #closing: Promise<SegmentTiming> | undefined;

  constructor(init: SegmentFileInit) {
    this.ssrc = init.ssrc;
    this.#init = init;
    this.#tracker = new SegmentTimingTracker({
      baseFilename: '',
      codec: init.codec.tracked,
      trackId: init.trackId,
      trackType: init.trackType,
    });
    this.#opened = this.#open();
  }

  /** The base file name, once allocated. */
  get baseFilename(): string | undefined {
    return this.#baseFilename;
  }

  /** Accepts one record (synchronously; written in call order). */
  add(input: SegmentInput): void {
    const counters = this.#init.counters;
    if (this.#failure !== undefined || this.#closing !== undefined) {
      counters.droppedWriteFailed += 1;
      return;
    }
    const offsetMs = Math.max(0, Math.floor(input.arrivalMs) - this.#init.startMs);
    const arrivalMs = this.#init.startMs + offsetMs; // what the rtpdump says, so recovery agrees
    if (input.rtp !== undefined) this.#tracker.addRtp(input.rtp, arrivalMs);
    else if (input.isRtcp) this.#tracker.addRtcp(input.packet); // validated by the track
    const record: RtpdumpRecordInit = { offsetMs, packet: input.packet, isRtcp: input.isRtcp };
    if (this.#queue !== undefined) this.#queue.push(record);
    else this.#write(record);
  }

  /** Flushes, closes the files and returns the segment's timing. Idempotent. */
  close(): Promise<SegmentTiming> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<SegmentTiming> {
    await this.#opened;
    this.#unregister?.();
    if (this.#writer !== undefined)
      await this.#writer.close().catch((error: unknown) => this.#fail(error));
    if (this.#failure !== undefined) throw this.#failure;
    return { ...this.#tracker.finish(), baseFilename: this.#baseFilename ?? '' };
  }

  async #open(): Promise<void> {
    const init = this.#init;
    try {
      const { dir, baseFilename } = await init.place();
      this.#baseFilename = baseFilename;
      const sdp = segmentSdp(init.codec, init);
      await commitFile(path.join(dir, `${baseFilename}.sdp`), (tmp) =>
        writeFile(tmp, sdp, { flag: 'wx' }),
      );
      this.#writer = await RtpdumpWriter.open(
        path.join(dir, `${baseFilename}.rtpdump`),
        {
          address: init.endpoint.address,
          port: init.endpoint.port,
          startSeconds: Math.floor(init.startMs / 1000),
          startMicroseconds: (init.startMs % 1000) * 1000,
        },
        { exclusive: true },
      );
    } catch (error) {
      this.#fail(error);
      init.counters.droppedWriteFailed += this.#queue?.length ?? 0;
      this.#queue = undefined;
      return;
    }
    const queued = this.#queue ?? [];
    this.#queue = undefined;
    for (const record of queued) this.#write(record);
    this.#unregister = init.flushClock.register(() => this.#flushTick());
  }

  #write(record: RtpdumpRecordInit): void {
    const counters = this.#init.counters;
    const writer = this.#writer;
    if (writer === undefined || this.#failure !== undefined) {
      counters.droppedWriteFailed += 1;
      return;
    }
    try {
      writer.write(record).catch((error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
      counters.droppedWriteFailed += 1;
      return;
    }
    if (record.isRtcp) counters.rtcpWritten += 1;
    else counters.rtpWritten += 1;
    counters.bytesWritten += record.packet.byteLength;
  }

  #flushTick(): void {
    const writer = this.#writer;
    if (writer === undefined || this.#closing !== undefined || this.#failure !== undefined) return;
    if (writer.byteLength === this.#flushedBytes) return;
    this.#flushedBytes = writer.byteLength;
    try {
      writer.flush().catch((error: unknown) => this.#fail(error));
    } catch (error) {
      this.#fail(error);
    }
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    const segment =
      this.#baseFilename === undefined ? 'new segment' : `segment ${this.#baseFilename}`;
    const name = `track ${this.#init.trackId}, ${segment}`;
    const message = error instanceof Error ? error.message : String(error);
    this.#failure = new TapedeckError('INTERNAL', `${name}: cannot write: ${message}`, {
      cause: error,
    });
  }
}
