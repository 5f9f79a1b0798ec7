/**
 * What an operation writes, as plain data: one task per output file, naming the tracks it
 * reads by their index in the call model (whose order is deterministic), so a task can be
 * run here or in a worker thread that opened the same extracted archive.
 */
import type { Track } from '../archive/types.js';
import { compositeAudioFileName, individualFileName, type OutputKind } from './naming.js';
import type { OpenCall } from './open-call.js';
import { pairTracks, type MediaSelection } from './pairs.js';

export type OperationName = 'extract-audio' | 'extract-video' | 'mux-av' | 'mix-audio' | 'process-all';

export type TaskSpec =
  | { readonly kind: 'media'; readonly name: string; readonly outputKind: OutputKind; readonly trackIndexes: readonly number[] }
  | { readonly kind: 'mix'; readonly name: string; readonly trackIndexes: readonly number[] };

export type PlanOptions = {
  readonly container: 'mkv' | 'webm';
  readonly media: MediaSelection;
};

export function planTasks(call: OpenCall, operation: OperationName, options: PlanOptions): TaskSpec[] {
  const { model } = call;
  const index = (t: Track): number => model.tracks.indexOf(t);
  const ext = options.container === 'webm' ? 'webm' : 'mkv';
  const single = (kind: 'audio' | 'video'): TaskSpec[] => {
    const outputKind = kind === 'audio' ? 'audio_only' : 'video_only';
    return call.tracks
      .filter((t) => t.kind === kind)
      .map((t) => ({ kind: 'media', name: individualFileName(model, t, outputKind, ext), outputKind, trackIndexes: [index(t)] }));
  };
  const muxes = (media: MediaSelection): TaskSpec[] =>
    pairTracks(model, call.tracks, media).map(({ audio, video }) => ({
      kind: 'media',
      name: individualFileName(model, video, 'audio_video', ext),
      outputKind: 'audio_video',
      trackIndexes: [index(audio), index(video)],
    }));
  const mix = (): TaskSpec[] => {
    const voices = call.tracks.filter((t) => t.kind === 'audio' && !t.isScreenshare);
    return voices.length === 0
      ? []
      : [{ kind: 'mix', name: compositeAudioFileName(model, 'mp3'), trackIndexes: voices.map(index) }];
  };
  switch (operation) {
    case 'extract-audio':
      return single('audio');
    case 'extract-video':
      return single('video');
    case 'mux-av':
      return muxes(options.media);
    case 'mix-audio':
      return mix();
    case 'process-all':
      return [...single('audio'), ...single('video'), ...muxes('both'), ...mix()];
  }
}
