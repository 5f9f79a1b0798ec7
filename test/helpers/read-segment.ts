/**
 * Reads a (small) segment rtpdump whole, for tests: RTP packets parsed, RTCP kept as
 * bytes, each with its arrival time as integer Unix ms (file start + record offset).
 */
import { openRtpdump } from '../../src/rtpdump/read-rtpdump.js';
import type { RtpdumpFileHeader } from '../../src/rtpdump/core/types.js';
import { parseRtpPacket, type RtpPacket } from '../../src/rtp/rtp-packet.js';

export type ReadSegment = {
  readonly header: RtpdumpFileHeader;
  readonly startUnixMs: number;
  readonly rtp: readonly { readonly packet: RtpPacket; readonly arrivalMs: number }[];
  readonly rtcp: readonly { readonly bytes: Uint8Array; readonly arrivalMs: number }[];
  /** Record kinds in file order ('rtp' | 'rtcp'). */
  readonly order: readonly ('rtp' | 'rtcp')[];
};

export async function readSegment(file: string): Promise<ReadSegment> {
  const dump = await openRtpdump(file);
  const startUnixMs =
    dump.header.startSeconds * 1000 + Math.floor(dump.header.startMicroseconds / 1000);
  const rtp: { packet: RtpPacket; arrivalMs: number }[] = [];
  const rtcp: { bytes: Uint8Array; arrivalMs: number }[] = [];
  const order: ('rtp' | 'rtcp')[] = [];
  for await (const record of dump.records()) {
    const arrivalMs = startUnixMs + record.offsetMs;
    if (record.isRtcp) rtcp.push({ bytes: record.packet, arrivalMs });
    else rtp.push({ packet: parseRtpPacket(record.packet), arrivalMs });
    order.push(record.isRtcp ? 'rtcp' : 'rtp');
  }
  return { header: dump.header, startUnixMs, rtp, rtcp, order };
}
