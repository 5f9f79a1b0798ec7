/**
 * Selecting tracks by participant, session or track id, as `--user-id`, `--session-id` and
 * `--track-id` do. Unknown ids are errors with a hint, never an empty result.
 */
import { TapedeckError } from '../errors.js';
import { compareCodePoints } from './manifest.js';
import type { CallModel, Track } from './types.js';

export type TrackFilter = {
  /** Keep tracks of this participant (`participant_id`). Default: any. */
  readonly userId?: string | undefined;
  /** Keep tracks of this user session (`user_session_id`). Default: any. */
  readonly sessionId?: string | undefined;
  /** Keep tracks with this track id. Default: any. */
  readonly trackId?: string | undefined;
};

/** Known values shown in an UNKNOWN_ID hint before it is cut. */
const MAX_HINTED = 10;

function knownList(values: readonly string[]): string {
  if (values.length === 0) return '(none)';
  const shown = values.slice(0, MAX_HINTED).join(', ');
  return values.length > MAX_HINTED ? `${shown}, … (${values.length - MAX_HINTED} more)` : shown;
}

function requireKnown(
  model: CallModel,
  flag: string,
  value: string | undefined,
  pick: (t: Track) => string,
): void {
  if (value === undefined) return;
  const known = [...new Set(model.tracks.map(pick))].sort(compareCodePoints);
  if (!known.includes(value)) {
    throw new TapedeckError(
      'UNKNOWN_ID',
      `unknown --${flag} ${JSON.stringify(value)}; known: ${knownList(known)}`,
    );
  }
}

/**
 * The model's tracks that match every given id, in the model's order. An id that no track
 * of the model has throws `TapedeckError('UNKNOWN_ID', 'unknown --user-id "x"; known: a, b')`
 * (known values sorted; after 10, `… (N more)`). Given ids combine with AND.
 */
export function filterTracks(model: CallModel, filter: TrackFilter = {}): readonly Track[] {
  const { userId, sessionId, trackId } = filter;
  requireKnown(model, 'user-id', userId, (t) => t.userId);
  requireKnown(model, 'session-id', sessionId, (t) => t.sessionId);
  requireKnown(model, 'track-id', trackId, (t) => t.trackId);
  return model.tracks.filter(
    (t) =>
      (userId === undefined || t.userId === userId) &&
      (sessionId === undefined || t.sessionId === sessionId) &&
      (trackId === undefined || t.trackId === trackId),
  );
}
