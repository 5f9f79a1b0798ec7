/**
 * The operations behind `tapedeck raw …`, usable as a library. Each opens the input,
 * selects tracks by the filters, writes its outputs (several at once, bounded), and
 * returns a report; one output failing never stops the others, and its partial file is
 * removed.
 */
import { mkdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { toTapedeckError } from '../errors.js';
import { openCall, type OpenCall, type OpenCallOptions } from './open-call.js';
import type { MediaSelection } from './pairs.js';
import { emptyReport, type RawReport } from './report.js';
import { runBounded } from './run-bounded.js';
import { runTask, type TaskOptions } from './run-task.js';
import { planTasks, type OperationName, type TaskSpec } from './task-plan.js';
import { runTasksInWorkers, type TaskOutcome } from './task-pool.js';

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
  /** Outputs written at once. Default: the number of CPUs, at most 4. */
  readonly concurrency?: number;
  /**
   * Run outputs on worker threads (one JavaScript thread per core) rather than on the
   * calling thread. Default: when more than one output is written, concurrency > 1, and
   * the input holds at least 32 MiB of RTP.
   */
  readonly parallel?: boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
};

/** Inputs smaller than this are processed on the calling thread (workers cost ~0.3 s to start). */
const WORKER_THRESHOLD_BYTES = 32 * 2 ** 20;

function taskOptions(options: RawOperationOptions): TaskOptions {
  return {
    output: options.output,
    container: options.container ?? 'mkv',
    fillGaps: options.fillGaps ?? true,
    fixDtx: options.fixDtx ?? true,
  };
}

async function inputBytes(call: OpenCall): Promise<number> {
  let total = 0;
  for (const t of call.tracks) for (const s of t.segments) total += (await stat(s.rtpdumpPath)).size;
  return total;
}

async function run(options: RawOperationOptions, operation: OperationName): Promise<RawReport> {
  const call = await openCall(options);
  try {
    await mkdir(options.output, { recursive: true });
    const specs = planTasks(call, operation, { container: options.container ?? 'mkv', media: options.media ?? 'both' });
    const concurrency = options.concurrency ?? Math.min(4, availableParallelism());
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`options.concurrency must be a positive integer, got ${concurrency}`);
    }
    // The mix is the longest task (it decodes every microphone): start it first so it does
    // not become the tail. Results keep the plan's order.
    const order = specs.map((_, i) => i).sort((a, b) => Number(specs[b]?.kind === 'mix') - Number(specs[a]?.kind === 'mix'));
    const progress = (spec: TaskSpec) => (doneBytes: number, totalBytes: number) =>
      options.onProgress?.({ output: spec.name, doneBytes, totalBytes });
    const parallel =
      options.parallel ?? (concurrency > 1 && specs.length > 1 && (await inputBytes(call)) >= WORKER_THRESHOLD_BYTES);
    let outcomes: TaskOutcome[];
    if (parallel && specs.length > 0) {
      outcomes = await runTasksInWorkers(specs, order, {
        root: call.root,
        options: taskOptions(options),
        workers: concurrency,
        signal: options.signal,
        onProgress: (spec, done, total) => progress(spec)(done, total),
      });
    } else {
      const byOrder = await runBounded(order, concurrency, async (index): Promise<TaskOutcome> => {
        const spec = specs[index] as TaskSpec;
        try {
          return { ok: await runTask(call, spec, taskOptions(options), { signal: options.signal, onProgress: progress(spec) }) };
        } catch (error) {
          const e = toTapedeckError(error);
          return { failure: { output: spec.name, code: e.code, message: e.message } };
        }
      });
      outcomes = specs.map((_, i) => byOrder[order.indexOf(i)] as TaskOutcome);
    }
    const report = emptyReport();
    for (const outcome of outcomes) {
      if ('failure' in outcome) report.failures.push(outcome.failure);
      else if (outcome.ok) report.outputs.push(outcome.ok);
    }
    return report;
  } finally {
    await call.close();
  }
}

/** Every selected audio track to its own file. */
export function extractAudio(options: RawOperationOptions): Promise<RawReport> {
  return run(options, 'extract-audio');
}

/** Every selected video track to its own file. */
export function extractVideo(options: RawOperationOptions): Promise<RawReport> {
  return run(options, 'extract-video');
}

/** Each camera+microphone (user) and/or screenshare+screenshare-audio (display) pair muxed. */
export function muxAv(options: RawOperationOptions): Promise<RawReport> {
  return run(options, 'mux-av');
}

/** All selected non-screenshare audio mixed on the call timeline to one MP3. */
export function mixAudio(options: RawOperationOptions): Promise<RawReport> {
  return run(options, 'mix-audio');
}

/** Every audio track, every video track, every pair muxed, and the mix. */
export function processAll(options: RawOperationOptions): Promise<RawReport> {
  return run(options, 'process-all');
}
