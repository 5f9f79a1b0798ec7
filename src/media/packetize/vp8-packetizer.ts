/**
 * VP8 RTP packetizer: one encoded frame in, the RTP packets that carry it out.
 *
 * Every packet starts with a 4-byte payload descriptor carrying a 15-bit picture id
 * (as browsers send it), then a slice of the frame; the frame is cut into packets of
 * near-equal size, the last one has the marker bit.
 *
 * ```text
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |X|R|N|S|R| PID |  X = 1, N = 0, S = 1 on the frame's first packet, PID = 0
 * +-+-+-+-+-+-+-+-+
 * |I|L|T|K| RSV   |  I = 1 (picture id present), L = T = K = 0
 * +-+-+-+-+-+-+-+-+
 * |M| PictureID   |  M = 1: 15-bit picture id, incremented per frame, wrapping at 2^15
 * +-+-+-+-+-+-+-+-+
 * |   PictureID   |
 * +-+-+-+-+-+-+-+-+
 * | VP8 payload … |
 * ```
 * @see RFC 7741 §4.2 (descriptor), §4.4 (frame fragmentation), §4.1 (marker bit)
 */
import { serializeRtpPacket } from '../../rtp/rtp-packet.js';
import {
  checkIntegerOption,
  checkRtpTimestamp,
  resolveRtpStreamOptions,
  type RtpStreamOptions,
} from './rtp-stream-options.js';

export type Vp8PacketizerOptions = RtpStreamOptions & {
  /** Picture id of the first frame, 0..32767. Default 0. */
  readonly initialPictureId?: number;
  /**
   * Largest RTP payload (descriptor included), 5..65000 bytes. Default 1188: a 1200-byte
   * packet with the 12-byte RTP header, as WebRTC senders keep under the path MTU.
   */
  readonly maxPayloadBytes?: number;
};

const DESCRIPTOR_BYTES = 4;
const PICTURE_ID_MODULUS = 0x8000;

export class Vp8Packetizer {
  readonly #ssrc: number;
  readonly #payloadType: number;
  readonly #maxDataBytes: number;
  #sequenceNumber: number;
  #pictureId: number;
  #packetCount = 0;
  #octetCount = 0;

  constructor(options: Vp8PacketizerOptions) {
    const stream = resolveRtpStreamOptions(options);
    this.#ssrc = stream.ssrc;
    this.#payloadType = stream.payloadType;
    this.#sequenceNumber = stream.initialSequenceNumber;
    this.#pictureId = checkIntegerOption(
      'options.initialPictureId',
      options.initialPictureId ?? 0,
      0,
      PICTURE_ID_MODULUS - 1,
    );
    const maxPayload = checkIntegerOption(
      'options.maxPayloadBytes',
      options.maxPayloadBytes ?? 1188,
      DESCRIPTOR_BYTES + 1,
      65_000,
    );
    this.#maxDataBytes = maxPayload - DESCRIPTOR_BYTES;
  }

  /** Sequence number the next packet gets. */
  get nextSequenceNumber(): number {
    return this.#sequenceNumber;
  }

  /** Picture id the next frame gets. */
  get nextPictureId(): number {
    return this.#pictureId;
  }

  /** Packets produced so far (the SR sender's packet count). */
  get packetCount(): number {
    return this.#packetCount;
  }

  /** Payload bytes produced so far, descriptors included (the SR sender's octet count). */
  get octetCount(): number {
    return this.#octetCount;
  }

  /**
   * Packetizes one encoded VP8 frame (as an encoder or a WebM block holds it) sent at RTP
   * `timestamp` (90 kHz, 32-bit). Returns the wire packets in sending order.
   */
  packetize(frame: Uint8Array, timestamp: number): Uint8Array[] {
    if (!(frame instanceof Uint8Array) || frame.byteLength === 0) {
      throw new RangeError('frame must be a non-empty Uint8Array');
    }
    checkRtpTimestamp(timestamp);
    const count = Math.ceil(frame.byteLength / this.#maxDataBytes);
    // Near-equal slices: the first (length % count) slices are one byte longer.
    const base = Math.floor(frame.byteLength / count);
    const longer = frame.byteLength % count;
    const packets: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      const size = base + (i < longer ? 1 : 0);
      const payload = new Uint8Array(DESCRIPTOR_BYTES + size);
      payload[0] = 0x80 | (i === 0 ? 0x10 : 0);
      payload[1] = 0x80;
      payload[2] = 0x80 | (this.#pictureId >>> 8);
      payload[3] = this.#pictureId & 0xff;
      payload.set(frame.subarray(at, at + size), DESCRIPTOR_BYTES);
      at += size;
      packets.push(
        serializeRtpPacket({
          marker: i === count - 1,
          payloadType: this.#payloadType,
          sequenceNumber: this.#sequenceNumber,
          timestamp,
          ssrc: this.#ssrc,
          payload,
        }),
      );
      this.#sequenceNumber = (this.#sequenceNumber + 1) & 0xffff;
      this.#packetCount += 1;
      this.#octetCount += payload.byteLength;
    }
    this.#pictureId = (this.#pictureId + 1) % PICTURE_ID_MODULUS;
    return packets;
  }
}
