/** What a `tapedeck raw` operation wrote, and what it could not, as `--json` prints it. */
import type { GapFillReport } from './gap-fill.js';
import type { TrackReadStats } from './track-frames.js';

export type OutputKindName = 'audio_only' | 'video_only' | 'audio_video' | 'composite_audio';

export type TrackSummary = {
  readonly userId: string;
  readonly sessionId: string;
  readonly trackId: string;
  readonly kind: 'audio' | 'video';
  readonly codec: string;
  readonly segments: number;
  readonly framesWritten: number;
  readonly stats: TrackReadStats;
  readonly gaps: GapFillReport | undefined;
};

export type OutputRecord = {
  readonly file: string;
  readonly kind: OutputKindName;
  readonly container: string;
  readonly bytes: number;
  readonly durationMs: number;
  /** Where this output starts on the call timeline, ms after the call start. */
  readonly startOffsetMs: number;
  readonly tracks: readonly TrackSummary[];
};

export type Failure = {
  readonly output: string;
  readonly code: string;
  readonly message: string;
};

export type RawReport = {
  readonly outputs: OutputRecord[];
  readonly failures: Failure[];
};

export function emptyReport(): RawReport {
  return { outputs: [], failures: [] };
}
