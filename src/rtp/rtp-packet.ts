/**
 * RTP packets: a zero-copy view over the wire bytes, and the serializer writers and
 * tests use.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....  (CC × 32 bits)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |  length (32-bit words)        |  ← when X = 1
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            payload  ...                       |
 * |                               +-------------------------------+
 * |                               |  padding ...  | padding count |  ← when P = 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * @see RFC 3550 §5.1 (fixed header), §5.3.1 (header extension), §A.1 (validity checks)
 */
import { ParseError } from '../errors.js';

export type RtpHeaderExtension = {
  /** "defined by profile" 16-bit value (0xBEDE = one-byte, 0x100x = two-byte, RFC 8285). */
  readonly profile: number;
  /** Extension body (without the 4-byte profile/length header). */
  readonly data: Uint8Array;
};

export type RtpPacket = {
  readonly version: 2;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtension | undefined;
  /** Payload without padding: a subarray of the input. */
  readonly payload: Uint8Array;
  /** Number of padding bytes (including the count byte), 0 when P is clear. */
  readonly paddingLength: number;
};

const FIXED_HEADER_BYTES = 12;
const NO_CSRCS: readonly number[] = Object.freeze([]);

/** Big-endian u32 at `at` (bounds checked by the caller). */
function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
  );
}

/**
 * Parses one RTP packet. Every field view (`payload`, `extension.data`) is a subarray of
 * `bytes`: nothing is copied, so keep `bytes` alive and unmodified while you use them.
 *
 * Checks, each throwing `ParseError('RTP', offset, …)` with the offset of the bad field:
 * 12-byte fixed header present; version 2; CSRC list and header extension inside the
 * packet; with P set, a padding count of at least 1 that fits after the headers (a
 * packet of only padding gives an empty payload).
 * @see RFC 3550 §5.1, §A.1
 */
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  const size = bytes.byteLength;
  if (size < FIXED_HEADER_BYTES) {
    throw new ParseError('RTP', 0, `fixed header needs ${FIXED_HEADER_BYTES} bytes, ${size} given`);
  }
  const b0 = bytes[0]!;
  const version = b0 >>> 6;
  if (version !== 2) throw new ParseError('RTP', 0, `version is ${version}, expected 2`);
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const b1 = bytes[1]!;

  let pos = FIXED_HEADER_BYTES;
  const csrcBytes = csrcCount * 4;
  if (pos + csrcBytes > size) {
    throw new ParseError(
      'RTP',
      pos,
      `${csrcCount} CSRCs need ${csrcBytes} bytes, ${size - pos} left`,
    );
  }
  // No CSRCs (the common case) shares one frozen empty list: nothing allocated for it.
  const csrcs: readonly number[] = csrcCount === 0 ? NO_CSRCS : [];
  for (let i = 0; i < csrcCount; i++, pos += 4) (csrcs as number[]).push(u32(bytes, pos));

  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (pos + 4 > size) {
      throw new ParseError('RTP', pos, `header extension header needs 4 bytes, ${size - pos} left`);
    }
    const profile = (bytes[pos]! << 8) | bytes[pos + 1]!;
    const dataBytes = ((bytes[pos + 2]! << 8) | bytes[pos + 3]!) * 4;
    pos += 4;
    if (pos + dataBytes > size) {
      throw new ParseError(
        'RTP',
        pos,
        `header extension needs ${dataBytes} bytes, ${size - pos} left`,
      );
    }
    extension = { profile, data: bytes.subarray(pos, pos + dataBytes) };
    pos += dataBytes;
  }

  let end = size;
  let paddingLength = 0;
  if (hasPadding) {
    if (pos === size)
      throw new ParseError('RTP', pos, 'padding bit set but no bytes follow the header');
    paddingLength = bytes[size - 1]!;
    if (paddingLength === 0) throw new ParseError('RTP', size - 1, 'padding count is 0');
    if (paddingLength > size - pos) {
      throw new ParseError(
        'RTP',
        size - 1,
        `padding count ${paddingLength} exceeds the ${size - pos} bytes after the header`,
      );
    }
    end = size - paddingLength;
  }

  return {
    version: 2,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: (bytes[2]! << 8) | bytes[3]!,
    timestamp: u32(bytes, 4),
    ssrc: u32(bytes, 8),
    csrcs,
    extension,
    payload: bytes.subarray(pos, end),
    paddingLength,
  };
}

/** Fields for {@link serializeRtpPacket}; a parsed {@link RtpPacket} is accepted as is. */
export type RtpPacketInit = {
  /** Default false. */
  readonly marker?: boolean;
  /** 0..127. */
  readonly payloadType: number;
  /** 0..65535. */
  readonly sequenceNumber: number;
  /** 0..2^32−1. */
  readonly timestamp: number;
  /** 0..2^32−1. */
  readonly ssrc: number;
  /** At most 15 values, each 0..2^32−1. Default none. */
  readonly csrcs?: readonly number[];
  /** `data` length must be a multiple of 4 (see `buildHeaderExtension`). Default none. */
  readonly extension?: RtpHeaderExtension | undefined;
  readonly payload: Uint8Array;
  /**
   * Padding bytes to append, count byte included: 0 (default, P clear) or 1..255. The
   * padding bytes are zero and the last one holds the count.
   */
  readonly paddingLength?: number;
};

/**
 * Serializes an RTP packet into a new buffer. Throws `RangeError` naming the field when a
 * value does not fit its wire field.
 * @see RFC 3550 §5.1
 */
export function serializeRtpPacket(fields: RtpPacketInit): Uint8Array {
  const { payloadType, sequenceNumber, timestamp, ssrc, payload } = fields;
  const csrcs = fields.csrcs ?? [];
  const extension = fields.extension;
  const paddingLength = fields.paddingLength ?? 0;
  checkUint('payloadType', payloadType, 0x7f);
  checkUint('sequenceNumber', sequenceNumber, 0xffff);
  checkUint('timestamp', timestamp, 0xffff_ffff);
  checkUint('ssrc', ssrc, 0xffff_ffff);
  checkUint('paddingLength', paddingLength, 0xff);
  if (csrcs.length > 15)
    throw new RangeError(`fields.csrcs holds ${csrcs.length} values, at most 15 fit`);
  csrcs.forEach((csrc, i) => checkUint(`csrcs[${i}]`, csrc, 0xffff_ffff));
  if (extension !== undefined) {
    checkUint('extension.profile', extension.profile, 0xffff);
    const n = extension.data.byteLength;
    if (n % 4 !== 0 || n > 0xffff * 4) {
      throw new RangeError(
        `fields.extension.data is ${n} bytes, must be a multiple of 4 up to ${0xffff * 4}`,
      );
    }
  }

  const extBytes = extension === undefined ? 0 : 4 + extension.data.byteLength;
  const headerBytes = FIXED_HEADER_BYTES + csrcs.length * 4 + extBytes;
  const out = new Uint8Array(headerBytes + payload.byteLength + paddingLength);
  const view = new DataView(out.buffer);
  out[0] =
    0x80 | (paddingLength > 0 ? 0x20 : 0) | (extension !== undefined ? 0x10 : 0) | csrcs.length;
  out[1] = (fields.marker === true ? 0x80 : 0) | payloadType;
  view.setUint16(2, sequenceNumber);
  view.setUint32(4, timestamp);
  view.setUint32(8, ssrc);
  let pos = FIXED_HEADER_BYTES;
  for (const csrc of csrcs) {
    view.setUint32(pos, csrc);
    pos += 4;
  }
  if (extension !== undefined) {
    view.setUint16(pos, extension.profile);
    view.setUint16(pos + 2, extension.data.byteLength / 4);
    out.set(extension.data, pos + 4);
    pos += extBytes;
  }
  out.set(payload, pos);
  if (paddingLength > 0) out[out.byteLength - 1] = paddingLength;
  return out;
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`fields.${name} must be an integer in 0..${max}, got ${value}`);
  }
}
