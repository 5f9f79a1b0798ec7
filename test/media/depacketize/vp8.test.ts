import { describe, expect, it } from 'vitest';
import { createVp8Depacketizer, parseVp8Descriptor } from '../../../src/media/depacketize/vp8.js';
import type { Depacketizer, EncodedFrame, OrderedPacket } from '../../../src/media/types.js';
import { fill, vp8Interframe, vp8Keyframe } from './helpers/codec.js';
import { stream, without } from './helpers/rtp.js';

function runAll(d: Depacketizer, packets: readonly OrderedPacket[]): EncodedFrame[] {
  return [...packets.flatMap((p) => d.push(p)), ...d.flush()];
}

describe('parseVp8Descriptor()', () => {
  it('reads the 1-byte descriptor without extensions', () => {
    expect(parseVp8Descriptor(Uint8Array.of(0x10, 0xaa))).toEqual({
      nonReference: false,
      startOfPartition: true,
      partitionIndex: 0,
      headerLength: 1,
    });
  });

  it('reads I (15-bit picture id), L, T and K extensions', () => {
    const d = parseVp8Descriptor(
      Uint8Array.of(0xb3, 0xf0, 0x80 | 0x12, 0x34, 0x07, 0b10_1_00101, 0xaa),
    );
    expect(d).toEqual({
      nonReference: true,
      startOfPartition: true,
      partitionIndex: 3,
      pictureId: 0x1234,
      tl0PicIdx: 7,
      temporalLayer: 2,
      layerSync: true,
      keyIndex: 5,
      headerLength: 6,
    });
  });

  it('reads a 7-bit picture id', () => {
    expect(parseVp8Descriptor(Uint8Array.of(0x90, 0x80, 0x2a, 0xaa))).toMatchObject({
      pictureId: 0x2a,
      headerLength: 3,
    });
  });

  it('returns undefined when an announced extension byte is missing', () => {
    expect(parseVp8Descriptor(Uint8Array.of(0x90, 0x80, 0x80))).toBeUndefined();
    expect(parseVp8Descriptor(Uint8Array.of(0x90))).toBeUndefined();
    expect(parseVp8Descriptor(new Uint8Array(0))).toBeUndefined();
  });
});

describe('VP8 depacketizer', () => {
  it('emits a single-packet keyframe with the size from the keyframe header', () => {
    const key = vp8Keyframe(320, 240);
    const frames = runAll(
      createVp8Depacketizer(),
      stream([{ payload: [0x10, ...key], ts: 3000, marker: true }]),
    );
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      timestampTicks: 3000,
      keyframe: true,
      width: 320,
      height: 240,
      arrivalMs: 0,
    });
    expect([...frames[0]!.data]).toEqual(key);
  });

  it('assembles a frame from S=1/PID=0 over three packets with extensions, to the marker', () => {
    const key = vp8Keyframe(640, 360, 40);
    const ext = [0x80, 0x80 | 0x01, 0x02]; // X: I with 15-bit picture id 0x0102
    const d = createVp8Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: [0x90, ...ext, ...key.slice(0, 20)], ts: 90 },
        { payload: [0x80, ...ext, ...key.slice(20, 35)], ts: 90 },
        { payload: [0x81, ...ext, ...key.slice(35)], ts: 90, marker: true },
      ]),
    );
    expect(frames).toHaveLength(1);
    expect([...frames[0]!.data]).toEqual(key);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 640, height: 360 });
    expect(d.stats).toMatchObject({ received: 3, framesDropped: 0 });
  });

  it('ends a frame at a timestamp change when the marker is missing', () => {
    const frames = runAll(
      createVp8Depacketizer(),
      stream([
        { payload: [0x10, ...vp8Keyframe(16, 16)], ts: 0 },
        { payload: [0x10, ...vp8Interframe()], ts: 3000 },
      ]),
    );
    expect(frames.map((f) => [f.timestampTicks, f.keyframe])).toEqual([
      [0, true],
      [3000, false],
    ]);
  });

  it('drops a frame that lost its middle packet and skips frames until the next keyframe', () => {
    const key = vp8Keyframe(320, 240, 30);
    const packets = stream([
      { payload: [0x10, ...vp8Keyframe(320, 240)], ts: 0, marker: true },
      { payload: [0x10, ...vp8Interframe().slice(0, 6)], ts: 3000 },
      { payload: [0x00, ...fill(5, 1)], ts: 3000 },
      { payload: [0x00, ...fill(5, 2)], ts: 3000, marker: true },
      { payload: [0x10, ...vp8Interframe()], ts: 6000, marker: true },
      { payload: [0x10, ...key.slice(0, 20)], ts: 9000 },
      { payload: [0x00, ...key.slice(20)], ts: 9000, marker: true },
      { payload: [0x10, ...vp8Interframe()], ts: 12000, marker: true },
    ]);
    const d = createVp8Depacketizer();
    const frames = runAll(d, without(packets, 2));
    expect(frames.map((f) => f.timestampTicks)).toEqual([0, 9000, 12000]);
    expect(d.stats).toMatchObject({ framesDropped: 1, framesSkippedUntilKeyframe: 1 });
  });

  it('drops a frame whose first packet was lost (continuation without S)', () => {
    const key = vp8Keyframe(320, 240, 30);
    const packets = stream([
      { payload: [0x10, ...key.slice(0, 20)], ts: 0 },
      { payload: [0x00, ...key.slice(20)], ts: 0, marker: true },
    ]);
    const d = createVp8Depacketizer();
    expect(runAll(d, without(packets, 0))).toEqual([]);
    expect(d.stats.framesDropped).toBe(1);
  });

  it('skips interframes before the first keyframe', () => {
    const d = createVp8Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: [0x10, ...vp8Interframe()], ts: 0, marker: true },
        { payload: [0x10, ...vp8Keyframe(32, 32)], ts: 3000, marker: true },
      ]),
    );
    expect(frames.map((f) => f.keyframe)).toEqual([true]);
    expect(d.stats.framesSkippedUntilKeyframe).toBe(1);
  });

  it('counts padding-only packets without treating them as loss', () => {
    const d = createVp8Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: [0x10, ...vp8Keyframe(32, 32)], ts: 0, marker: true },
        { payload: [], ts: 0 },
        { payload: [], ts: 0 },
        { payload: [0x10, ...vp8Interframe()], ts: 3000, marker: true },
      ]),
    );
    expect(frames).toHaveLength(2);
    expect(d.stats).toMatchObject({ padding: 2, framesSkippedUntilKeyframe: 0, framesDropped: 0 });
  });

  it('takes arrivalMs from the frame’s first packet', () => {
    const packets = stream([
      { payload: [0x10, ...vp8Keyframe(32, 32)], ts: 0 },
      { payload: [0x00, 1, 2, 3], ts: 0, marker: true },
    ]);
    const frames = runAll(createVp8Depacketizer(), packets);
    expect(frames[0]!.arrivalMs).toBe(packets[0]!.arrivalMs);
  });

  it('drops a keyframe whose start code is wrong', () => {
    const bad = vp8Keyframe(32, 32);
    bad[3] = 0x00;
    const d = createVp8Depacketizer();
    expect(runAll(d, stream([{ payload: [0x10, ...bad], ts: 0, marker: true }]))).toEqual([]);
    expect(d.stats.framesDropped).toBe(1);
  });
});
