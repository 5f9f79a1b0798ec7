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
  /** Shared counters added to like `counters` (see TrackRecorderOptions.tally). */
  readonly tally?: SegmentCounters | undefined;
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
    this.addPacket(input.packet, input.arrivalMs, input.isRtcp, input.rtp);
  }

  /**
   * `add()` without the input object (the per-packet path): `rtp` is set for media
   * packets (they feed the timing): parsed, or the payload offset of a valid RTP packet
   * of the segment's SSRC (see rtpPayloadOffset).
   */
  addPacket(
    packet: Uint8Array,
    arrivalMs: number,
    isRtcp: boolean,
    rtp: RtpPacket | number | undefined,
  ): void {
    const init = this.#init;
    if (this.#failure !== undefined || this.#closing !== undefined) {
      init.counters.droppedWriteFailed += 1;
      if (init.tally !== undefined) init.tally.droppedWriteFailed += 1;
      return;
    }
    const offsetMs = Math.max(0, Math.floor(arrivalMs) - init.startMs);
    // Timing uses what the rtpdump says (start + offset), so recovery agrees.
    if (rtp === undefined) {
      if (isRtcp) this.#tracker.addRtcp(packet); // validated by the track
    } else if (typeof rtp === 'number') {
      this.#tracker.addRtpBytes(packet, rtp, init.startMs + offsetMs);
    } else this.#tracker.addRtp(rtp, init.startMs + offsetMs);
    if (this.#queue !== undefined) this.#queue.push({ offsetMs, packet, isRtcp });
    else this.#write(offsetMs, packet, isRtcp);
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
      if (init.tally !== undefined) init.tally.droppedWriteFailed += this.#queue?.length ?? 0;
      this.#queue = undefined;
      return;
    }
    const queued = this.#queue ?? [];
    this.#queue = undefined;
    for (const record of queued) this.#write(record.offsetMs, record.packet, record.isRtcp);
    this.#unregister = init.flushClock.register(() => this.#flushTick());
  }

  #write(offsetMs: number, packet: Uint8Array, isRtcp: boolean): void {
    const counters = this.#init.counters;
    const tally = this.#init.tally;
    const writer = this.#writer;
    if (writer === undefined || this.#failure !== undefined) {
      counters.droppedWriteFailed += 1;
      if (tally !== undefined) tally.droppedWriteFailed += 1;
      return;
    }
    try {
      writer.append(offsetMs, packet, isRtcp)?.catch(this.#onWriteError);
    } catch (error) {
      this.#fail(error);
      counters.droppedWriteFailed += 1;
      if (tally !== undefined) tally.droppedWriteFailed += 1;
      return;
    }
    if (isRtcp) counters.rtcpWritten += 1;
    else counters.rtpWritten += 1;
    counters.bytesWritten += packet.byteLength;
    if (tally !== undefined) {
      if (isRtcp) tally.rtcpWritten += 1;
      else tally.rtpWritten += 1;
      tally.bytesWritten += packet.byteLength;
    }
  }

  readonly #onWriteError = (error: unknown): void => this.#fail(error);

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
