/**
 * Streaming Opus decode to 48 kHz planar Float32 PCM with `opus-decoder` (libopus in wasm),
 * keeping output sample-exact on the stream's timeline:
 *
 * - Output sample 0 is at `originSamples` (default: the first packet's timestamp).
 * - A packet later than expected is preceded by the missing time: libopus packet-loss
 *   concealment for up to 120 ms after decoded audio (the most one PLC call produces;
 *   it fades out by itself), then silence. Silence blocks share one zero buffer.
 * - A packet that ends before the expected time is dropped (`droppedLate`); one that
 *   overlaps it has its first samples cut (`trimmedSamples`).
 * - A packet whose framing breaks RFC 6716 (or that libopus rejects) is not decoded
 *   (`invalidPackets`); its time is concealed when the next packet arrives.
 * - Output has `channels` channels whatever the packets carry: libopus (mapping family 0)
 *   downmixes stereo packets for a mono decoder and duplicates mono ones for stereo.
 *
 * Timestamps are 48 kHz ticks (the Opus RTP clock, RFC 7587), already unwrapped.
 */
import { OpusDecoder } from 'opus-decoder';
import { TapedeckError } from '../../errors.js';
import { opusPacketInfo } from '../opus/toc.js';
import { silenceBlocks, type PcmBlock } from './pcm-block.js';

export type OpusPacket = {
  readonly data: Uint8Array;
  /** RTP timestamp, unwrapped, in 48 kHz ticks. */
  readonly timestampSamples: number;
};

export type OpusDecodeOptions = {
  /** Output channels, 1 or 2. Default 2. */
  readonly channels?: 1 | 2;
  /** Timeline position of output sample 0, 48 kHz ticks. Default: the first packet's timestamp. */
  readonly originSamples?: number;
};

export type OpusDecodeStats = {
  packets: number;
  /** Samples (per channel) decoded from packets. */
  decodedSamples: number;
  /** Samples produced by libopus packet-loss concealment. */
  concealedSamples: number;
  /** Samples of inserted silence (gaps beyond concealment, leading and trailing padding). */
  silenceSamples: number;
  invalidPackets: number;
  /** Packets entirely before the current position (duplicates, late arrivals). */
  droppedLate: number;
  /** Samples cut from packets that overlapped already-produced audio. */
  trimmedSamples: number;
};

export function emptyOpusDecodeStats(): OpusDecodeStats {
  return {
    packets: 0,
    decodedSamples: 0,
    concealedSamples: 0,
    silenceSamples: 0,
    invalidPackets: 0,
    droppedLate: 0,
    trimmedSamples: 0,
  };
}

/** opus-decoder copies each packet into a wasm buffer of 3840 bytes per channel. */
const INPUT_BYTES_PER_CHANNEL = 3840;
/** Shortest gap worth a PLC call (the shortest Opus frame, 2.5 ms). */
const MIN_PLC_SAMPLES = 120;

export class OpusStreamDecoder {
  readonly channels: 1 | 2;
  readonly stats: OpusDecodeStats;
  readonly #decoder: OpusDecoder;
  readonly #origin: number | undefined;
  #position: number | undefined;
  #decodedAny = false;
  #freed = false;

  private constructor(
    decoder: OpusDecoder,
    channels: 1 | 2,
    origin: number | undefined,
    stats: OpusDecodeStats,
  ) {
    this.#decoder = decoder;
    this.channels = channels;
    this.#origin = origin;
    this.stats = stats;
  }

  /** `stats` lets a caller pass the object it reads counters from. */
  static async create(
    options: OpusDecodeOptions = {},
    stats: OpusDecodeStats = emptyOpusDecodeStats(),
  ): Promise<OpusStreamDecoder> {
    const channels = options.channels ?? 2;
    if (channels !== 1 && channels !== 2) throw new RangeError('options.channels must be 1 or 2');
    if (options.originSamples !== undefined && !Number.isFinite(options.originSamples)) {
      throw new TypeError('options.originSamples must be a finite number');
    }
    const decoder = new OpusDecoder({ channels }); // 48 kHz output by default
    await decoder.ready;
    return new OpusStreamDecoder(decoder, channels, options.originSamples, stats);
  }

  /** Timeline position (48 kHz ticks) of the next output sample; undefined before the first packet. */
  get positionSamples(): number | undefined {
    return this.#position;
  }

  /** Decodes one packet; returns the blocks that now precede and hold it (maybe none). */
  decode(packet: OpusPacket): PcmBlock[] {
    if (this.#freed) throw new TapedeckError('INVALID_ARGUMENT', 'OpusStreamDecoder was freed');
    if (!(packet.data instanceof Uint8Array))
      throw new TypeError('packet.data must be a Uint8Array');
    if (!Number.isFinite(packet.timestampSamples))
      throw new TypeError('packet.timestampSamples must be a finite number');
    this.stats.packets++;
    const start = packet.timestampSamples;
    this.#position ??= this.#origin ?? start;
    const info = opusPacketInfo(packet.data);
    if (info === undefined || packet.data.byteLength > INPUT_BYTES_PER_CHANNEL * this.channels) {
      this.stats.invalidPackets++;
      return [];
    }
    if (start + info.durationSamples48k <= this.#position) {
      this.stats.droppedLate++;
      return [];
    }
    const blocks = start > this.#position ? this.#fill(start - this.#position) : [];
    const decoded = this.#decoder.decodeFrame(packet.data);
    if (decoded.samplesDecoded === 0) {
      this.stats.invalidPackets++;
      return blocks;
    }
    this.#decodedAny = true;
    const skip = Math.min(Math.max(0, this.#position - start), decoded.samplesDecoded);
    this.stats.trimmedSamples += skip;
    this.stats.decodedSamples += decoded.samplesDecoded - skip;
    if (skip < decoded.samplesDecoded) {
      blocks.push({
        channelData: decoded.channelData.map((plane) => (skip > 0 ? plane.subarray(skip) : plane)),
      });
    }
    this.#position = Math.max(this.#position, start + decoded.samplesDecoded);
    return blocks;
  }

  /** Silence (no concealment) up to `timestampSamples`, e.g. to the track's known end. */
  padTo(timestampSamples: number): PcmBlock[] {
    this.#position ??= this.#origin ?? timestampSamples;
    const gap = timestampSamples - this.#position;
    if (gap <= 0) return [];
    this.#position = timestampSamples;
    this.stats.silenceSamples += gap;
    return silenceBlocks(this.channels, gap);
  }

  /** Releases the wasm memory. Idempotent. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#decoder.free();
  }

  /** Concealment then silence for `gap` missing samples; advances the position. */
  #fill(gap: number): PcmBlock[] {
    const blocks: PcmBlock[] = [];
    let left = gap;
    if (this.#decodedAny && left >= MIN_PLC_SAMPLES) {
      const plc = this.#decoder.decodeFrame(new Uint8Array(0));
      const n = Math.min(left, plc.samplesDecoded);
      if (n > 0) {
        blocks.push({ channelData: plc.channelData.map((plane) => plane.subarray(0, n)) });
        this.stats.concealedSamples += n;
        left -= n;
      }
    }
    this.stats.silenceSamples += left;
    blocks.push(...silenceBlocks(this.channels, left));
    this.#position = (this.#position ?? 0) + gap;
    return blocks;
  }
}

export type OpusStreamOptions = OpusDecodeOptions & {
  /** Pad with silence up to this timeline position (48 kHz ticks) after the last packet. */
  readonly endSamples?: number;
  readonly signal?: AbortSignal;
};

/**
 * Pull-based decode of a packet stream: `blocks` decodes as it is iterated (one packet at a
 * time) and frees the decoder when done; `stats` fills in as it goes.
 */
export function decodeOpusStream(
  packets: AsyncIterable<OpusPacket> | Iterable<OpusPacket>,
  options: OpusStreamOptions = {},
): { readonly blocks: AsyncIterable<PcmBlock>; readonly stats: OpusDecodeStats } {
  const stats = emptyOpusDecodeStats();
  const { endSamples, signal, ...decodeOptions } = options;
  if (endSamples !== undefined && !Number.isFinite(endSamples))
    throw new TypeError('options.endSamples must be a finite number');
  async function* blocks(): AsyncGenerator<PcmBlock> {
    const decoder = await OpusStreamDecoder.create(decodeOptions, stats);
    try {
      for await (const packet of packets) {
        if (signal?.aborted === true)
          throw new TapedeckError('ABORTED', 'opus decode aborted', { cause: signal.reason });
        yield* decoder.decode(packet);
      }
      if (endSamples !== undefined) yield* decoder.padTo(endSamples);
    } finally {
      decoder.free();
    }
  }
  return { blocks: blocks(), stats };
}
