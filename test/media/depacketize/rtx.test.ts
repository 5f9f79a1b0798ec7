import { describe, expect, it } from 'vitest';
import { RtxRestorer } from '../../../src/media/depacketize/rtx.js';
import { ReorderBuffer } from '../../../src/media/reorder/reorder-buffer.js';
import { rtp } from './helpers/rtp.js';

describe('RtxRestorer', () => {
  it('restores sequence number (OSN), payload type and SSRC, and strips the OSN', () => {
    const rtx = new RtxRestorer({ payloadTypes: new Map([[97, 96]]), originalSsrc: 0xaabbccdd });
    const packet = rtp({
      payloadType: 97,
      sequenceNumber: 5,
      timestamp: 9000,
      ssrc: 0x55,
      marker: true,
      payload: Uint8Array.of(0x12, 0x34, 7, 8),
    });
    const out = rtx.push({ packet, arrivalMs: 42 });
    expect(out).toHaveLength(1);
    expect(out[0]!.arrivalMs).toBe(42);
    expect(out[0]!.packet).toMatchObject({
      payloadType: 96,
      sequenceNumber: 0x1234,
      ssrc: 0xaabbccdd,
      timestamp: 9000,
      marker: true,
    });
    expect([...out[0]!.packet.payload]).toEqual([7, 8]);
    expect(rtx.stats).toMatchObject({ received: 1, rtxRestored: 1 });
  });

  it('gives restored packets the SSRC of the media stream seen so far when none is configured', () => {
    const rtx = new RtxRestorer({ payloadTypes: new Map([[97, 96]]) });
    const media = {
      packet: rtp({ payloadType: 96, ssrc: 0x1111, payload: Uint8Array.of(1) }),
      arrivalMs: 0,
    };
    expect(rtx.push(media)).toEqual([media]);
    const [restored] = rtx.push({
      packet: rtp({ payloadType: 97, ssrc: 0x2222, payload: Uint8Array.of(0, 1, 2) }),
      arrivalMs: 0,
    });
    expect(restored!.packet.ssrc).toBe(0x1111);
  });

  it('drops payload-less RTX padding probes and counts them', () => {
    const rtx = new RtxRestorer({ payloadTypes: new Map([[97, 96]]) });
    expect(rtx.push({ packet: rtp({ payloadType: 97, paddingLength: 200 }) })).toEqual([]);
    expect(rtx.push({ packet: rtp({ payloadType: 97, payload: Uint8Array.of(1) }) })).toEqual([]);
    expect(rtx.stats).toMatchObject({ received: 2, padding: 2, rtxRestored: 0 });
    expect(rtx.handles(97)).toBe(true);
    expect(rtx.handles(96)).toBe(false);
  });

  it('feeds the reorder buffer: a retransmission fills a gap, a copy of an arrived packet is a duplicate', () => {
    const rtx = new RtxRestorer({ payloadTypes: new Map([[97, 96]]) });
    const reorder = new ReorderBuffer({ maxDelayPackets: 10 });
    const media = (seq: number) => ({
      packet: rtp({ sequenceNumber: seq, payload: Uint8Array.of(seq) }),
      arrivalMs: seq,
    });
    const retrans = (rtxSeq: number, osn: number) => ({
      packet: rtp({
        payloadType: 97,
        ssrc: 0x999,
        sequenceNumber: rtxSeq,
        payload: Uint8Array.of(osn >> 8, osn & 0xff, osn),
      }),
      arrivalMs: 100,
    });
    const inputs = [media(1), media(2), media(4), retrans(500, 3), retrans(501, 2), media(5)];
    const out = inputs.flatMap((i) => rtx.push(i)).flatMap((i) => reorder.push(i));
    out.push(...reorder.flush());
    expect(out.map((p) => p.packet.sequenceNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(out.map((p) => p.packet.payload[0])).toEqual([1, 2, 3, 4, 5]);
    expect(reorder.stats).toMatchObject({ lost: 0, duplicates: 1 });
  });

  it('rejects bad options with errors naming the option', () => {
    expect(() => new RtxRestorer({ payloadTypes: new Map([[200, 96]]) })).toThrow(
      /options\.payloadTypes key/,
    );
    expect(() => new RtxRestorer({ payloadTypes: {} as unknown as Map<number, number> })).toThrow(
      TypeError,
    );
    expect(() => new RtxRestorer({ payloadTypes: new Map(), originalSsrc: -1 })).toThrow(
      /options\.originalSsrc/,
    );
  });
});
