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

  /** Binds the track's RTP/RTCP sockets on `options.host` (ephemeral even/odd pair). */
  static async open(options: RtpTrackOptions): Promise<RtpTrack> {
    const track = new RtpTrack(options);
    track.#endpoint = await UdpTrackEndpoint.open({
      host: options.host,
      payloadTypes: options.description.payloadTypes,
      sink: { push: (packet, arrivalMs, isRtcp) => track.#push(packet, arrivalMs, isRtcp) },
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
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
  }

  #push(packet: Uint8Array, arrivalMs: number, isRtcp: boolean): void {
    const kind = isRtcp ? 'rtcp' : 'rtp';
    this.#metrics?.packetsReceived.inc({ kind });
    const recorder = this.#recorder;
    if (recorder === undefined) {
      this.#metrics?.packetsDropped.inc({ reason: this.#dropReason });
      return;
    }
    recorder.push(packet, arrivalMs, isRtcp);
    this.#metrics?.packetsWritten.inc({ kind });
  }
}
