import { Unwrapper } from '../../../src/lib/wrap.js';
import { parseRtpPacket } from '../../../src/rtp/rtp-packet.js';
import type { Depacketizer, EncodedFrame } from '../../../src/media/types.js';

/** Feeds wire packets (in order) through a depacketizer, as the reader pipeline would. */
export function depacketizeAll(
  depacketizer: Depacketizer,
  packets: readonly Uint8Array[],
): EncodedFrame[] {
  const seq = new Unwrapper(16);
  const ts = new Unwrapper(32);
  const frames: EncodedFrame[] = [];
  packets.forEach((bytes, i) => {
    const packet = parseRtpPacket(bytes);
    frames.push(
      ...depacketizer.push({
        packet,
        extSeq: seq.unwrap(packet.sequenceNumber),
        extTimestamp: ts.unwrap(packet.timestamp),
        arrivalMs: i,
      }),
    );
  });
  return [...frames, ...depacketizer.flush()];
}
