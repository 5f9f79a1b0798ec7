/**
 * A recording that is capturing: its current part on the spool
 * (`<spool>/<recording_id>/part-<n>/`) and the TrackRecorder of each attached track.
 *
 * At each part boundary `cut()` opens `part-<n+1>` and moves every attached track to a
 * recorder there (a new segment per track), handing back part n to be finalized on its
 * own (see part-rotation.ts). `finalize()` closes the last part.
 */
import path from 'node:path';
import type { TrackType } from '../archive/types.js';
import type { Recording } from '../db/index.js';
import {
  CallPartRecorder,
  type FinalizedPart,
  type RecorderTally,
  type TrackCodecParams,
  type TrackRecorder,
} from '../ingest/recorder/index.js';
import type { ResolvedCodec } from '../sdp/types.js';

/**
 * What a recording captures from: an RTP/UDP track (RtpTrack) or a WHIP track (WhipTrack).
 * `rtp` (where packets arrive) is written into the archive when it is an IPv4 address.
 */
export type CapturedTrack = {
  readonly trackId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly description: {
    readonly kind: 'audio' | 'video';
    readonly archiveTrackType: TrackType;
    readonly codec: ResolvedCodec | TrackCodecParams;
    readonly sdpText?: string;
  };
  readonly rtp?: { readonly host: string; readonly port: number };
  attach(recorder: TrackRecorder | undefined, reason?: 'not_recording' | 'audio_only'): void;
};

export type ActiveRecordingOptions = {
  readonly recording: Recording;
  /** `<dataDir>/spool`. */
  readonly spoolRoot: string;
  readonly audioOnly: boolean;
  /** Shared counters every track's recorder adds to (the service's metrics). Default none. */
  readonly tally?: RecorderTally | undefined;
};

/** A part `cut()` closed to capture: finalize it into its ZIP (once). */
export type CutPart = {
  readonly partNumber: number;
  finalize(): Promise<FinalizedPart>;
};

export class ActiveRecording {
  readonly recording: Recording;
  readonly audioOnly: boolean;
  /** Deliveries of parts cut earlier; the last part's delivery waits for them. */
  readonly pendingParts = new Set<Promise<void>>();
  #part: CallPartRecorder;
  readonly #dir: string;
  readonly #tracks = new Set<CapturedTrack>();
  readonly #tally: RecorderTally | undefined;

  private constructor(
    recording: Recording,
    part: CallPartRecorder,
    dir: string,
    options: ActiveRecordingOptions,
  ) {
    this.recording = recording;
    this.#part = part;
    this.#dir = dir;
    this.audioOnly = options.audioOnly;
    this.#tally = options.tally;
  }

  static async open(options: ActiveRecordingOptions): Promise<ActiveRecording> {
    const { recording } = options;
    const dir = path.join(options.spoolRoot, recording.id);
    const part = await ActiveRecording.#openPart(recording, dir, 1);
    return new ActiveRecording(recording, part, dir, options);
  }

  static #openPart(recording: Recording, dir: string, part: number): Promise<CallPartRecorder> {
    return CallPartRecorder.open({
      root: path.join(dir, `part-${part}`),
      callType: recording.callType,
      callId: recording.callId,
      callSessionId: recording.id,
      callStartMs: recording.startedAtMs,
      part,
    });
  }

  /** The 1-based number of the part being captured. */
  get partNumber(): number {
    return this.#part.part;
  }

  /**
   * Part boundary: opens the next part and moves every attached track to it (in one
   * synchronous step, so no datagram is lost between the parts). Returns the previous
   * part, no longer written by any track, to be finalized.
   */
  async cut(): Promise<CutPart> {
    const next = await ActiveRecording.#openPart(this.recording, this.#dir, this.partNumber + 1);
    const previous = this.#part;
    this.#part = next;
    for (const track of this.#tracks) this.#capture(track);
    const zip = path.join(this.#dir, `part-${previous.part}.zip`);
    return { partNumber: previous.part, finalize: () => previous.finalize(zip) };
  }

  /** Starts capturing `track` (video is left out under `audio_only`). */
  attach(track: CapturedTrack): void {
    this.#tracks.add(track);
    this.#capture(track);
  }

  #capture(track: CapturedTrack): void {
    if (this.audioOnly && track.description.kind === 'video') {
      track.attach(undefined, 'audio_only');
      return;
    }
    const { rtp } = track;
    const recorder = this.#part.track(track.userId, track.sessionId, {
      trackId: track.trackId,
      kind: track.description.kind,
      trackType: track.description.archiveTrackType,
      codec: track.description.codec,
      ...(track.description.sdpText !== undefined ? { sdpText: track.description.sdpText } : {}),
      ...(this.#tally !== undefined ? { tally: this.#tally } : {}),
      ...(rtp !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(rtp.host)
        ? { endpoint: { address: rtp.host, port: rtp.port } }
        : {}),
    });
    track.attach(recorder);
  }

  /** Stops capturing `track` (unpublished); its segment closes with the part. */
  detach(track: CapturedTrack): void {
    track.attach(undefined);
    this.#tracks.delete(track);
  }

  /** Stops capture on every track, then writes the part's ZIP next to its folder. */
  async finalize(): Promise<FinalizedPart> {
    for (const track of this.#tracks) track.attach(undefined);
    this.#tracks.clear();
    return this.#part.finalize(path.join(this.#dir, `part-${this.partNumber}.zip`));
  }
}
