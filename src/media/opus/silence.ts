/**
 * Opus packets that decode to digital silence, generated without an encoder.
 *
 * Each frame is a CELT-only fullband frame (TOC configs 28–31: 2.5, 5, 10, 20 ms) whose
 * payload is `0xFF 0xFE`. A CELT frame starts with the silence flag, range-coded with
 * probability 1/32768 (RFC 6716 §4.3, Table 56); a first payload byte of 0xFF puts the range
 * decoder's value at 0, which decodes the flag as 1, and a silent CELT frame carries nothing
 * else: the decoder outputs zeros (with the previous frame's overlap tail, none after
 * silence). `0xF8 0xFF 0xFE` is the packet WebRTC stacks send for 20 ms of mono silence.
 *
 * Longer packets pack several such frames (RFC 6716 §3.2):
 *
 * ```
 * 40 ms, code 1 (two equal frames):   | TOC c=1 | FF FE | FF FE |
 * 60 ms, code 3 (M=3, CBR, no pad):   | TOC c=3 | 03 | FF FE | FF FE | FF FE |
 * ```
 *
 * @see RFC 6716 §3.1, §3.2, §4.3
 */
import { opusConfigFor } from './toc.js';

export type OpusSilenceOptions = {
  /**
   * Packet duration in 48 kHz samples: a multiple of 120 (2.5 ms) up to 5760 (120 ms).
   * 120, 240, 480, 960 make one frame; longer durations pack several.
   */
  readonly durationSamples48k: number;
  /** Set the TOC's stereo flag (match the stream's packets). */
  readonly stereo: boolean;
};

/** Payload of one silent CELT frame: the range decoder reads the silence flag as 1. */
const SILENT_CELT_FRAME = [0xff, 0xfe] as const;
const FRAME_SIZES_48K = [960, 480, 240, 120] as const;
const MAX_PACKET_SAMPLES_48K = 5760;

/**
 * An Opus packet of `durationSamples48k` samples that decodes to digital silence.
 * Throws RangeError when the duration is not a multiple of 120 samples in 120..5760.
 */
export function opusSilenceFrame(options: OpusSilenceOptions): Uint8Array {
  const { durationSamples48k, stereo } = options;
  if (
    !Number.isInteger(durationSamples48k) ||
    durationSamples48k < 120 ||
    durationSamples48k > MAX_PACKET_SAMPLES_48K ||
    durationSamples48k % 120 !== 0
  ) {
    throw new RangeError(
      `options.durationSamples48k must be a multiple of 120 in 120..5760, got ${String(durationSamples48k)}`,
    );
  }
  // Largest CELT frame size that divides the duration: fewest frames, smallest packet.
  const frameSize = FRAME_SIZES_48K.find((size) => durationSamples48k % size === 0) ?? 120;
  const count = durationSamples48k / frameSize;
  const config = opusConfigFor('celt', 'fullband', frameSize) ?? 31;
  const code = count === 1 ? 0 : count === 2 ? 1 : 3;
  const toc = (config << 3) | (stereo ? 0x04 : 0) | code;
  const header = code === 3 ? [toc, count] : [toc];
  const out = new Uint8Array(header.length + count * SILENT_CELT_FRAME.length);
  out.set(header, 0);
  for (let i = 0; i < count; i++)
    out.set(SILENT_CELT_FRAME, header.length + i * SILENT_CELT_FRAME.length);
  return out;
}
