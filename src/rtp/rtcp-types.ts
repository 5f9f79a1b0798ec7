/**
 * RTCP packet values as `parseRtcpCompound` returns them, and the inputs the serializers
 * take. Parsed values are accepted by the serializers as they are (round trips).
 * @see RFC 3550 §6.4 (SR, RR), §6.5 (SDES), §6.6 (BYE), §6.7 (APP)
 */

/** RTCP packet types (the second header byte). @see RFC 3550 §12.1 */
export const RtcpPacketType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
} as const;

/** SDES item types. @see RFC 3550 §6.5, §12.2 */
export const SdesItemType = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

/** One reception report block (24 bytes on the wire). @see RFC 3550 §6.4.1 */
export type RtcpReportBlock = {
  /** SSRC of the source this block reports on. */
  readonly ssrc: number;
  /** Fraction of packets lost since the last report, fixed point: lost / 256. 0..255. */
  readonly fractionLost: number;
  /** Cumulative number of packets lost, a signed 24-bit value (duplicates can make it negative). */
  readonly cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | sequence), 0..2^32−1. */
  readonly highestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  readonly jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received (LSR), 0 when none. */
  readonly lastSr: number;
  /** Delay since that SR in units of 1/65536 s (DLSR). */
  readonly delaySinceLastSr: number;
};

/** Sender report, PT 200. @see RFC 3550 §6.4.1 */
export type RtcpSenderReport = {
  readonly type: 'sr';
  readonly ssrc: number;
  /** NTP timestamp, seconds since 1900-01-01 (see `ntpToUnixMs`). */
  readonly ntpSeconds: number;
  /** NTP timestamp, fraction of a second in units of 2^−32 s. */
  readonly ntpFraction: number;
  /** The RTP timestamp that corresponds to the NTP timestamp. */
  readonly rtpTimestamp: number;
  /** Sender's packet count. */
  readonly packetCount: number;
  /** Sender's payload octet count. */
  readonly octetCount: number;
  readonly reportBlocks: readonly RtcpReportBlock[];
  /** Profile-specific extension after the report blocks (a subarray; empty when absent). */
  readonly profileExtension: Uint8Array;
};

/** Receiver report, PT 201. @see RFC 3550 §6.4.2 */
export type RtcpReceiverReport = {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reportBlocks: readonly RtcpReportBlock[];
  /** Profile-specific extension after the report blocks (a subarray; empty when absent). */
  readonly profileExtension: Uint8Array;
};

export type RtcpSdesItem = {
  /** Item type 1..255 (see `SdesItemType`: CNAME 1, NAME 2, … PRIV 8). */
  readonly type: number;
  /** `data` decoded as UTF-8 (invalid sequences become U+FFFD). */
  readonly text: string;
  /** The item's raw bytes (a subarray). PRIV items keep their prefix-length prefix here. */
  readonly data: Uint8Array;
};

export type RtcpSdesChunk = {
  readonly ssrc: number;
  readonly items: readonly RtcpSdesItem[];
};

/** Source description, PT 202. @see RFC 3550 §6.5 */
export type RtcpSourceDescription = {
  readonly type: 'sdes';
  readonly chunks: readonly RtcpSdesChunk[];
};

/** Goodbye, PT 203. @see RFC 3550 §6.6 */
export type RtcpBye = {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  /** Reason for leaving, UTF-8 decoded; undefined when absent. */
  readonly reason: string | undefined;
};

/**
 * Any other packet type (APP 204, feedback 205/206, XR 207, …), kept as bytes.
 * @see RFC 3550 §6.7 (APP: `count` is the subtype; body = SSRC, name, data)
 */
export type RtcpUnknownPacket = {
  readonly type: 'unknown';
  readonly packetType: number;
  /** The 5-bit count/subtype/format field of the common header. */
  readonly count: number;
  /** Everything after the 4-byte common header, padding removed (a subarray). */
  readonly body: Uint8Array;
};

export type RtcpPacket =
  RtcpSenderReport | RtcpReceiverReport | RtcpSourceDescription | RtcpBye | RtcpUnknownPacket;

/** Serializer input; omitted lists and extensions are empty. */
export type RtcpSenderReportInit = Omit<RtcpSenderReport, 'reportBlocks' | 'profileExtension'> & {
  readonly reportBlocks?: readonly RtcpReportBlock[];
  readonly profileExtension?: Uint8Array;
};

export type RtcpReceiverReportInit = Omit<
  RtcpReceiverReport,
  'reportBlocks' | 'profileExtension'
> & {
  readonly reportBlocks?: readonly RtcpReportBlock[];
  readonly profileExtension?: Uint8Array;
};

/** An item given as text (encoded UTF-8) or as raw bytes; `data` wins when both are present. */
export type RtcpSdesItemInit =
  | { readonly type: number; readonly text: string; readonly data?: Uint8Array }
  | { readonly type: number; readonly data: Uint8Array };

export type RtcpSourceDescriptionInit = {
  readonly type: 'sdes';
  readonly chunks: readonly {
    readonly ssrc: number;
    readonly items: readonly RtcpSdesItemInit[];
  }[];
};

export type RtcpByeInit = {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason?: string | undefined;
};

export type RtcpPacketInit =
  | RtcpSenderReportInit
  | RtcpReceiverReportInit
  | RtcpSourceDescriptionInit
  | RtcpByeInit
  | RtcpUnknownPacket;
