import { describe, expect, it } from 'vitest';
import { OpusDepacketizer } from '../../../src/media/depacketize/index.js';
import { OpusPacketizer } from '../../../src/media/packetize/index.js';
import { parseRtpPacket } from '../../../src/rtp/rtp-packet.js';
import { depacketizeAll } from './depacketize-helper.js';

describe('OpusPacketizer', () => {
  it('packetize() carries one Opus packet per RTP packet, unchanged, with the marker the caller asks for', () => {
    const p = new OpusPacketizer({
      ssrc: 0xdead_beef,
      payloadType: 111,
      initialSequenceNumber: 0xfffe,
    });
    // TOC 0xfc: config 31 (CELT fullband 20 ms), stereo, code 0.
    const packets = [Uint8Array.of(0xfc, 1, 2, 3), Uint8Array.of(0xfc), Uint8Array.of(0xfc, 9)];
    const wire = [
      p.packetize(packets[0]!, 0xffff_fc40),
      p.packetize(packets[1]!, 0),
      p.packetize(packets[2]!, 19_200, true),
    ];
    const parsed = wire.map((w) => parseRtpPacket(w));
    expect(parsed.map((x) => x.sequenceNumber)).toEqual([0xfffe, 0xffff, 0]);
    expect(parsed.map((x) => x.marker)).toEqual([false, false, true]);
    expect(parsed.map((x) => [...x.payload])).toEqual(packets.map((x) => [...x]));
    expect(p.packetCount).toBe(3);
    expect(p.octetCount).toBe(7);
    const frames = depacketizeAll(new OpusDepacketizer(), wire);
    expect(frames.map((f) => f.data)).toEqual(packets);
    expect(frames.map((f) => f.durationTicks)).toEqual([960, 960, 960]);
  });

  it('an empty packet or a bad timestamp throws RangeError', () => {
    const p = new OpusPacketizer({ ssrc: 1, payloadType: 111 });
    expect(() => p.packetize(new Uint8Array(0), 0)).toThrow(/opusPacket/);
    expect(() => p.packetize(Uint8Array.of(0xfc), -1)).toThrow(/timestamp/);
    expect(
      () => new OpusPacketizer({ ssrc: 1, payloadType: 111, initialSequenceNumber: 70_000 }),
    ).toThrow(/initialSequenceNumber/);
  });
});
