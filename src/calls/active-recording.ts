/**
 * A recording that is capturing: its part on the spool (`<spool>/<recording_id>/part-1/`)
 * and the TrackRecorder of each attached RTP track.
 *
 * TODO(issue 3): the 2-hour part cut. Every recording is one part (part 1) for now; the
 * cut would finalize the current CallPartRecorder and open `part-<n+1>` on the same tracks.
 */
import path from 'node:path';
import type { TrackType } from '../archive/types.js';
import type { Recording } from '../db/index.js';
import {
  CallPartRecorder,
  type FinalizedPart,
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
};

export class ActiveRecording {
  readonly recording: Recording;
  readonly partNumber = 1;
  readonly audioOnly: boolean;
  readonly #part: CallPartRecorder;
  readonly #dir: string;
  readonly #tracks = new Set<CapturedTrack>();

  private constructor(
    recording: Recording,
    part: CallPartRecorder,
    dir: string,
    audioOnly: boolean,
  ) {
    this.recording = recording;
    this.#part = part;
    this.#dir = dir;
    this.audioOnly = audioOnly;
  }

  static async open(options: ActiveRecordingOptions): Promise<ActiveRecording> {
    const { recording } = options;
    const dir = path.join(options.spoolRoot, recording.id);
    const part = await CallPartRecorder.open({
      root: path.join(dir, 'part-1'),
      callType: recording.callType,
      callId: recording.callId,
      callSessionId: recording.id,
      callStartMs: recording.startedAtMs,
      part: 1,
    });
    return new ActiveRecording(recording, part, dir, options.audioOnly);
  }

  /** Starts capturing `track` (video is left out under `audio_only`). */
  attach(track: CapturedTrack): void {
    this.#tracks.add(track);
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
    return this.#part.finalize(path.join(this.#dir, 'part-1.zip'));
  }
}
