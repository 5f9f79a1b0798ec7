/**
 * The RTCP compound a sender emits periodically: a sender report, then an SDES packet
 * with its CNAME (RFC 3550 §6.1: every compound carries a CNAME). The SR binds the
 * sender's wall clock (NTP) to its RTP clock; packet and octet counts are the sender's
 * totals so far (the packetizers' `packetCount` / `octetCount`).
 *
 * ```text
 * +-------------------------------+------------------------------+
 * | SR: ssrc, NTP, RTP ts, counts | SDES: ssrc, CNAME item, END  |
 * +-------------------------------+------------------------------+
 * ```
 * @see RFC 3550 §6.4.1 (SR), §6.5.1 (CNAME), §6.1 (compound packets)
 */
import { unixMsToNtp } from '../../rtp/ntp-time.js';
import { serializeRtcpCompound } from '../../rtp/rtcp-serialize.js';
import { SdesItemType, type RtcpPacketInit } from '../../rtp/rtcp-types.js';
import { checkIntegerOption } from './rtp-stream-options.js';

export type SenderReportInit = {
  readonly ssrc: number;
  /** The sender's wall clock when it sends the report, Unix ms (fractions kept). */
  readonly ntpUnixMs: number;
  /** The RTP timestamp that corresponds to `ntpUnixMs`, 0..2^32−1. */
  readonly rtpTimestamp: number;
  /** Packets sent so far, wrapping at 2^32. */
  readonly packetCount: number;
  /** Payload octets sent so far, wrapping at 2^32. */
  readonly octetCount: number;
  /** CNAME for the SDES packet; omitted means a bare SR. Default none. */
  readonly cname?: string;
};

/** Serializes the SR (+ SDES CNAME) compound. RangeError names the field out of range. */
export function buildSenderReport(init: SenderReportInit): Uint8Array {
  const ssrc = checkIntegerOption('init.ssrc', init.ssrc, 0, 0xffff_ffff);
  const rtpTimestamp = checkIntegerOption('init.rtpTimestamp', init.rtpTimestamp, 0, 0xffff_ffff);
  const packetCount = checkIntegerOption(
    'init.packetCount',
    init.packetCount,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const octetCount = checkIntegerOption(
    'init.octetCount',
    init.octetCount,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const ntp = unixMsToNtp(init.ntpUnixMs);
  const packets: RtcpPacketInit[] = [
    {
      type: 'sr',
      ssrc,
      ntpSeconds: ntp.ntpSeconds,
      ntpFraction: ntp.ntpFraction,
      rtpTimestamp,
      packetCount: packetCount % 0x1_0000_0000,
      octetCount: octetCount % 0x1_0000_0000,
    },
  ];
  if (init.cname !== undefined) {
    packets.push({
      type: 'sdes',
      chunks: [{ ssrc, items: [{ type: SdesItemType.CNAME, text: init.cname }] }],
    });
  }
  return serializeRtcpCompound(packets);
}
