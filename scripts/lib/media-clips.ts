/**
 * Encoded media clips for synthetic calls: a lavfi source encoded once by ffmpeg (Opus or
 * VP8 in WebM, real-time encoder settings), cached on disk under a name derived from the
 * command line, and read back packet by packet with mediabunny. A clip is short and
 * periodic: calls loop it with continuing RTP timestamps, so a long call costs no more
 * encoding than a short one, and memory holds one clip whatever the call's length.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import { opusPacketInfo } from '../../src/media/opus/toc.js';

const execFileAsync = promisify(execFile);

/** What the video shows: moving test pattern, a slow "screen" pattern, or black with white flashes. */
export type VideoClipSource = 'testsrc2' | 'screen' | 'flash';
/** What the audio holds: a steady tone, or short beeps at the flash instants. */
export type AudioClipSource = 'tone' | 'beep';

export type VideoClipSpec = {
  readonly kind: 'video';
  readonly source: VideoClipSource;
  readonly width: number;
  readonly height: number;
  /** Integer frames per second. */
  readonly frameRate: number;
  readonly bitrateKbps: number;
  /** Keyframe every this many seconds (the clip's first frame is always one). */
  readonly keyframeIntervalSec: number;
  /** Whole seconds; the loop period. */
  readonly durationSec: number;
  /** 'flash': period and length of the white flashes. */
  readonly beepIntervalMs: number;
  readonly beepMs: number;
};

export type AudioClipSpec = {
  readonly kind: 'audio';
  readonly source: AudioClipSource;
  /** Tone (or beep) frequency. */
  readonly toneHz: number;
  readonly bitrateKbps: number;
  /** Whole seconds; the loop period. */
  readonly durationSec: number;
  readonly beepIntervalMs: number;
  readonly beepMs: number;
};

export type ClipSpec = VideoClipSpec | AudioClipSpec;

export type VideoClip = {
  readonly spec: VideoClipSpec;
  /** One VP8 frame per entry, in display order (no B-frames). */
  readonly frames: readonly { readonly data: Uint8Array; readonly keyframe: boolean }[];
  readonly width: number;
  readonly height: number;
};

export type AudioClip = {
  readonly spec: AudioClipSpec;
  /** Opus packets of 20 ms each (960 samples at 48 kHz), covering exactly `durationSec`. */
  readonly packets: readonly Uint8Array[];
};

export type ClipEncodeOptions = {
  readonly cacheDir: string;
  /** Default "ffmpeg". */
  readonly ffmpegPath?: string;
  readonly signal?: AbortSignal;
};

export const OPUS_PACKET_SAMPLES = 960;

function gate(spec: { beepIntervalMs: number; beepMs: number }): string {
  return `lt(mod(t,${spec.beepIntervalMs / 1000}),${spec.beepMs / 1000})`;
}

function lavfiGraph(spec: ClipSpec): string {
  if (spec.kind === 'audio') {
    const tone = `sin(2*PI*${spec.toneHz}*t)`;
    return spec.source === 'tone'
      ? `aevalsrc='0.4*${tone}':s=48000:c=mono`
      : `aevalsrc='0.5*${tone}*${gate(spec)}':s=48000:c=mono`;
  }
  const size = `${spec.width}x${spec.height}`;
  switch (spec.source) {
    case 'testsrc2':
      return `testsrc2=size=${size}:rate=${spec.frameRate}`;
    case 'screen':
      return `testsrc=size=${size}:rate=${spec.frameRate}`;
    case 'flash':
      return `color=c=black:s=${size}:r=${spec.frameRate},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='${gate(spec)}'`;
  }
}

/** The ffmpeg arguments that encode `spec` (without the output path). */
export function clipEncodeArgs(spec: ClipSpec): string[] {
  const input = ['-f', 'lavfi', '-i', lavfiGraph(spec)];
  if (spec.kind === 'audio') {
    // A little longer than the period, so the period is covered after the encoder's delay.
    return [
      ...input,
      '-t',
      String(spec.durationSec + 0.2),
      '-c:a',
      'libopus',
      '-b:a',
      `${spec.bitrateKbps}k`,
      '-frame_duration',
      '20',
      '-application',
      'voip',
      '-ac',
      '1',
    ];
  }
  return [
    ...input,
    '-frames:v',
    String(spec.durationSec * spec.frameRate),
    '-c:v',
    'libvpx',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-lag-in-frames',
    '0',
    '-auto-alt-ref',
    '0',
    '-b:v',
    `${spec.bitrateKbps}k`,
    '-g',
    String(Math.max(1, Math.round(spec.keyframeIntervalSec * spec.frameRate))),
    '-pix_fmt',
    'yuv420p',
  ];
}

function checkSpec(spec: ClipSpec): void {
  const whole = (name: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`clip.${name} must be an integer ≥ ${min}, got ${v}`);
  };
  whole('durationSec', spec.durationSec, 1);
  whole('bitrateKbps', spec.bitrateKbps, 1);
  if (spec.kind === 'video') {
    whole('frameRate', spec.frameRate, 1);
    whole('width', spec.width, 16);
    whole('height', spec.height, 16);
    if (spec.width % 2 !== 0 || spec.height % 2 !== 0)
      throw new RangeError('clip width and height must be even');
  }
}

/**
 * Path of the encoded clip for `spec`, encoding it first unless the cache holds it. The
 * file is written under a temporary name and renamed, so concurrent callers never read a
 * partial clip.
 */
export async function ensureClip(spec: ClipSpec, options: ClipEncodeOptions): Promise<string> {
  checkSpec(spec);
  const args = clipEncodeArgs(spec);
  const key = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 16);
  const file = path.join(options.cacheDir, `${spec.kind}-${key}.webm`);
  const exists = await stat(file).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
  if (exists) return file;
  await mkdir(options.cacheDir, { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.partial.webm`;
  try {
    await execFileAsync(
      options.ffmpegPath ?? 'ffmpeg',
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, partial],
      {
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        maxBuffer: 1024 * 1024,
      },
    );
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}

/** Reads a video clip's frames back (exactly durationSec × frameRate of them). */
export async function loadVideoClip(file: string, spec: VideoClipSpec): Promise<VideoClip> {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (track === null || (await track.getCodec()) !== 'vp8')
      throw new Error(`${file}: no VP8 track`);
    const wanted = spec.durationSec * spec.frameRate;
    const frames: { data: Uint8Array; keyframe: boolean }[] = [];
    for await (const packet of new EncodedPacketSink(track).packets()) {
      frames.push({ data: packet.data, keyframe: packet.type === 'key' });
      if (frames.length === wanted) break;
    }
    if (frames.length !== wanted)
      throw new Error(`${file}: ${frames.length} frames, expected ${wanted}`);
    if (!frames[0]!.keyframe) throw new Error(`${file}: first frame is not a keyframe`);
    return {
      spec,
      frames,
      width: await track.getCodedWidth(),
      height: await track.getCodedHeight(),
    };
  } finally {
    input.dispose();
  }
}

/** Reads an audio clip's Opus packets back: the first durationSec / 20 ms of them. */
export async function loadAudioClip(file: string, spec: AudioClipSpec): Promise<AudioClip> {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryAudioTrack();
    if (track === null || (await track.getCodec()) !== 'opus')
      throw new Error(`${file}: no Opus track`);
    const wanted = (spec.durationSec * 48_000) / OPUS_PACKET_SAMPLES;
    const packets: Uint8Array[] = [];
    for await (const packet of new EncodedPacketSink(track).packets()) {
      const info = opusPacketInfo(packet.data);
      if (info?.durationSamples48k !== OPUS_PACKET_SAMPLES)
        throw new Error(`${file}: Opus packet ${packets.length} is not 20 ms`);
      packets.push(packet.data);
      if (packets.length === wanted) break;
    }
    if (packets.length !== wanted)
      throw new Error(`${file}: ${packets.length} Opus packets, expected ${wanted}`);
    return { spec, packets };
  } finally {
    input.dispose();
  }
}
