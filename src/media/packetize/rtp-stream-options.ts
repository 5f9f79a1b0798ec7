/**
 * Options every packetizer shares: the RTP stream identity and where its counters start.
 * Validated once at construction; the packetizers keep their own copies.
 */

export type RtpStreamOptions = {
  /** SSRC of the stream, 0..2^32−1. */
  readonly ssrc: number;
  /** Dynamic payload type as the SDP maps it, 0..127. */
  readonly payloadType: number;
  /** Sequence number of the first packet, 0..65535. Default 0. */
  readonly initialSequenceNumber?: number;
};

export type ResolvedRtpStreamOptions = {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly initialSequenceNumber: number;
};

/** Checks `value` is an integer in min..max; RangeError naming `name` (e.g. `options.ssrc`) otherwise. */
export function checkIntegerOption(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

export function resolveRtpStreamOptions(options: RtpStreamOptions): ResolvedRtpStreamOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options must be an object');
  return {
    ssrc: checkIntegerOption('options.ssrc', options.ssrc, 0, 0xffff_ffff),
    payloadType: checkIntegerOption('options.payloadType', options.payloadType, 0, 127),
    initialSequenceNumber: checkIntegerOption(
      'options.initialSequenceNumber',
      options.initialSequenceNumber ?? 0,
      0,
      0xffff,
    ),
  };
}

/** Checks an RTP timestamp argument (32-bit unsigned). */
export function checkRtpTimestamp(timestamp: number): number {
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffff_ffff) {
    throw new RangeError(`timestamp must be an integer in 0..${0xffff_ffff}, got ${timestamp}`);
  }
  return timestamp;
}
