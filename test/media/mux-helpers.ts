/**
 * Shared by the mux and audio tests: media made by ffmpeg, read back by mediabunny, judged
 * by ffprobe and ffmpeg. Every input file is generated in the test's temp dir by the
 * ffmpeg command shown at its call site.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';

const run = promisify(execFile);

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Runs ffmpeg with `-v error -y` and the given arguments; rejects on a non-zero exit. */
export async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-y', ...args], { maxBuffer: 64 << 20 });
}

export type ProbeStream = {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  profile?: string;
};
export type Probe = { streams: ProbeStream[]; format: { duration: string; format_name: string } };

export async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    file,
  ]);
  return JSON.parse(stdout) as Probe;
}

/**
 * What a full decode prints (`ffmpeg -v error -i file -f null -`; empty when the file
 * decodes cleanly). Video is passed to the null output in the file's own time base
 * (`-enc_time_base:v -1`): by default ffmpeg re-times it to its guessed frame rate, and
 * variable-rate WebRTC video (two frames closer than 1/fps) then draws a "non
 * monotonically increasing dts" complaint from the null muxer, which is about that
 * re-timing, not about the file.
 */
export async function ffmpegDecodeErrors(file: string): Promise<string> {
  const { stdout, stderr } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-enc_time_base:v', '-1', '-f', 'null', '-'],
    { maxBuffer: 64 << 20 },
  );
  return stdout + stderr;
}

/** The file decoded by ffmpeg to mono 48 kHz float PCM. */
export async function decodeToMonoPcm(file: string): Promise<Float32Array> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-f', 'f32le', '-ac', '1', '-ar', '48000', '-'],
    {
      encoding: 'buffer',
      maxBuffer: 256 << 20,
    },
  );
  const bytes = new Uint8Array(stdout);
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

export type ReadPacket = { data: Uint8Array; timestamp: number; duration: number; key: boolean };
export type ReadTrack = {
  type: 'audio' | 'video';
  codec: string | null;
  width: number;
  height: number;
  channels: number;
  description: Uint8Array | undefined;
  packets: ReadPacket[];
};

/** Every track of a media file as mediabunny reads it, packets in decode order. */
export async function readTracks(file: string): Promise<ReadTrack[]> {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  try {
    const out: ReadTrack[] = [];
    for (const track of await input.getTracks()) {
      const packets: ReadPacket[] = [];
      for await (const p of new EncodedPacketSink(track).packets()) {
        packets.push({
          data: p.data.slice(),
          timestamp: p.timestamp,
          duration: p.duration,
          key: p.type === 'key',
        });
      }
      if (track.isVideoTrack()) {
        const config = await track.getDecoderConfig();
        const description = config?.description;
        out.push({
          type: 'video',
          codec: track.codec,
          width: track.codedWidth,
          height: track.codedHeight,
          channels: 0,
          description: description instanceof Uint8Array ? description : undefined,
          packets,
        });
      } else if (track.isAudioTrack()) {
        out.push({
          type: 'audio',
          codec: track.codec,
          width: 0,
          height: 0,
          channels: track.numberOfChannels,
          description: undefined,
          packets,
        });
      }
    }
    return out;
  } finally {
    input.dispose();
  }
}

/** Power of `frequency` in `pcm[from, to)` (Goertzel), normalised by the window length. */
export function tonePower(
  pcm: Float32Array,
  from: number,
  to: number,
  frequency: number,
  sampleRate = 48000,
): number {
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = (pcm[i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const n = to - from;
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n);
}
