/**
 * A recording that is capturing: its part on the spool (`<spool>/<recording_id>/part-1/`)
 * and the TrackRecorder of each attached RTP track.
 *
 * TODO(issue 3): the 2-hour part cut. Every recording is one part (part 1) for now; the
 * cut would finalize the current CallPartRecorder and open `part-<n+1>` on the same tracks.
 */
import path from 'node:path';
import type { Recording } from '../db/index.js';
import { CallPartRecorder, type FinalizedPart } from '../ingest/recorder/index.js';
import type { RtpTrack } from './rtp-track.js';

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
  readonly #tracks = new Set<RtpTrack>();

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
  attach(track: RtpTrack): void {
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
      sdpText: track.description.sdpText,
      ...(/^\d+\.\d+\.\d+\.\d+$/.test(rtp.host)
        ? { endpoint: { address: rtp.host, port: rtp.port } }
        : {}),
    });
    track.attach(recorder);
  }

  /** Stops capturing `track` (unpublished); its segment closes with the part. */
  detach(track: RtpTrack): void {
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
