/**
 * mux-av pairing: within one participant session, the microphone goes with the camera
 * ('user') and the screenshare audio with the screenshare ('display'). Several tracks of a
 * kind pair up in the model's (deterministic) order. A pair is muxed when either of its
 * tracks is selected by the filters.
 */
import type { CallModel, Track } from '../archive/types.js';

export type MediaSelection = 'user' | 'display' | 'both';

export type AvPair = { readonly audio: Track; readonly video: Track };

export function pairTracks(model: CallModel, selected: readonly Track[], media: MediaSelection): AvPair[] {
  const chosen = new Set(selected);
  const pairs: AvPair[] = [];
  const sessions = new Map<string, Track[]>();
  for (const t of model.tracks) {
    const key = JSON.stringify([t.userId, t.sessionId]);
    const list = sessions.get(key) ?? [];
    list.push(t);
    sessions.set(key, list);
  }
  for (const tracks of sessions.values()) {
    for (const screenshare of [false, true]) {
      if (screenshare ? media === 'user' : media === 'display') continue;
      const audio = tracks.filter((t) => t.kind === 'audio' && t.isScreenshare === screenshare);
      const video = tracks.filter((t) => t.kind === 'video' && t.isScreenshare === screenshare);
      for (let i = 0; i < Math.min(audio.length, video.length); i++) {
        const a = audio[i] as Track;
        const v = video[i] as Track;
        if (chosen.has(a) || chosen.has(v)) pairs.push({ audio: a, video: v });
      }
    }
  }
  return pairs;
}
