/**
 * rtpdump (rtptools "rtpplay1.0") layout constants shared by the parser and the encoder.
 * All integers are big-endian.
 *
 * ```text
 * "#!rtpplay1.0 " address "/" port "\n"          text line (address dotted IPv4)
 * +-------------------------------+-------------------------------+
 * |        start seconds          |      start microseconds       |  16-byte file header
 * +-------------------------------+---------------+---------------+
 * |        source IPv4            |     port      |  padding (0)  |
 * +---------------+---------------+---------------+---------------+
 * |    length     |     plen      |        offset (ms)            |  8-byte record header,
 * +---------------+---------------+-------------------------------+  then length − 8 bytes
 * |  RTP or RTCP packet (length − 8 bytes; plen 0 = RTCP) ...     |  of packet
 * +---------------------------------------------------------------+
 * ```
 * @see https://github.com/irtlab/rtptools (rtpdump.h, rd.c)
 */

/** The first line's fixed prefix; readers in the wild check only this. */
export const RTPDUMP_PREFIX = '#!rtpplay1.0 ';
export const RTPDUMP_PREFIX_BYTES: Uint8Array = Uint8Array.from(RTPDUMP_PREFIX, (c) =>
  c.charCodeAt(0),
);
export const RTPDUMP_FILE_HEADER_BYTES = 16;
export const RTPDUMP_RECORD_HEADER_BYTES = 8;
/** The `length` field is 16 bits and counts the record header too. */
export const RTPDUMP_MAX_RECORD_BYTES = 0xffff;
/** The text line's cap, newline included: longer first lines are rejected, not buffered. */
export const RTPDUMP_MAX_LINE_BYTES = 1024;
