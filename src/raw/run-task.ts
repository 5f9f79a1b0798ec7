/** Runs one planned task (one output file) against an open call. */
import type { Track } from '../archive/types.js';
import { mixCallAudio } from './mix.js';
import type { OpenCall } from './open-call.js';
import type { OutputRecord } from './report.js';
import type { TaskSpec } from './task-plan.js';
import { writeMediaFile } from './write-media.js';

/** Plain-data options a task needs (they cross into worker threads). */
export type TaskOptions = {
  readonly output: string;
  readonly container: 'mkv' | 'webm';
  readonly fillGaps: boolean;
  readonly fixDtx: boolean;
};

export type TaskHooks = {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((doneBytes: number, totalBytes: number) => void) | undefined;
};

export function runTask(
  call: OpenCall,
  spec: TaskSpec,
  options: TaskOptions,
  hooks: TaskHooks,
): Promise<OutputRecord | undefined> {
  const tracks = spec.trackIndexes.map((i) => {
    const t = call.model.tracks[i];
    if (!t) throw new RangeError(`task ${spec.name} names track ${i}, which the call does not have`);
    return t;
  }) satisfies Track[];
  const common = {
    outputDir: options.output,
    fileName: spec.name,
    fixDtx: options.fixDtx,
    callStartMs: call.model.callStartMs,
    signal: hooks.signal,
    onProgress: hooks.onProgress,
  };
  if (spec.kind === 'mix') return mixCallAudio(tracks, call.placement, common);
  return writeMediaFile(tracks, call.placement, {
    ...common,
    kind: spec.outputKind,
    container: options.container,
    fillGaps: options.fillGaps,
  });
}
