/**
 * RED (redundant audio data): unwraps the primary encoding and uses the redundant copies
 * to fill losses.
 *
 * Payload: block headers, then the block data in the same order; redundant blocks
 * (F = 1, 4-byte header) come first, oldest first, the primary (F = 0, 1-byte header) last:
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |F|   block PT  |  timestamp offset         |   block length    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0|   block PT  |   (primary: 1 byte, its data takes the rest)
 * +-+-+-+-+-+-+-+-+
 * ```
 * @see RFC 2198 §3
 */
import { ParseError } from '../../errors.js';
import type { RtpPacket } from '../../rtp/rtp-packet.js';
import { emptyStats, type OrderedPacket, type PacketStats } from '../types.js';

export type RedBlock = {
  readonly payloadType: number;
  /** Ticks to subtract from the RED packet's timestamp (0 for the primary). */
  readonly timestampOffset: number;
  /** A subarray of the RED payload. */
  readonly data: Uint8Array;
  readonly primary: boolean;
};

/**
 * Splits a RED payload into its blocks, redundant ones first (oldest first), primary last.
 * Throws `ParseError` (format `red`) when headers or block lengths overrun the payload.
 */
export function parseRedPayload(payload: Uint8Array): RedBlock[] {
  const headers: { pt: number; offset: number; length: number }[] = [];
  let pos = 0;
  for (;;) {
    const b0 = payload[pos];
    if (b0 === undefined) throw new ParseError('red', pos, 'block header needs 1 byte, 0 left');
    if ((b0 & 0x80) === 0) {
      headers.push({ pt: b0 & 0x7f, offset: 0, length: -1 });
      pos += 1;
      break;
    }
    if (pos + 4 > payload.length) {
      throw new ParseError(
        'red',
        pos,
        `redundant block header needs 4 bytes, ${payload.length - pos} left`,
      );
    }
    const b1 = payload[pos + 1] ?? 0;
    const b2 = payload[pos + 2] ?? 0;
    const b3 = payload[pos + 3] ?? 0;
    headers.push({
      pt: b0 & 0x7f,
      offset: (b1 << 6) | (b2 >>> 2),
      length: ((b2 & 0x03) << 8) | b3,
    });
    pos += 4;
  }
  const blocks: RedBlock[] = [];
  for (const h of headers) {
    const length = h.length < 0 ? payload.length - pos : h.length;
    if (pos + length > payload.length) {
      throw new ParseError('red', pos, `block of ${length} bytes overruns the payload`);
    }
    blocks.push({
      payloadType: h.pt,
      timestampOffset: h.offset,
      data: payload.subarray(pos, pos + length),
      primary: h.length < 0,
    });
    pos += length;
  }
  return blocks;
}

/** Options of {@link RedUnwrapper}. */
export type RedUnwrapperOptions = {
  /** The RED payload type (SDP `a=rtpmap:<pt> red/…`). Required. */
  readonly redPayloadType: number;
};

/**
 * Unwraps RED packets of one ordered stream (after the reorder buffer). For each RED packet
 * the primary block is emitted as a packet of the primary payload type; when sequence
 * numbers are missing just before it, the redundant blocks (the k-th newest assumed to
 * carry the packet k numbers earlier, as WebRTC sends one frame per packet) fill them with
 * `extTimestamp = primary − timestamp offset`. A block is only used when both its sequence
 * slot is missing and its timestamp lies strictly between the last emitted one and the
 * primary's, so a packet that did arrive is never emitted twice.
 *
 * Non-RED packets pass through unchanged. Counting (`stats`): `received`; `redRecovered`
 * blocks emitted to fill a loss; `padding` packets with an empty payload (dropped) and RED
 * packets with an empty primary (primary skipped); `framesDropped` malformed RED packets
 * (dropped; their content may still be recovered from the next packet's redundancy);
 * `late` inputs not after the previous one in sequence order (dropped).
 */
export class RedUnwrapper {
  readonly #redPayloadType: number;
  readonly #stats: PacketStats = emptyStats();
  /** Highest extended sequence number handled (emitted or deliberately skipped). */
  #lastSeq: number | undefined;
  /** Timestamp of the last emitted packet. */
  #lastTimestamp: number | undefined;

  constructor(options: RedUnwrapperOptions) {
    const pt = options.redPayloadType;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) {
      throw new RangeError(`options.redPayloadType must be an RTP payload type 0..127, got ${pt}`);
    }
    this.#redPayloadType = pt;
  }

  get stats(): Readonly<PacketStats> {
    return this.#stats;
  }

  get redPayloadType(): number {
    return this.#redPayloadType;
  }

  push(input: OrderedPacket): OrderedPacket[] {
    this.#stats.received += 1;
    if (this.#lastSeq !== undefined && input.extSeq <= this.#lastSeq) {
      this.#stats.late += 1;
      return [];
    }
    const packet = input.packet;
    if (packet.payload.length === 0) {
      this.#stats.padding += 1;
      this.#lastSeq = input.extSeq;
      return [];
    }
    if (packet.payloadType !== this.#redPayloadType) {
      this.#lastSeq = input.extSeq;
      this.#lastTimestamp = input.extTimestamp;
      return [input];
    }
    let blocks: RedBlock[];
    try {
      blocks = parseRedPayload(packet.payload);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      this.#stats.framesDropped += 1;
      return [];
    }
    const out: OrderedPacket[] = [];
    const missing = this.#lastSeq === undefined ? 0 : input.extSeq - this.#lastSeq - 1;
    const redundant = blocks.length - 1;
    for (let i = 0; i < redundant; i++) {
      const block = blocks[i];
      const distance = redundant - i;
      if (block === undefined || block.data.length === 0 || distance > missing) continue;
      const extTimestamp = input.extTimestamp - block.timestampOffset;
      if (this.#lastTimestamp !== undefined && extTimestamp <= this.#lastTimestamp) continue;
      if (extTimestamp >= input.extTimestamp) continue;
      out.push(this.#derive(input, block, input.extSeq - distance, extTimestamp));
      this.#stats.redRecovered += 1;
    }
    const primary = blocks[blocks.length - 1];
    if (primary === undefined || primary.data.length === 0) {
      this.#stats.padding += 1;
    } else {
      out.push(this.#derive(input, primary, input.extSeq, input.extTimestamp));
    }
    this.#lastSeq = input.extSeq;
    return out;
  }

  flush(): OrderedPacket[] {
    return [];
  }

  #derive(
    input: OrderedPacket,
    block: RedBlock,
    extSeq: number,
    extTimestamp: number,
  ): OrderedPacket {
    const isPrimary = extSeq === input.extSeq;
    const packet: RtpPacket = {
      ...input.packet,
      payloadType: block.payloadType,
      sequenceNumber: extSeq & 0xffff,
      timestamp: (input.packet.timestamp - (input.extTimestamp - extTimestamp)) >>> 0,
      marker: isPrimary ? input.packet.marker : false,
      payload: block.data,
      paddingLength: isPrimary ? input.packet.paddingLength : 0,
    };
    this.#lastTimestamp = extTimestamp;
    return { packet, extSeq, extTimestamp, arrivalMs: input.arrivalMs };
  }
}
