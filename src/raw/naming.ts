/**
 * Output file names, as the public reference tool writes them, plus `_{trackId}` before
 * the timestamp only when a session has more than one track of that kind (the reference
 * tool lets such tracks overwrite each other).
 */
import type { CallModel, Track } from '../archive/types.js';

export type OutputKind = 'audio_only' | 'video_only' | 'audio_video';

/** Characters that cannot appear in a file name produced from ids. */
function safe(id: string): string {
  return id.replace(/[^0-9A-Za-z._-]/g, '_').replace(/^\.+/, '_');
}

function sameKindCount(model: CallModel, track: Track, kind: 'audio' | 'video'): number {
  return model.tracks.filter(
    (t) =>
      t.userId === track.userId &&
      t.sessionId === track.sessionId &&
      t.kind === kind &&
      t.isScreenshare === track.isScreenshare,
  ).length;
}

/**
 * `individual_{callType}_{callId}_{userId}_{sessionId}_[shared_]{kind}[_{trackId}]_{ts}.{ext}`.
 * For audio_video, `track` is the video track of the pair.
 */
export function individualFileName(
  model: CallModel,
  track: Track,
  kind: OutputKind,
  extension: string,
): string {
  const countKind = kind === 'audio_only' ? 'audio' : 'video';
  const suffix = sameKindCount(model, track, countKind) > 1 ? `_${safe(track.trackId)}` : '';
  const shared = track.isScreenshare ? 'shared_' : '';
  return (
    `individual_${safe(model.callType)}_${safe(model.callId)}_${safe(track.userId)}_` +
    `${safe(track.sessionId)}_${shared}${kind}${suffix}_${model.callStartMs}.${extension}`
  );
}

/** `composite_{callType}_{callId}_audio_{ts}.{ext}`. */
export function compositeAudioFileName(model: CallModel, extension: string): string {
  return `composite_${safe(model.callType)}_${safe(model.callId)}_audio_${model.callStartMs}.${extension}`;
}
