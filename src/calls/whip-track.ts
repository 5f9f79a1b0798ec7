/**
 * One track of a WHIP session as a track of its call: the session's PacketSink for that
 * m-section, and the CapturedTrack a recording attaches its TrackRecorder to.
 *
 * ```
 * WhipSession ─sinkFor(info)─▶ WhipTrack.push() ─▶ recorder (while the call records)
 *                                               └▶ dropped and counted (otherwise)
 * ```
 *
 * Each time a recorder is attached, `onCapture` runs (the route asks the session for a
 * keyframe, so every segment starts decodable). For video it runs again after each of
 * CAPTURE_RETRY_MS while still capturing: the keyframe a sender made for an earlier
 * request may have arrived before capture started, and senders throttle repeated requests
 * (libwebrtc answers at most one every few hundred ms), so one request alone can be lost.
 *
 * @see RFC 9725 (WHIP), RFC 4585 §6.3.1 (PLI)
 */
import type { TapedeckMetrics } from '../api/metrics.js';
import type { TrackType } from '../archive/types.js';
import type { TrackCodecParams, TrackRecorder } from '../ingest/recorder/index.js';
import type { WhipTrackInfo } from '../ingest/whip/index.js';
import type { ApiTrackType } from './track-description.js';

/** WHIP track types (query `track_type`): camera/screenshare video, microphone/screenshare audio. */
export const WHIP_TRACK_TYPES = [
  'camera',
  'microphone',
  'screenshare',
  'screenshare_audio',
] as const;
export type WhipTrackType = (typeof WHIP_TRACK_TYPES)[number];

const ARCHIVE_TRACK_TYPE: Readonly<Record<WhipTrackType, TrackType>> = {
  camera: 'TRACK_TYPE_VIDEO',
  microphone: 'TRACK_TYPE_AUDIO',
  screenshare: 'TRACK_TYPE_SCREEN_SHARE',
  screenshare_audio: 'TRACK_TYPE_SCREEN_SHARE_AUDIO',
};

/** A WHIP track type in the vocabulary of RTP tracks (`track_type` of the call view). */
const API_TRACK_TYPE: Readonly<Record<WhipTrackType, ApiTrackType>> = {
  camera: 'video',
  microphone: 'audio',
  screenshare: 'screen_share',
  screenshare_audio: 'screen_share_audio',
};

/** The kind a WHIP track type carries. */
export function whipTrackKind(trackType: WhipTrackType): 'audio' | 'video' {
  return trackType === 'camera' || trackType === 'screenshare' ? 'video' : 'audio';
}

/** When `onCapture` runs again after capture starts (video only), ms. */
export const CAPTURE_RETRY_MS: readonly number[] = [500, 1200, 2500];

export type WhipTrackOptions = {
  readonly trackId: string;
  readonly userId: string;
  readonly sessionId: string;
  /** What the session negotiated for this m-section. */
  readonly info: WhipTrackInfo;
  /** Must carry `info.kind`. */
  readonly trackType: WhipTrackType;
  readonly metrics?: TapedeckMetrics | undefined;
  /** Runs each time a recorder is attached (e.g. to request a keyframe). */
  readonly onCapture?: () => void;
};

export class WhipTrack {
  readonly trackId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly trackType: WhipTrackType;
  readonly apiTrackType: ApiTrackType;
  readonly ingest = 'whip';
  readonly description: {
    readonly kind: 'audio' | 'video';
    readonly archiveTrackType: TrackType;
    readonly codec: TrackCodecParams;
  };
  readonly #metrics: TapedeckMetrics | undefined;
  readonly #onCapture: (() => void) | undefined;
  #recorder: TrackRecorder | undefined;
  #dropReason: 'not_recording' | 'audio_only' = 'not_recording';
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: WhipTrackOptions) {
    const { info, trackType } = options;
    if (whipTrackKind(trackType) !== info.kind) {
      throw new RangeError(
        `options.trackType ${trackType} does not carry ${info.kind} (the m-section's kind)`,
      );
    }
    this.trackId = options.trackId;
    this.userId = options.userId;
    this.sessionId = options.sessionId;
    this.trackType = trackType;
    this.apiTrackType = API_TRACK_TYPE[trackType];
    const { name, payloadType, clockRate, channels, fmtp } = info.codec;
    this.description = {
      kind: info.kind,
      archiveTrackType: ARCHIVE_TRACK_TYPE[trackType],
      codec: {
        name,
        payloadType,
        clockRate,
        fmtp,
        ...(channels === undefined ? {} : { channels }),
        ...(info.rtxPayloadType === undefined ? {} : { rtxPayloadType: info.rtxPayloadType }),
      },
    };
    this.#metrics = options.metrics;
    this.#onCapture = options.onCapture;
  }

  /** True until the WHIP session ends (`close()`). */
  get publishing(): boolean {
    return !this.#closed;
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
    if (this.#closed) return;
    this.#recorder = recorder;
    this.#dropReason = reason;
    this.#clearTimers();
    const onCapture = this.#onCapture;
    if (recorder === undefined || onCapture === undefined) return;
    onCapture();
    if (this.description.kind !== 'video') return;
    for (const delay of CAPTURE_RETRY_MS) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#recorder === recorder) onCapture();
      }, delay);
      timer.unref();
      this.#timers.add(timer);
    }
  }

  /** PacketSink: one decrypted RTP packet or RTCP sender report, as received. */
  push(packet: Uint8Array, arrivalMs: number, isRtcp: boolean): void {
    const tally = this.#metrics?.ingest;
    if (tally !== undefined) {
      if (isRtcp) tally.whipRtcp += 1;
      else tally.whipRtp += 1;
    }
    const recorder = this.#recorder;
    if (recorder !== undefined) {
      recorder.push(packet, arrivalMs, isRtcp); // what it writes, it counts (metrics' tally)
      return;
    }
    if (tally === undefined) return;
    if (this.#dropReason === 'audio_only') tally.audioOnly += 1;
    else tally.notRecording += 1;
  }

  /** Stops capture for good; idempotent (the WHIP session itself is closed by its owner). */
  close(): Promise<void> {
    this.#closed = true;
    this.#recorder = undefined;
    this.#clearTimers();
    return Promise.resolve();
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
