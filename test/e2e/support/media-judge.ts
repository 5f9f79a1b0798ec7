/**
 * ffprobe and ffmpeg as the judges of output files, in one verdict: stream codecs and the
 * container's duration (ffprobe), and what a full decode prints (empty for a clean file).
 */
import { ffmpegDecodeErrors, ffprobe } from '../../media/mux-helpers.js';

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
    decodeErrors: await ffmpegDecodeErrors(file),
  };
}
