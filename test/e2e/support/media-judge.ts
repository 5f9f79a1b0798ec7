/**
 * ffprobe and ffmpeg as the judges of output files: stream codecs and the container's
 * duration from `ffprobe -v error -show_streams -show_format -of json`, and a full decode
 * (`ffmpeg -v error -i F -f null -`) that must print nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ProbeResult = {
  readonly streams: readonly {
    readonly codec_name: string;
    readonly codec_type: string;
    readonly width?: number;
    readonly height?: number;
  }[];
  readonly format: { readonly format_name: string; readonly duration: string };
};

export async function ffprobe(file: string): Promise<ProbeResult> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file],
    { maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout) as ProbeResult;
}

/** Whatever a full decode prints at `-v error` (empty for a clean file). */
export async function decodeErrors(file: string): Promise<string> {
  const { stdout, stderr } = await run(
    'ffmpeg',
    ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'],
    { maxBuffer: 16 << 20 },
  );
  return stdout + stderr;
}

export type Judgement = {
  /** Codec names of the streams, in stream order. */
  readonly codecs: string[];
  readonly durationSec: number;
  readonly formatName: string;
  readonly decodeErrors: string;
};

export async function judge(file: string): Promise<Judgement> {
  const probe = await ffprobe(file);
  return {
    codecs: probe.streams.map((s) => s.codec_name),
    durationSec: Number(probe.format.duration),
    formatName: probe.format.format_name,
    decodeErrors: await decodeErrors(file),
  };
}
