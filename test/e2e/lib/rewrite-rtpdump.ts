/**
 * Rewrites a captured rtpdump record by record, to build the irregular inputs real
 * networks produce (loss, reordering, duplication, wrap-around, DTX) from a real capture.
 */
import { rename } from 'node:fs/promises';
import { parseRtpPacket, serializeRtpPacket, type RtpPacket } from '../../../src/rtp/rtp-packet.js';
import { openRtpdump } from '../../../src/rtpdump/read-rtpdump.js';
import { RtpdumpWriter } from '../../../src/rtpdump/rtpdump-writer.js';
import type { RtpdumpRecord } from '../../../src/rtpdump/core/types.js';

export type RtpRecord = { readonly offsetMs: number; readonly packet: RtpPacket };

/**
 * Calls `edit` with every RTP record (in file order) and writes what it returns; RTCP
 * records are kept as they are, in place.
 */
export async function rewriteRtpdump(
  file: string,
  edit: (records: RtpRecord[]) => RtpRecord[],
): Promise<void> {
  const input = await openRtpdump(file);
  const rtcp: RtpdumpRecord[] = [];
  const rtp: RtpRecord[] = [];
  for await (const r of input.records()) {
    if (r.isRtcp) rtcp.push(r);
    else rtp.push({ offsetMs: r.offsetMs, packet: parseRtpPacket(r.packet) });
  }
  await input.close();
  const edited = edit(rtp);
  const tmp = `${file}.rewrite`;
  const writer = await RtpdumpWriter.open(tmp, {
    address: input.header.address === '0.0.0.0' ? '127.0.0.1' : input.header.address,
    port: input.header.port || 5004,
    startSeconds: input.header.startSeconds,
    startMicroseconds: input.header.startMicroseconds,
  });
  // RTP records keep the edited order (reordering is the point); RTCP records go back in
  // before the first RTP record that arrived after them.
  let next = 0;
  for (const r of edited) {
    while (next < rtcp.length && (rtcp[next]?.offsetMs ?? Infinity) <= r.offsetMs) {
      const c = rtcp[next++] as RtpdumpRecord;
      await writer.write({ offsetMs: c.offsetMs, packet: c.packet, isRtcp: true });
    }
    await writer.write({ offsetMs: r.offsetMs, packet: serializeRtpPacket(r.packet), isRtcp: false });
  }
  for (const c of rtcp.slice(next)) await writer.write({ offsetMs: c.offsetMs, packet: c.packet, isRtcp: true });
  await writer.close();
  await rename(tmp, file);
}

/** A seeded PRNG (mulberry32) so every irregular input is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
