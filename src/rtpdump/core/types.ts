/**
 * rtptools rtpdump records (see ../shared reference: raw-format-facts.md). (CONTRACT)
 */
export type RtpdumpFileHeader = {
  /** Address and port from the `#!rtpplay1.0 a.b.c.d/port` line. */
  readonly address: string;
  readonly port: number;
  readonly startSeconds: number;
  readonly startMicroseconds: number;
  /** Source IPv4 from the binary header, dotted. */
  readonly source: string;
  readonly sourcePort: number;
};

export type RtpdumpRecord = {
  /** Milliseconds since the file's start time. */
  readonly offsetMs: number;
  /** True when plen is 0 (RTCP record). */
  readonly isRtcp: boolean;
  /** The original packet length (plen); for RTCP records, the packet's length. */
  readonly originalLength: number;
  /** The captured packet bytes (may be shorter than originalLength). */
  readonly packet: Uint8Array;
  /** Byte offset of this record's header in the file. */
  readonly fileOffset: number;
};
