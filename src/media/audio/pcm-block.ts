/**
 * PCM as it flows between the Opus decoder, the mixer and the MP3 writer: planar 32-bit
 * float at 48 kHz, nominal range [-1, 1].
 */

export type PcmBlock = {
  /**
   * One array per channel, all the same length (the block's frame count). Read-only by
   * contract: silence blocks share one zero-filled buffer.
   */
  readonly channelData: readonly Float32Array[];
};

/** The sample rate of every PcmBlock in the pipeline (Opus decodes at 48 kHz). */
export const PCM_SAMPLE_RATE = 48000;

/** One second of zeros, shared by every silence block (never written to). */
const ZEROS = new Float32Array(PCM_SAMPLE_RATE);

/** Frames (samples per channel) in a block. */
export function blockFrames(block: PcmBlock): number {
  return block.channelData[0]?.length ?? 0;
}

/**
 * Silence of `frames` frames as blocks of at most one second that share one zero buffer,
 * so even hours of silence cost a few objects rather than megabytes.
 */
export function silenceBlocks(channels: number, frames: number): PcmBlock[] {
  const blocks: PcmBlock[] = [];
  for (let left = frames; left > 0; left -= ZEROS.length) {
    const view = ZEROS.subarray(0, Math.min(left, ZEROS.length));
    blocks.push({ channelData: Array.from({ length: channels }, () => view) });
  }
  return blocks;
}

/** Throws TypeError unless `block` is a PcmBlock with equal-length Float32Array channels. */
export function checkBlock(block: PcmBlock, name: string): void {
  const data = (block as { channelData?: unknown } | null)?.channelData;
  if (!Array.isArray(data) || data.length === 0)
    throw new TypeError(`${name}.channelData must be a non-empty array`);
  const frames = (data[0] as Float32Array).length;
  for (const channel of data) {
    if (!(channel instanceof Float32Array))
      throw new TypeError(`${name}.channelData must hold Float32Arrays`);
    if (channel.length !== frames)
      throw new TypeError(`${name}.channelData arrays must have equal lengths`);
  }
}

/**
 * Adds `count` frames of `block`, from frame `from`, into `dest` at `at`, as heard on output
 * channel `channel` of `outChannels`: mono out averages all input channels; stereo out
 * duplicates a mono input and otherwise takes the first two channels.
 */
export function addPlaneInto(
  dest: Float32Array,
  at: number,
  block: PcmBlock,
  from: number,
  count: number,
  channel: number,
  outChannels: number,
): void {
  const data = block.channelData;
  if (outChannels === 1 && data.length > 1) {
    const scale = 1 / data.length;
    for (const plane of data) {
      for (let i = 0; i < count; i++)
        dest[at + i] = (dest[at + i] ?? 0) + (plane[from + i] ?? 0) * scale;
    }
    return;
  }
  const plane = data[Math.min(channel, data.length - 1)];
  if (plane === undefined) return;
  for (let i = 0; i < count; i++) dest[at + i] = (dest[at + i] ?? 0) + (plane[from + i] ?? 0);
}
