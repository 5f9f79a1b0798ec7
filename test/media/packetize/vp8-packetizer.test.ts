import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createVp8Depacketizer, parseVp8Descriptor } from '../../../src/media/depacketize/index.js';
import { Vp8Packetizer } from '../../../src/media/packetize/index.js';
import { parseRtpPacket } from '../../../src/rtp/rtp-packet.js';
import { depacketizeAll } from './depacketize-helper.js';

/** A VP8 keyframe start (P = 0, start code, 14-bit sizes) followed by `body`. */
function keyframe(width: number, height: number, body: Uint8Array): Uint8Array {
  const head = [
    0x50,
    0x01,
    0x00,
    0x9d,
    0x01,
    0x2a,
    width & 0xff,
    width >>> 8,
    height & 0xff,
    height >>> 8,
  ];
  return Uint8Array.from([...head, ...body]);
}

/** An interframe (P = 1) of `body` after a 3-byte frame tag. */
function interframe(body: Uint8Array): Uint8Array {
  return Uint8Array.from([0x51, 0x01, 0x00, ...body]);
}

describe('Vp8Packetizer', () => {
  it('packetize() cuts a 3000-byte frame into 3 packets of at most maxPayloadBytes, near-equal, marker on the last', () => {
    const p = new Vp8Packetizer({
      ssrc: 0x1234_5678,
      payloadType: 96,
      initialSequenceNumber: 7,
      initialPictureId: 300,
    });
    const frame = interframe(new Uint8Array(2997).fill(0xab));
    const packets = p.packetize(frame, 90_000).map((b) => parseRtpPacket(b));
    expect(packets.map((x) => x.payload.byteLength)).toEqual([1004, 1004, 1004]);
    expect(packets.map((x) => x.marker)).toEqual([false, false, true]);
    expect(packets.map((x) => x.sequenceNumber)).toEqual([7, 8, 9]);
    expect(
      packets.every(
        (x) => x.timestamp === 90_000 && x.ssrc === 0x1234_5678 && x.payloadType === 96,
      ),
    ).toBe(true);
    const descriptors = packets.map((x) => parseVp8Descriptor(x.payload)!);
    expect(descriptors.map((d) => d.startOfPartition)).toEqual([true, false, false]);
    expect(descriptors.map((d) => d.pictureId)).toEqual([300, 300, 300]);
    expect(
      descriptors.every((d) => d.headerLength === 4 && d.partitionIndex === 0 && !d.nonReference),
    ).toBe(true);
    expect(p.packetCount).toBe(3);
    expect(p.octetCount).toBe(3012);
  });

  it('packetize() round-trips through the VP8 depacketizer for any frame sizes and payload limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 4000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 5, max: 1500 }),
        fc.integer({ min: 0, max: 0xffff }),
        (bodies, maxPayloadBytes, initialSequenceNumber) => {
          const p = new Vp8Packetizer({
            ssrc: 1,
            payloadType: 96,
            maxPayloadBytes,
            initialSequenceNumber,
          });
          const frames = bodies.map((b, i) => (i === 0 ? keyframe(640, 360, b) : interframe(b)));
          const wire = frames.flatMap((f, i) => p.packetize(f, (0xffff_f000 + i * 3000) >>> 0));
          for (const w of wire)
            expect(parseRtpPacket(w).payload.byteLength).toBeLessThanOrEqual(maxPayloadBytes);
          const out = depacketizeAll(createVp8Depacketizer(), wire);
          expect(out.map((f) => f.data)).toEqual(frames);
          expect(out[0]).toMatchObject({ keyframe: true, width: 640, height: 360 });
          expect(out.slice(1).every((f) => !f.keyframe)).toBe(true);
        },
      ),
      { seed: 7741, numRuns: 300 },
    );
  });

  it('picture ids wrap from 32767 to 0 and sequence numbers from 65535 to 0', () => {
    const p = new Vp8Packetizer({
      ssrc: 1,
      payloadType: 96,
      initialSequenceNumber: 0xffff,
      initialPictureId: 0x7fff,
    });
    const a = p.packetize(interframe(new Uint8Array(10)), 0).map((b) => parseRtpPacket(b));
    const b = p.packetize(interframe(new Uint8Array(10)), 3000).map((b) => parseRtpPacket(b));
    expect([a[0]!.sequenceNumber, b[0]!.sequenceNumber]).toEqual([0xffff, 0]);
    expect([
      parseVp8Descriptor(a[0]!.payload)!.pictureId,
      parseVp8Descriptor(b[0]!.payload)!.pictureId,
    ]).toEqual([0x7fff, 0]);
    expect(p.nextPictureId).toBe(1);
    expect(p.nextSequenceNumber).toBe(1);
  });

  it('bad options and arguments throw RangeError naming them', () => {
    expect(() => new Vp8Packetizer({ ssrc: -1, payloadType: 96 })).toThrow(/options\.ssrc/);
    expect(() => new Vp8Packetizer({ ssrc: 1, payloadType: 128 })).toThrow(/options\.payloadType/);
    expect(() => new Vp8Packetizer({ ssrc: 1, payloadType: 96, initialPictureId: 0x8000 })).toThrow(
      /options\.initialPictureId/,
    );
    expect(() => new Vp8Packetizer({ ssrc: 1, payloadType: 96, maxPayloadBytes: 4 })).toThrow(
      /options\.maxPayloadBytes/,
    );
    const p = new Vp8Packetizer({ ssrc: 1, payloadType: 96 });
    expect(() => p.packetize(new Uint8Array(0), 0)).toThrow(RangeError);
    expect(() => p.packetize(new Uint8Array(1), 2 ** 32)).toThrow(/timestamp/);
  });
});
