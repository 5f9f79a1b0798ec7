/**
 * Writes one container file from one or two tracks (audio, video, or a muxed pair), each
 * track's frames streamed from its rtpdump segments, gap-filled when asked, interleaved by
 * call-timeline time, and timestamped relative to the file's start.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Track } from '../archive/types.js';
import { MediaFileWriter, type TrackSpec } from '../media/mux/media-writer.js';
import type { CodecName } from '../media/types.js';
import { GapFiller } from './gap-fill.js';
import { withParameterSets } from './h264-parameter-sets.js';
import { mergeByTime } from './merge-by-time.js';
import { peek } from './peek.js';
import type { Placement } from './placement.js';
import type { OutputKindName, OutputRecord, TrackSummary } from './report.js';
import { codecOf, TrackFrames, type TimedFrame } from './track-frames.js';

export type WriteMediaOptions = {
  readonly outputDir: string;
  readonly fileName: string;
  readonly kind: Exclude<OutputKindName, 'composite_audio'>;
  readonly container: 'mkv' | 'webm';
  readonly fillGaps: boolean;
  readonly fixDtx: boolean;
  readonly callStartMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((doneBytes: number, totalBytes: number) => void) | undefined;
};

type Prepared = {
  readonly track: Track;
  readonly reader: TrackFrames;
  readonly codec: CodecName;
  readonly clockRate: number;
  readonly first: TimedFrame;
  readonly stream: AsyncGenerator<TimedFrame>;
  readonly spec: TrackSpec;
};

async function prepare(
  track: Track,
  placement: Placement,
  options: WriteMediaOptions,
  progress: (doneBytes: number, totalBytes: number) => void,
): Promise<Prepared | undefined> {
  const segments = placement.segmentsOf(track);
  const firstSegment = segments[0];
  if (!firstSegment) return undefined;
  const reader = new TrackFrames(track, segments, {
    fixDtx: options.fixDtx,
    onProgress: progress,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const codec = codecOf(firstSegment);
  const { first, stream } = await peek(reader.frames());
  if (!first) return undefined;
  let spec: TrackSpec;
  if (codec === 'opus') {
    spec = { kind: 'audio', codec: 'opus', sampleRate: 48_000, channels: firstSegment.codec.channels > 1 ? 2 : 1 };
  } else {
    const dims = track.segments[0]?.timing.maxFrameDimension;
    const width = first.width ?? dims?.width ?? 640;
    const height = first.height ?? dims?.height ?? 480;
    const description = codec === 'H264' ? (first.codecDescription ?? reader.codecDescription) : undefined;
    spec = { kind: 'video', codec, width, height, ...(description ? { description } : {}) };
  }
  return { track, reader, codec, clockRate: firstSegment.codec.clockRate, first, stream, spec };
}

/** Writes the file; resolves to its record, or undefined when no track had any frame. */
export async function writeMediaFile(
  tracks: readonly Track[],
  placement: Placement,
  options: WriteMediaOptions,
): Promise<OutputRecord | undefined> {
  const totals = tracks.map(() => ({ done: 0, total: 0 }));
  const progress = (i: number) => (done: number, total: number) => {
    const t = totals[i];
    if (t) Object.assign(t, { done, total });
    options.onProgress?.(
      totals.reduce((a, b) => a + b.done, 0),
      totals.reduce((a, b) => a + b.total, 0),
    );
  };
  const prepared: Prepared[] = [];
  for (const [i, track] of tracks.entries()) {
    const p = await prepare(track, placement, options, progress(i));
    if (p) prepared.push(p);
  }
  if (prepared.length === 0) return undefined;

  // One timeline for the file: it starts at the earliest first frame of its tracks; with
  // --fill-gaps every track is filled from that start to the latest end.
  const startMs = Math.min(...prepared.map((p) => p.first.timeMs));
  const endMs = Math.max(...prepared.map((p) => placement.endOf(p.track)));
  const fillers = prepared.map((p) =>
    options.fillGaps
      ? new GapFiller({
          codec: p.codec,
          clockRate: p.clockRate,
          channels: p.spec.kind === 'audio' ? p.spec.channels : 0,
          ...(p.spec.kind === 'video' ? { width: p.spec.width, height: p.spec.height } : {}),
          betweenSegments: true,
          ...(prepared.length > 1 ? { fromMs: startMs, toMs: endMs } : {}),
        })
      : undefined,
  );
  const streams = prepared.map((p, i) => {
    const filler = fillers[i];
    const withFill = filler ? filler.apply(p.stream) : p.stream;
    return p.codec === 'H264' ? inbandParameterSets(withFill, p.reader) : withFill;
  });

  const filePath = path.join(options.outputDir, options.fileName);
  const writer = await MediaFileWriter.create({
    path: filePath,
    container: options.container,
    tracks: prepared.map((p) => p.spec),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const written = prepared.map(() => 0);
  let lastMs = startMs;
  try {
    // A stream that has ended is ended in the muxer at once: mediabunny holds every track's
    // frames until each open track has one queued, so a finished track would stall the rest.
    for await (const { input, item } of mergeByTime(streams.map(withEndMarker))) {
      if (item.end) {
        await writer.endTrack(input);
        continue;
      }
      const p = prepared[input];
      const frame = item.frame;
      const durationMs =
        p?.spec.kind === 'audio' && frame.durationTicks !== undefined
          ? frame.durationTicks / (p.clockRate / 1000)
          : frame.durationMs;
      await writer.writeFrame(input, {
        data: frame.data,
        timestampSeconds: Math.max(0, frame.timeMs - startMs) / 1000,
        ...(durationMs !== undefined ? { durationSeconds: durationMs / 1000 } : {}),
        keyframe: frame.keyframe,
        ...(frame.codecDescription ? { description: frame.codecDescription } : {}),
      });
      written[input] = (written[input] ?? 0) + 1;
      lastMs = Math.max(lastMs, frame.timeMs + (durationMs ?? 0));
    }
    await writer.finalize();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const summaries: TrackSummary[] = prepared.map((p, i) => ({
    userId: p.track.userId,
    sessionId: p.track.sessionId,
    trackId: p.track.trackId,
    kind: p.track.kind,
    codec: p.track.codec,
    segments: p.track.segments.length,
    framesWritten: written[i] ?? 0,
    stats: p.reader.stats,
    gaps: fillers[i]?.report,
  }));
  return {
    file: filePath,
    kind: options.kind,
    container: options.container,
    bytes: (await stat(filePath)).size,
    durationMs: Math.round(lastMs - startMs),
    startOffsetMs: Math.round(startMs - options.callStartMs),
    tracks: summaries,
  };
}

/** H264 keyframes carry their SPS/PPS in-band (see h264-parameter-sets.ts). */
async function* inbandParameterSets(
  frames: AsyncIterable<TimedFrame>,
  reader: TrackFrames,
): AsyncGenerator<TimedFrame> {
  for await (const frame of frames) {
    const description = frame.codecDescription ?? reader.codecDescription;
    if (frame.keyframe && frame.synthetic === undefined && description) {
      yield { ...frame, data: withParameterSets(description, frame.data) };
    } else {
      yield frame;
    }
  }
}

type Marked = { readonly timeMs: number; readonly end: false; readonly frame: TimedFrame } | { readonly timeMs: number; readonly end: true };

/** The stream's frames, then an end marker at its last frame's time. */
async function* withEndMarker(frames: AsyncIterable<TimedFrame>): AsyncGenerator<Marked> {
  let last = Number.NEGATIVE_INFINITY;
  for await (const frame of frames) {
    last = frame.timeMs;
    yield { timeMs: frame.timeMs, end: false, frame };
  }
  yield { timeMs: last, end: true };
}
