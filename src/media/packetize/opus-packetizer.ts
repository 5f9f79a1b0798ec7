/**
 * Opus RTP packetizer: one Opus packet per RTP packet, the payload being the Opus packet
 * as the encoder produced it (TOC byte first). The RTP clock is always 48 kHz, whatever
 * the encoder's input rate. The marker bit is the caller's: set it on the first packet of
 * a talkspurt after a DTX silence.
 *
 * ```text
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  RTP header (12 bytes, PT dynamic)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  TOC  |  Opus frame(s) …                                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * @see RFC 7587 §4.1, §4.2 (payload structure, marker bit and DTX), RFC 6716 §3.1 (TOC)
 */
import { serializeRtpPacket } from '../../rtp/rtp-packet.js';
import {
  checkRtpTimestamp,
  resolveRtpStreamOptions,
  type RtpStreamOptions,
} from './rtp-stream-options.js';

export type OpusPacketizerOptions = RtpStreamOptions;

export class OpusPacketizer {
  readonly #ssrc: number;
  readonly #payloadType: number;
  #sequenceNumber: number;
  #packetCount = 0;
  #octetCount = 0;

  constructor(options: OpusPacketizerOptions) {
    const stream = resolveRtpStreamOptions(options);
    this.#ssrc = stream.ssrc;
    this.#payloadType = stream.payloadType;
    this.#sequenceNumber = stream.initialSequenceNumber;
  }

  get nextSequenceNumber(): number {
    return this.#sequenceNumber;
  }

  get packetCount(): number {
    return this.#packetCount;
  }

  get octetCount(): number {
    return this.#octetCount;
  }

  /**
   * Wraps one Opus packet sent at RTP `timestamp` (48 kHz, 32-bit); `marker` starts a
   * talkspurt. Returns the wire packet.
   */
  packetize(opusPacket: Uint8Array, timestamp: number, marker = false): Uint8Array {
    if (!(opusPacket instanceof Uint8Array) || opusPacket.byteLength === 0) {
      throw new RangeError('opusPacket must be a non-empty Uint8Array (at least the TOC byte)');
    }
    checkRtpTimestamp(timestamp);
    const bytes = serializeRtpPacket({
      marker,
      payloadType: this.#payloadType,
      sequenceNumber: this.#sequenceNumber,
      timestamp,
      ssrc: this.#ssrc,
      payload: opusPacket,
    });
    this.#sequenceNumber = (this.#sequenceNumber + 1) & 0xffff;
    this.#packetCount += 1;
    this.#octetCount += opusPacket.byteLength;
    return bytes;
  }
}
