import { describe, expect, it } from 'vitest';
import { createVp9Depacketizer, parseVp9Descriptor } from '../../../src/media/depacketize/vp9.js';
import {
  buildVp9Superframe,
  hasVp9SuperframeIndex,
  parseVp9FrameHeader,
} from '../../../src/media/depacketize/vp9-header.js';
import { ParseError } from '../../../src/errors.js';
import type { Depacketizer, EncodedFrame, OrderedPacket } from '../../../src/media/types.js';
import { vp9Interframe, vp9Keyframe } from './helpers/codec.js';
import { BitWriter, stream, without } from './helpers/rtp.js';

function runAll(d: Depacketizer, packets: readonly OrderedPacket[]): EncodedFrame[] {
  return [...packets.flatMap((p) => d.push(p)), ...d.flush()];
}

// Descriptor first bytes: I P L F B E V Z
const B = 0x08;
const E = 0x04;

/** Non-flexible descriptor with a 15-bit picture id, L (TID/SID) + TL0PICIDX, optional SS. */
function nonFlexible(flags: number, pictureId: number, ss?: number[]): number[] {
  const v = ss ? 0x02 : 0;
  return [
    0x80 | 0x20 | flags | v,
    0x80 | (pictureId >> 8),
    pictureId & 0xff,
    0x00,
    0x05,
    ...(ss ?? []),
  ];
}

/** SS: one spatial layer with Y (size) and G (one group, no references). */
function ss(width: number, height: number): number[] {
  return [0x18, width >> 8, width & 0xff, height >> 8, height & 0xff, 0x01, 0x00];
}

/** Flexible descriptor: I (7-bit id), P with two P_DIFFs. */
function flexible(flags: number, pictureId: number): number[] {
  return [0x80 | 0x40 | 0x10 | flags, pictureId & 0x7f, (1 << 1) | 1, 2 << 1];
}

describe('parseVp9Descriptor()', () => {
  it('reads the non-flexible descriptor with layer indices and a scalability structure', () => {
    const d = parseVp9Descriptor(
      Uint8Array.from([...nonFlexible(B | E, 0x1234, ss(640, 360)), 0xaa]),
    );
    expect(d).toEqual({
      interPicturePredicted: false,
      flexible: false,
      beginsFrame: true,
      endsFrame: true,
      pictureId: 0x1234,
      temporalId: 0,
      spatialId: 0,
      tl0PicIdx: 5,
      referenceDiffs: [],
      layerSizes: [{ width: 640, height: 360 }],
      headerLength: 12,
    });
  });

  it('reads flexible-mode reference diffs', () => {
    const d = parseVp9Descriptor(Uint8Array.from([...flexible(B, 9), 0xaa]));
    expect(d).toMatchObject({
      flexible: true,
      pictureId: 9,
      referenceDiffs: [1, 2],
      headerLength: 4,
    });
  });

  it('rejects a fourth P_DIFF and a truncated SS', () => {
    expect(
      parseVp9Descriptor(Uint8Array.of(0xd8, 0x01, 0x03, 0x03, 0x03, 0x02, 0xaa)),
    ).toBeUndefined();
    expect(parseVp9Descriptor(Uint8Array.of(0x0a, 0x18, 0x02))).toBeUndefined();
  });
});

describe('parseVp9FrameHeader()', () => {
  it('reads keyframe size and tells inter frames and show-existing frames apart', () => {
    expect(parseVp9FrameHeader(Uint8Array.from(vp9Keyframe(1280, 720)))).toEqual({
      profile: 0,
      showExistingFrame: false,
      keyframe: true,
      width: 1280,
      height: 720,
    });
    expect(parseVp9FrameHeader(Uint8Array.from(vp9Interframe()))).toMatchObject({
      keyframe: false,
    });
    expect(parseVp9FrameHeader(Uint8Array.of(0x88))).toMatchObject({
      showExistingFrame: true,
      keyframe: false,
    });
  });

  it('reads a profile-1 keyframe (subsampling bits) and throws ParseError on a bad frame marker or sync code', () => {
    const p1 = new BitWriter()
      .u(2, 2)
      .u(1, 1)
      .u(1, 0)
      .u(1, 0)
      .u(1, 0)
      .u(1, 1)
      .u(1, 0)
      .u(24, 0x498342);
    p1.u(3, 2).u(1, 0).u(1, 0).u(1, 0).u(1, 0).u(16, 99).u(16, 49);
    expect(parseVp9FrameHeader(p1.bytes())).toMatchObject({
      profile: 1,
      keyframe: true,
      width: 100,
      height: 50,
    });
    expect(() => parseVp9FrameHeader(Uint8Array.of(0x00))).toThrow(ParseError);
    const badSync = Uint8Array.from(vp9Keyframe(16, 16));
    badSync[1] = 0;
    expect(() => parseVp9FrameHeader(badSync)).toThrow(ParseError);
    expect(() => parseVp9FrameHeader(Uint8Array.of(0x82, 0x49))).toThrow(ParseError);
  });
});

describe('VP9 depacketizer', () => {
  it('non-flexible mode with SS: keyframe over two packets, size from the SS', () => {
    const key = vp9Keyframe(640, 360, 30);
    const frames = runAll(
      createVp9Depacketizer(),
      stream([
        { payload: [...nonFlexible(B, 1, ss(640, 360)), ...key.slice(0, 20)], ts: 0 },
        { payload: [...nonFlexible(E, 1), ...key.slice(20)], ts: 0, marker: true },
        { payload: [...nonFlexible(B | E | 0x40, 2), ...vp9Interframe()], ts: 3000, marker: true },
      ]),
    );
    expect(frames).toHaveLength(2);
    expect([...frames[0]!.data]).toEqual(key);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 640, height: 360 });
    expect(frames[1]).toMatchObject({ keyframe: false, timestampTicks: 3000 });
    expect(frames[1]!.width).toBeUndefined();
  });

  it('takes the size from the keyframe header when no SS is sent', () => {
    const frames = runAll(
      createVp9Depacketizer(),
      stream([
        { payload: [...nonFlexible(B | E, 1), ...vp9Keyframe(320, 180)], ts: 0, marker: true },
      ]),
    );
    expect(frames[0]).toMatchObject({ keyframe: true, width: 320, height: 180 });
  });

  it('flexible mode: multi-packet inter frame after a keyframe', () => {
    const inter = vp9Interframe(40);
    const frames = runAll(
      createVp9Depacketizer(),
      stream([
        { payload: [0x80 | 0x10 | B | E, 1, ...vp9Keyframe(64, 64)], ts: 0, marker: true },
        { payload: [...flexible(B, 2), ...inter.slice(0, 10)], ts: 3000 },
        { payload: [...flexible(0, 2), ...inter.slice(10, 30)], ts: 3000 },
        { payload: [...flexible(E, 2), ...inter.slice(30)], ts: 3000, marker: true },
      ]),
    );
    expect(frames.map((f) => f.keyframe)).toEqual([true, false]);
    expect([...frames[1]!.data]).toEqual(inter);
  });

  it('decides keyframes from the frame header, not the P bit (ffmpeg 5.1 sets P wrongly)', () => {
    const d = createVp9Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: [0x40 | B | E, ...vp9Keyframe(64, 64)], ts: 0, marker: true },
        { payload: [B | E, ...vp9Interframe()], ts: 3000, marker: true },
      ]),
    );
    expect(frames.map((f) => f.keyframe)).toEqual([true, false]);
  });

  it('passes an encoder superframe through unchanged', () => {
    const hidden = Uint8Array.from(vp9Keyframe(64, 64));
    const shown = Uint8Array.of(0x8e, 1, 2, 3); // show_existing_frame… any second frame
    const superframe = buildVp9Superframe([hidden, shown]);
    expect(hasVp9SuperframeIndex(superframe)).toBe(true);
    const frames = runAll(
      createVp9Depacketizer(),
      stream([{ payload: [B | E, ...superframe], ts: 0, marker: true }]),
    );
    expect([...frames[0]!.data]).toEqual([...superframe]);
    expect(frames[0]!.keyframe).toBe(true);
  });

  it('joins the spatial layers of one picture into a superframe with an index', () => {
    const base = Uint8Array.from(vp9Keyframe(320, 180));
    const top = Uint8Array.from(vp9Interframe(300));
    const frames = runAll(
      createVp9Depacketizer(),
      stream([
        { payload: [0x20 | B | E, 0x00, 0x00, ...base], ts: 0 },
        { payload: [0x20 | B, 0x02, 0x00, ...top.subarray(0, 100)], ts: 0 },
        { payload: [0x20 | E, 0x02, 0x00, ...top.subarray(100)], ts: 0, marker: true },
      ]),
    );
    expect(frames).toHaveLength(1);
    const data = frames[0]!.data;
    expect(hasVp9SuperframeIndex(data)).toBe(true);
    const marker = data[data.length - 1]!;
    expect(marker).toBe(0xc0 | (1 << 3) | 1); // 2-byte sizes, 2 frames
    const indexStart = data.length - 6;
    expect([
      data[indexStart + 1]! | (data[indexStart + 2]! << 8),
      data[indexStart + 3]! | (data[indexStart + 4]! << 8),
    ]).toEqual([base.length, top.length]);
    expect([...data.subarray(0, base.length)]).toEqual([...base]);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 320, height: 180 });
  });

  it('drops a frame that lost its E packet and waits for the next keyframe', () => {
    const inter = vp9Interframe(20);
    const packets = stream([
      { payload: [B | E, ...vp9Keyframe(64, 64)], ts: 0, marker: true },
      { payload: [B, ...inter.slice(0, 10)], ts: 3000 },
      { payload: [E, ...inter.slice(10)], ts: 3000, marker: true },
      { payload: [B | E, ...vp9Interframe()], ts: 6000, marker: true },
      { payload: [B | E, ...vp9Keyframe(64, 64)], ts: 9000, marker: true },
    ]);
    const d = createVp9Depacketizer();
    const frames = runAll(d, without(packets, 2));
    expect(frames.map((f) => f.timestampTicks)).toEqual([0, 9000]);
    expect(d.stats).toMatchObject({ framesDropped: 1, framesSkippedUntilKeyframe: 1 });
  });

  it('drops a frame whose B packet never came (stream ends without E)', () => {
    const d = createVp9Depacketizer();
    expect(runAll(d, stream([{ payload: [B, ...vp9Keyframe(64, 64)], ts: 0 }]))).toEqual([]);
    expect(d.stats.framesDropped).toBe(1);
  });
});
