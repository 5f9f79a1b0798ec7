/**
 * The operations behind `tapedeck raw …`, usable as a library. Each opens the input,
 * selects tracks by the filters, writes its outputs (several at once, bounded), and
 * returns a report; one output failing never stops the others, and its partial file is
 * removed.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { CallModel, Track } from '../archive/types.js';
import { toTapedeckError } from '../errors.js';
import { mixCallAudio } from './mix.js';
import { compositeAudioFileName, individualFileName } from './naming.js';
import { openCall, type OpenCall, type OpenCallOptions } from './open-call.js';
import { pairTracks, type MediaSelection } from './pairs.js';
import { emptyReport, type OutputRecord, type RawReport } from './report.js';
import { runBounded } from './run-bounded.js';
import { writeMediaFile } from './write-media.js';

export type ProgressEvent = {
  /** The output file name being written. */
  readonly output: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
};

export type RawOperationOptions = OpenCallOptions & {
  /** Directory for the outputs; created when missing. */
  readonly output: string;
  /** Default 'mkv'. 'webm' only where the codecs allow (not H264). */
  readonly container?: 'mkv' | 'webm';
  /** Fill gaps between segments with silence / black frames. Default true. */
  readonly fillGaps?: boolean;
  /** Fill Opus DTX silences. Default true. */
  readonly fixDtx?: boolean;
  /** mux-av: which pairs. Default 'both'. */
  readonly media?: MediaSelection;
  /** list-tracks style filter on kind for extract operations. */
  readonly trackType?: 'audio' | 'video';
  /** Outputs written at once. Default: the number of CPUs, at most 4. */
  readonly concurrency?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
};

type Task = { readonly name: string; readonly heavy?: boolean; run(): Promise<OutputRecord | undefined> };

function extension(options: RawOperationOptions): string {
  return options.container === 'webm' ? 'webm' : 'mkv';
}

function trackTasks(
  call: OpenCall,
  tracks: readonly Track[],
  kind: 'audio_only' | 'video_only',
  options: RawOperationOptions,
): Task[] {
  return tracks.map((track) => {
    const name = individualFileName(call.model, track, kind, extension(options));
    return {
      name,
      run: () => writeMediaFile([track], call.placement, writeOptions(call.model, name, kind, options)),
    };
  });
}

function writeOptions(
  model: CallModel,
  fileName: string,
  kind: 'audio_only' | 'video_only' | 'audio_video',
  options: RawOperationOptions,
): Parameters<typeof writeMediaFile>[2] {
  return {
    outputDir: options.output,
    fileName,
    kind,
    container: options.container ?? 'mkv',
    fillGaps: options.fillGaps ?? true,
    fixDtx: options.fixDtx ?? true,
    callStartMs: model.callStartMs,
    signal: options.signal,
    onProgress: (doneBytes, totalBytes) => options.onProgress?.({ output: fileName, doneBytes, totalBytes }),
  };
}

function muxTasks(call: OpenCall, options: RawOperationOptions): Task[] {
  return pairTracks(call.model, call.tracks, options.media ?? 'both').map(({ audio, video }) => {
    const name = individualFileName(call.model, video, 'audio_video', extension(options));
    return {
      name,
      run: () => writeMediaFile([audio, video], call.placement, writeOptions(call.model, name, 'audio_video', options)),
    };
  });
}

function mixTask(call: OpenCall, options: RawOperationOptions): Task[] {
  const tracks = call.tracks.filter((t) => t.kind === 'audio' && !t.isScreenshare);
  if (tracks.length === 0) return [];
  const name = compositeAudioFileName(call.model, 'mp3');
  return [
    {
      name,
      heavy: true,
      run: () =>
        mixCallAudio(tracks, call.placement, {
          outputDir: options.output,
          fileName: name,
          fixDtx: options.fixDtx ?? true,
          callStartMs: call.model.callStartMs,
          signal: options.signal,
          onProgress: (doneBytes, totalBytes) => options.onProgress?.({ output: name, doneBytes, totalBytes }),
        }),
    },
  ];
}

async function run(options: RawOperationOptions, plan: (call: OpenCall) => Task[]): Promise<RawReport> {
  const call = await openCall(options);
  try {
    await mkdir(options.output, { recursive: true });
    const tasks = plan(call);
    const report = emptyReport();
    const concurrency = options.concurrency ?? Math.min(4, availableParallelism());
    // The mix is the longest task (it decodes every microphone): start it first so it does
    // not become the tail. Results keep the plan's order.
    const order = tasks.map((_, i) => i).sort((a, b) => Number(tasks[b]?.heavy ?? false) - Number(tasks[a]?.heavy ?? false));
    const ordered = await runBounded(order, concurrency, async (index) => {
      const task = tasks[index] as Task;
      try {
        return { ok: await task.run() };
      } catch (error) {
        const e = toTapedeckError(error);
        return { failure: { output: task.name, code: e.code, message: e.message } };
      }
    });
    const results = order.map((_, i) => ordered[order.indexOf(i)]);
    for (const r of results) {
      if (!r) continue;
      if ('failure' in r) report.failures.push(r.failure);
      else if (r.ok) report.outputs.push(r.ok);
    }
    return report;
  } finally {
    await call.close();
  }
}

const audioTracks = (call: OpenCall): readonly Track[] => call.tracks.filter((t) => t.kind === 'audio');
const videoTracks = (call: OpenCall): readonly Track[] => call.tracks.filter((t) => t.kind === 'video');

/** Every selected audio track to its own file. */
export function extractAudio(options: RawOperationOptions): Promise<RawReport> {
  return run(options, (call) => trackTasks(call, audioTracks(call), 'audio_only', options));
}

/** Every selected video track to its own file. */
export function extractVideo(options: RawOperationOptions): Promise<RawReport> {
  return run(options, (call) => trackTasks(call, videoTracks(call), 'video_only', options));
}

/** Each camera+microphone (user) and/or screenshare+screenshare-audio (display) pair muxed. */
export function muxAv(options: RawOperationOptions): Promise<RawReport> {
  return run(options, (call) => muxTasks(call, options));
}

/** All selected non-screenshare audio mixed on the call timeline to one MP3. */
export function mixAudio(options: RawOperationOptions): Promise<RawReport> {
  return run(options, (call) => mixTask(call, options));
}

/** Every audio track, every video track, every pair muxed, and the mix. */
export function processAll(options: RawOperationOptions): Promise<RawReport> {
  return run(options, (call) => [
    ...trackTasks(call, audioTracks(call), 'audio_only', options),
    ...trackTasks(call, videoTracks(call), 'video_only', options),
    ...muxTasks(call, { ...options, media: 'both' }),
    ...mixTask(call, options),
  ]);
}
