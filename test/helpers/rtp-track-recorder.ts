/**
 * Records one RTP stream as a recorder would: every datagram on the RTP socket and on the
 * RTCP socket goes into one rtpdump (RTCP records included) with its arrival time, and
 * the segment's timing metadata is computed from the same packets.
 */
import type dgram from 'node:dgram';
import type { TrackType } from '../../src/archive/types.js';
import { parseRtpPacket } from '../../src/rtp/rtp-packet.js';
import { RtpdumpWriter } from '../../src/rtpdump/rtpdump-writer.js';
import {
  SegmentTimingTracker,
  type TrackedCodec,
} from '../../src/ingest/recorder/segment-timing-tracker.js';
import type { SegmentTiming } from '../../src/archive/types.js';

function asError(error: unknown): Error {
  return error instanceof Error
    ? error
    : new Error(`recording failed: ${typeof error === 'string' ? error : typeof error}`);
}

export type RtpTrackRecorderOptions = {
  readonly rtpdumpPath: string;
  readonly baseFilename: string;
  readonly codec: TrackedCodec;
  readonly trackId: string;
  readonly trackType: TrackType;
  /** The port the sender sends to (written into the rtpdump's text line). */
  readonly port: number;
  /** Capture start, integer Unix ms: the rtpdump's start time; offsets count from it. */
  readonly startUnixMs: number;
  /** Integer Unix ms now. */
  readonly clock: () => number;
};

export type RecordedTrackStats = {
  readonly rtpPackets: number;
  readonly rtcpPackets: number;
  readonly senderReports: number;
  readonly markedPackets: number;
};

export class RtpTrackRecorder {
  readonly #writer: RtpdumpWriter;
  readonly #tracker: SegmentTimingTracker;
  readonly #options: RtpTrackRecorderOptions;
  #failure: Error | undefined;
  #detach: (() => void) | undefined;

  private constructor(writer: RtpdumpWriter, options: RtpTrackRecorderOptions) {
    this.#writer = writer;
    this.#options = options;
    this.#tracker = new SegmentTimingTracker(options);
  }

  static async open(options: RtpTrackRecorderOptions): Promise<RtpTrackRecorder> {
    const writer = await RtpdumpWriter.open(options.rtpdumpPath, {
      address: '127.0.0.1',
      port: options.port,
      startSeconds: Math.floor(options.startUnixMs / 1000),
      startMicroseconds: (options.startUnixMs % 1000) * 1000,
    });
    return new RtpTrackRecorder(writer, options);
  }

  /** Starts recording datagrams from both sockets. */
  attach(rtp: dgram.Socket, rtcp: dgram.Socket): void {
    const onRtp = (msg: Buffer): void => this.#record(msg, false);
    const onRtcp = (msg: Buffer): void => this.#record(msg, true);
    rtp.on('message', onRtp);
    rtcp.on('message', onRtcp);
    this.#detach = () => {
      rtp.off('message', onRtp);
      rtcp.off('message', onRtcp);
    };
  }

  #record(msg: Buffer, isRtcp: boolean): void {
    if (this.#failure !== undefined) return;
    const arrivalMs = this.#options.clock();
    // The socket reuses nothing, but copy anyway: the packet outlives the event.
    const packet = new Uint8Array(msg);
    try {
      if (isRtcp) this.#tracker.addRtcp(packet);
      else this.#tracker.addRtp(parseRtpPacket(packet), arrivalMs);
      this.#writer
        .write({ offsetMs: arrivalMs - this.#options.startUnixMs, packet, isRtcp })
        .catch((error: unknown) => {
          this.#failure ??= asError(error);
        });
    } catch (error) {
      this.#failure = asError(error);
    }
  }

  get stats(): RecordedTrackStats {
    return {
      rtpPackets: this.#tracker.rtpPackets,
      rtcpPackets: this.#tracker.rtcpPackets,
      senderReports: this.#tracker.senderReports,
      markedPackets: this.#tracker.markedPackets,
    };
  }

  /** Stops listening and closes the file; throws the first recording failure. Idempotent. */
  async close(): Promise<void> {
    this.#detach?.();
    this.#detach = undefined;
    await this.#writer.close();
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** The segment's timing (after close). */
  timing(): SegmentTiming {
    return this.#tracker.finish();
  }
}
