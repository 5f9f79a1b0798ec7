/**
 * RTX (retransmission) restoration: turns retransmitted packets back into packets of the
 * original stream, so the reorder buffer fills gaps with them (and counts the copies of
 * packets that did arrive as duplicates).
 *
 * RTX payload (the RTX packet's own header carries the RTX payload type, SSRC and
 * sequence number; marker and timestamp are the original's):
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            OSN                |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 * |                  Original RTP Packet Payload                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * @see RFC 4588 §4
 */
import type { RtpPacket } from '../../rtp/rtp-packet.js';
import { emptyStats, type PacketStats } from '../types.js';

/** Options of {@link RtxRestorer}. */
export type RtxRestorerOptions = {
  /** RTX payload type → original payload type (the SDP `apt=` parameter). Required. */
  readonly payloadTypes: ReadonlyMap<number, number>;
  /**
   * SSRC given to restored packets. Default: the SSRC of the most recent non-RTX packet
   * seen, else the RTX packet's own.
   */
  readonly originalSsrc?: number;
};

function isMap(value: unknown): boolean {
  return value instanceof Map;
}

function checkPayloadType(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 127) {
    throw new RangeError(`${what} must be an RTP payload type 0..127, got ${value}`);
  }
}

/**
 * Restores RTX packets (RFC 4588) and passes every other packet through unchanged.
 * `push({ packet, … })` returns the input with `packet` replaced by the restored one, the
 * input untouched for non-RTX packets, or nothing for padding-only RTX packets.
 *
 * Counting (`stats`): `received` every packet; `rtxRestored` restored packets; `padding`
 * RTX packets without an original sequence number (empty payload: bandwidth probes; a
 * 1-byte payload, which cannot hold the OSN, is counted the same way).
 */
export class RtxRestorer {
  readonly #payloadTypes: ReadonlyMap<number, number>;
  readonly #originalSsrc: number | undefined;
  readonly #stats: PacketStats = emptyStats();
  #lastMediaSsrc: number | undefined;

  constructor(options: RtxRestorerOptions) {
    if (!isMap(options.payloadTypes)) {
      throw new TypeError('options.payloadTypes must be a Map of RTX payload type → apt');
    }
    for (const [rtx, apt] of options.payloadTypes) {
      checkPayloadType(rtx, 'options.payloadTypes key');
      checkPayloadType(apt, 'options.payloadTypes value');
    }
    const ssrc = options.originalSsrc;
    if (ssrc !== undefined && !(Number.isInteger(ssrc) && ssrc >= 0 && ssrc <= 0xffff_ffff)) {
      throw new RangeError(`options.originalSsrc must be a 32-bit unsigned integer, got ${ssrc}`);
    }
    this.#payloadTypes = new Map(options.payloadTypes);
    this.#originalSsrc = ssrc;
  }

  get stats(): Readonly<PacketStats> {
    return this.#stats;
  }

  /** True when `payloadType` is one of the configured RTX payload types. */
  handles(payloadType: number): boolean {
    return this.#payloadTypes.has(payloadType);
  }

  push<T extends { readonly packet: RtpPacket }>(input: T): T[] {
    this.#stats.received += 1;
    const packet = input.packet;
    const apt = this.#payloadTypes.get(packet.payloadType);
    if (apt === undefined) {
      this.#lastMediaSsrc = packet.ssrc;
      return [input];
    }
    const payload = packet.payload;
    if (payload.length < 2) {
      this.#stats.padding += 1;
      return [];
    }
    const osn = ((payload[0] ?? 0) << 8) | (payload[1] ?? 0);
    const restored: RtpPacket = {
      ...packet,
      payloadType: apt,
      sequenceNumber: osn,
      ssrc: this.#originalSsrc ?? this.#lastMediaSsrc ?? packet.ssrc,
      payload: payload.subarray(2),
    };
    this.#stats.rtxRestored += 1;
    return [{ ...input, packet: restored }];
  }

  flush(): never[] {
    return [];
  }
}
