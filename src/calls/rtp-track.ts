/**
 * One registered RTP track of a call: its UDP endpoint, and where its packets go. While
 * the call records, `recorder` is the part's TrackRecorder and every accepted datagram is
 * pushed to it; otherwise (or for video under `audio_only`) packets are counted as dropped.
 */
import type { TapedeckMetrics } from '../api/metrics.js';
import type { TrackRecorder } from '../ingest/recorder/index.js';
import { UdpTrackEndpoint, type UdpAddress, type UdpEndpointStats } from '../ingest/udp/index.js';
import type { TrackDescription } from './track-description.js';

export type RtpTrackOptions = {
  readonly trackId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly description: TrackDescription;
  /** IP literal to bind. */
  readonly host: string;
  readonly metrics: TapedeckMetrics | undefined;
  /** Kernel receive buffer asked for each socket (UdpTrackEndpointOptions). Default 4 MiB. */
  readonly receiveBufferBytes?: number;
  /** Take the RTP/RTCP pair from this inclusive range (config `rtpPortMin`/`rtpPortMax`); default ephemeral. */
  readonly portRange?: { readonly min: number; readonly max: number };
  readonly onError?: (error: unknown) => void;
};

export class RtpTrack {
  readonly trackId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly description: TrackDescription;
  readonly #metrics: TapedeckMetrics | undefined;
  #endpoint: UdpTrackEndpoint | undefined;
  #recorder: TrackRecorder | undefined;
  #dropReason: 'not_recording' | 'audio_only' = 'not_recording';

  private constructor(options: RtpTrackOptions) {
    this.trackId = options.trackId;
    this.userId = options.userId;
    this.sessionId = options.sessionId;
    this.description = options.description;
    this.#metrics = options.metrics;
  }

  /** Binds the track's RTP/RTCP sockets on `options.host` (an even/odd pair from `portRange`, else ephemeral). */
  static async open(options: RtpTrackOptions): Promise<RtpTrack> {
    const track = new RtpTrack(options);
    track.#endpoint = await UdpTrackEndpoint.open({
      host: options.host,
      payloadTypes: options.description.payloadTypes,
      sink: track,
      ...(options.receiveBufferBytes !== undefined
        ? { receiveBufferBytes: options.receiveBufferBytes }
        : {}),
      ...(options.portRange !== undefined ? { portRange: options.portRange } : {}),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
    options.metrics?.ingest.watch(track);
    return track;
  }

  get rtp(): UdpAddress {
    return this.#endpoint!.rtp;
  }

  get rtcp(): UdpAddress {
    return this.#endpoint!.rtcp;
  }

  get stats(): UdpEndpointStats {
    return this.#endpoint!.stats;
  }

  /** True once a sender's packets were accepted (and until the track is closed). */
  get publishing(): boolean {
    const endpoint = this.#endpoint;
    return endpoint !== undefined && !endpoint.closed && endpoint.source !== undefined;
  }

  /** True while a recording writes this track's packets. */
  get capturing(): boolean {
    return this.#recorder !== undefined;
  }

  /** Starts (a recorder) or stops (`undefined`) capture; `reason` names why packets drop meanwhile. */
  attach(
    recorder: TrackRecorder | undefined,
    reason: 'not_recording' | 'audio_only' = 'not_recording',
  ): void {
    this.#recorder = recorder;
    this.#dropReason = reason;
  }

  /** Closes the sockets; idempotent. Capture stops at once. */
  async close(): Promise<void> {
    this.#recorder = undefined;
    await this.#endpoint?.close();
    if (this.#endpoint !== undefined) this.#metrics?.ingest.retire(this);
  }

  /**
   * PacketSink of the endpoint: every accepted datagram (counted by the endpoint's stats,
   * which the metrics read at scrape time; what the recorder writes, it counts).
   */
  push(packet: Uint8Array, arrivalMs: number, isRtcp: boolean): void {
    const recorder = this.#recorder;
    if (recorder !== undefined) {
      recorder.push(packet, arrivalMs, isRtcp);
      return;
    }
    const tally = this.#metrics?.ingest;
    if (tally === undefined) return;
    if (this.#dropReason === 'audio_only') tally.audioOnly += 1;
    else tally.notRecording += 1;
  }
}
