/**
 * Opus: one RTP packet carries one Opus packet, which is one frame for the muxer.
 *
 * TOC byte (first byte of every Opus packet):
 * ```
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * | config  |s| c |
 * +-+-+-+-+-+-+-+-+
 * ```
 * `config` gives the frame size, `c` the frame count; parsed by `opusPacketInfo`
 * (src/media/opus/toc.ts).
 * @see RFC 7587 (RTP payload), RFC 6716 §3.1 (TOC)
 */
import { opusPacketInfo } from '../opus/toc.js';
import {
  emptyStats,
  type Depacketizer,
  type EncodedFrame,
  type OrderedPacket,
  type PacketStats,
} from '../types.js';

/**
 * Opus depacketizer. Every packet with a payload becomes one keyframe with
 * `durationTicks` from its TOC (48 kHz samples = RTP ticks, RFC 7587 §4.1; omitted when
 * `opusPacketInfo` finds the packet malformed, the frame is still emitted). Loss needs no handling:
 * each Opus packet decodes on its own.
 *
 * Counting (`stats`): `received`; `padding` empty payloads (dropped); `late` packets not
 * after the previous one in sequence order (dropped).
 */
export class OpusDepacketizer implements Depacketizer {
  readonly #stats: PacketStats = emptyStats();
  #lastExtSeq: number | undefined;

  get stats(): PacketStats {
    return this.#stats;
  }

  readonly codecDescription: undefined = undefined;

  push(input: OrderedPacket): EncodedFrame[] {
    this.#stats.received += 1;
    if (this.#lastExtSeq !== undefined && input.extSeq <= this.#lastExtSeq) {
      this.#stats.late += 1;
      return [];
    }
    this.#lastExtSeq = input.extSeq;
    const payload = input.packet.payload;
    if (payload.length === 0) {
      this.#stats.padding += 1;
      return [];
    }
    const samples = opusPacketInfo(payload)?.durationSamples48k;
    return [
      {
        timestampTicks: input.extTimestamp,
        data: payload.slice(),
        keyframe: true,
        arrivalMs: input.arrivalMs,
        ...(samples !== undefined ? { durationTicks: samples } : {}),
      },
    ];
  }

  flush(): EncodedFrame[] {
    return [];
  }
}
