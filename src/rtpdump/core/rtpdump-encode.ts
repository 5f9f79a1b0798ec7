/**
 * rtpdump encoding (layout: see rtpdump-format.ts): the preamble (text line and 16-byte
 * file header) and records. Pure; the file writer buffers these bytes.
 * @see https://github.com/irtlab/rtptools (rtpdump.h)
 */
import { parseDottedIpv4 } from './ipv4.js';
import {
  RTPDUMP_FILE_HEADER_BYTES,
  RTPDUMP_MAX_RECORD_BYTES,
  RTPDUMP_PREFIX,
  RTPDUMP_RECORD_HEADER_BYTES,
} from './rtpdump-format.js';

/** What a writer puts in the preamble; a parsed `RtpdumpFileHeader` is accepted as is. */
export type RtpdumpPreambleInit = {
  /** Dotted IPv4 for the text line (Wireshark and rtptools expect one), e.g. '127.0.0.1'. */
  readonly address: string;
  /** Port for the text line, 1..65535 (Wireshark's reader rejects 0). */
  readonly port: number;
  /** Capture start, Unix seconds (u32). */
  readonly startSeconds: number;
  /** Capture start, microseconds part, 0..999999. Default 0. */
  readonly startMicroseconds?: number;
  /** Dotted IPv4 for the binary header. Default: `address`. */
  readonly source?: string;
  /** Port for the binary header, 0..65535. Default: `port`. */
  readonly sourcePort?: number;
};

/** One record to encode; a parsed `RtpdumpRecord` is accepted as is. */
export type RtpdumpRecordInit = {
  /** Milliseconds since the file's start time, integer 0..2^32−1. */
  readonly offsetMs: number;
  /** The RTP or RTCP packet as captured; at most 65527 bytes (non-empty for RTP). */
  readonly packet: Uint8Array;
  /** RTCP records are written with plen 0. */
  readonly isRtcp: boolean;
  /**
   * RTP only: the packet's length on the wire when the capture truncated it, 1..65535 and
   * at least `packet.byteLength`. Default `packet.byteLength`. Ignored for RTCP.
   */
  readonly originalLength?: number;
};

/**
 * The text line `#!rtpplay1.0 <address>/<port>\n` and the 16-byte file header. Throws
 * `RangeError`/`TypeError` naming the field that is out of range or not a dotted IPv4.
 */
export function encodeRtpdumpPreamble(header: RtpdumpPreambleInit): Uint8Array {
  ipv4('header.address', header.address);
  const port = uint('header.port', header.port, 0xffff);
  if (port === 0) throw new RangeError('header.port must be 1..65535 (readers reject port 0)');
  const source = ipv4('header.source', header.source ?? header.address);
  const startSeconds = uint('header.startSeconds', header.startSeconds, 0xffff_ffff);
  const startMicroseconds = uint(
    'header.startMicroseconds',
    header.startMicroseconds ?? 0,
    999_999,
  );
  const sourcePort = uint('header.sourcePort', header.sourcePort ?? port, 0xffff);
  const line = `${RTPDUMP_PREFIX}${header.address}/${port}\n`;
  const out = new Uint8Array(line.length + RTPDUMP_FILE_HEADER_BYTES);
  for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i);
  const view = new DataView(out.buffer, line.length);
  view.setUint32(0, startSeconds);
  view.setUint32(4, startMicroseconds);
  view.setUint32(8, source);
  view.setUint16(12, sourcePort);
  view.setUint16(14, 0);
  return out;
}

/** Bytes `encodeRtpdumpRecord` produces for `record`; throws as it would for a bad record. */
export function rtpdumpRecordSize(record: RtpdumpRecordInit): number {
  return checkRecord(record).size;
}

/** One record: 8-byte header (length, plen, offset) and the packet, in a new buffer. */
export function encodeRtpdumpRecord(record: RtpdumpRecordInit): Uint8Array {
  const out = new Uint8Array(rtpdumpRecordSize(record));
  encodeRtpdumpRecordInto(record, out, 0);
  return out;
}

/**
 * Encodes `record` into `target` at `at` (for writers that fill their own buffer) and
 * returns the bytes written. Throws `RangeError` when a field does not fit or `target` has
 * no room, before writing anything.
 */
export function encodeRtpdumpRecordInto(
  record: RtpdumpRecordInit,
  target: Uint8Array,
  at: number,
): number {
  const { size, plen, offsetMs } = checkRecord(record);
  if (!Number.isInteger(at) || at < 0 || at + size > target.byteLength) {
    throw new RangeError(`target has no room for a ${size}-byte record at ${at}`);
  }
  target[at] = size >>> 8;
  target[at + 1] = size & 0xff;
  target[at + 2] = plen >>> 8;
  target[at + 3] = plen & 0xff;
  target[at + 4] = offsetMs >>> 24;
  target[at + 5] = (offsetMs >>> 16) & 0xff;
  target[at + 6] = (offsetMs >>> 8) & 0xff;
  target[at + 7] = offsetMs & 0xff;
  target.set(record.packet, at + RTPDUMP_RECORD_HEADER_BYTES);
  return size;
}

function checkRecord(record: RtpdumpRecordInit): { size: number; plen: number; offsetMs: number } {
  const captured = record.packet.byteLength;
  const size = RTPDUMP_RECORD_HEADER_BYTES + captured;
  if (size > RTPDUMP_MAX_RECORD_BYTES) {
    throw new RangeError(
      `record.packet is ${captured} bytes, at most ${RTPDUMP_MAX_RECORD_BYTES - 8} fit`,
    );
  }
  const offsetMs = uint('record.offsetMs', record.offsetMs, 0xffff_ffff);
  if (record.isRtcp) return { size, plen: 0, offsetMs };
  if (captured === 0)
    throw new RangeError('record.packet must not be empty for RTP (plen 0 marks RTCP)');
  const plen = uint('record.originalLength', record.originalLength ?? captured, 0xffff);
  if (plen < captured)
    throw new RangeError(
      `record.originalLength ${plen} is less than the ${captured} captured bytes`,
    );
  return { size, plen, offsetMs };
}

function ipv4(name: string, text: string): number {
  const value = typeof text === 'string' ? parseDottedIpv4(text) : undefined;
  if (value === undefined)
    throw new TypeError(
      `${name} must be a dotted IPv4 address like 127.0.0.1, got ${String(text)}`,
    );
  return value;
}

function uint(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
  return value;
}
