/**
 * NTP timestamps (as RTCP sender reports carry them) to and from Unix milliseconds.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 seconds since 1900-01-01 UTC                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 fraction of a second (2^-32 s)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * The 32-bit seconds wrap on 2036-02-07. Following RFC 4330 §3, a value with the top bit
 * set is in 1968..2036 and one with it clear is in 2036..2104, so both directions cover
 * 1968-01-20T03:14:08Z up to (not including) 2104-02-26T09:42:24Z.
 * @see RFC 3550 §4, RFC 4330 §3, RFC 5905 §6
 */

/** Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;
const TWO_POW_31 = 0x8000_0000;
const TWO_POW_32 = 0x1_0000_0000;

export type NtpTimestamp = {
  readonly ntpSeconds: number;
  readonly ntpFraction: number;
};

/**
 * Unix time in milliseconds, a float keeping sub-millisecond precision (a fraction unit is
 * ~0.23 ns; a double holds today's Unix ms to ~0.25 µs). Throws `RangeError` unless both
 * arguments are 32-bit unsigned integers. An all-zero SR timestamp conventionally means
 * "no wall clock": check for it before converting.
 */
export function ntpToUnixMs(ntpSeconds: number, ntpFraction: number): number {
  checkU32('ntpSeconds', ntpSeconds);
  checkU32('ntpFraction', ntpFraction);
  const seconds = ntpSeconds >= TWO_POW_31 ? ntpSeconds : ntpSeconds + TWO_POW_32;
  return (seconds - NTP_UNIX_OFFSET_SECONDS) * 1000 + (ntpFraction * 1000) / TWO_POW_32;
}

/**
 * The NTP timestamp nearest to Unix time `unixMs` (fraction rounded to the nearest
 * 2^-32 s). Throws `RangeError` when `unixMs` is not finite or outside the two eras above.
 */
export function unixMsToNtp(unixMs: number): NtpTimestamp {
  if (!Number.isFinite(unixMs))
    throw new RangeError(`unixMs must be a finite number, got ${unixMs}`);
  let unixSeconds = Math.floor(unixMs / 1000);
  // max(0, …) also turns −0 (from tiny negative inputs) into 0.
  let fraction = Math.max(0, Math.round(((unixMs - unixSeconds * 1000) / 1000) * TWO_POW_32));
  if (fraction >= TWO_POW_32) {
    fraction -= TWO_POW_32;
    unixSeconds += 1;
  }
  const seconds = unixSeconds + NTP_UNIX_OFFSET_SECONDS;
  if (seconds < TWO_POW_31 || seconds >= TWO_POW_31 + TWO_POW_32) {
    throw new RangeError(
      `unixMs ${unixMs} is outside the NTP range 1968-01-20T03:14:08Z..2104-02-26T09:42:24Z`,
    );
  }
  return {
    ntpSeconds: seconds >= TWO_POW_32 ? seconds - TWO_POW_32 : seconds,
    ntpFraction: fraction,
  };
}

function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= TWO_POW_32) {
    throw new RangeError(`${name} must be an integer in 0..${TWO_POW_32 - 1}, got ${value}`);
  }
}
