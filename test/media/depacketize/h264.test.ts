import { describe, expect, it } from 'vitest';
import { buildAvcDecoderConfig } from '../../../src/media/depacketize/avc-config.js';
import { createH264Depacketizer, toAvcc } from '../../../src/media/depacketize/h264.js';
import { parseH264Sps } from '../../../src/media/depacketize/h264-sps.js';
import type { Depacketizer, EncodedFrame, OrderedPacket } from '../../../src/media/types.js';
import {
  AUD,
  fuA,
  IDR,
  NON_IDR,
  PPS,
  PPS_ID1,
  SEI,
  SPS_1920x1080,
  SPS_320x240,
  stapA,
} from './helpers/codec.js';
import { stream, without } from './helpers/rtp.js';

function runAll(d: Depacketizer, packets: readonly OrderedPacket[]): EncodedFrame[] {
  return [...packets.flatMap((p) => d.push(p)), ...d.flush()];
}

/** AVCC bytes → NAL units. */
function nalsOf(avcc: Uint8Array): number[][] {
  const out: number[][] = [];
  let pos = 0;
  while (pos < avcc.length) {
    const len =
      ((avcc[pos]! << 24) | (avcc[pos + 1]! << 16) | (avcc[pos + 2]! << 8) | avcc[pos + 3]!) >>> 0;
    out.push([...avcc.subarray(pos + 4, pos + 4 + len)]);
    pos += 4 + len;
  }
  return out;
}

describe('buildAvcDecoderConfig()', () => {
  it('writes version, profile, 4-byte lengths, SPS and PPS lists', () => {
    const rec = buildAvcDecoderConfig([SPS_320x240], [PPS], parseH264Sps(SPS_320x240));
    expect([...rec.subarray(0, 6)]).toEqual([1, 0x42, 0xc0, 0x0b, 0xff, 0xe1]);
    expect(rec[6]! * 256 + rec[7]!).toBe(SPS_320x240.length);
    expect([...rec.subarray(8, 8 + SPS_320x240.length)]).toEqual([...SPS_320x240]);
    const p = 8 + SPS_320x240.length;
    expect([...rec.subarray(p)]).toEqual([1, 0, PPS.length, ...PPS]);
  });

  it('appends chroma format and bit depths for High profile', () => {
    const rec = buildAvcDecoderConfig([SPS_1920x1080], [PPS], parseH264Sps(SPS_1920x1080));
    expect([...rec.subarray(rec.length - 4)]).toEqual([0xfd, 0xf8, 0xf8, 0x00]);
  });
});

describe('H264 depacketizer', () => {
  it('single NAL units: SPS, PPS, IDR become one AVCC keyframe with the config record and size', () => {
    const d = createH264Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: SPS_320x240, ts: 0 },
        { payload: PPS, ts: 0 },
        { payload: IDR, ts: 0, marker: true },
        { payload: NON_IDR, ts: 3000, marker: true },
      ]),
    );
    expect(frames).toHaveLength(2);
    expect(nalsOf(frames[0]!.data)).toEqual([[...IDR]]);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 320, height: 240 });
    expect(frames[0]!.codecDescription).toBe(d.codecDescription);
    expect([...d.codecDescription!]).toEqual([
      ...buildAvcDecoderConfig([SPS_320x240], [PPS], parseH264Sps(SPS_320x240)),
    ]);
    expect(frames[1]).toMatchObject({ keyframe: false, timestampTicks: 3000 });
    expect(frames[1]!.codecDescription).toBeUndefined();
  });

  it('STAP-A with SPS, PPS and IDR: parameter sets leave the frame', () => {
    const frames = runAll(
      createH264Depacketizer(),
      stream([{ payload: stapA(SPS_320x240, PPS, IDR), ts: 0, marker: true }]),
    );
    expect(frames).toHaveLength(1);
    expect(nalsOf(frames[0]!.data)).toEqual([[...IDR]]);
    expect(frames[0]!.keyframe).toBe(true);
  });

  it('FU-A across three packets reassembles the NAL unit with its header', () => {
    const big = Uint8Array.from([0x65, ...Array.from({ length: 300 }, (_, i) => i & 0xff)]);
    const [a, b, c] = fuA(big, 3);
    const frames = runAll(
      createH264Depacketizer(),
      stream([
        { payload: stapA(SPS_320x240, PPS), ts: 0 },
        { payload: a!, ts: 0 },
        { payload: b!, ts: 0 },
        { payload: c!, ts: 0, marker: true },
      ]),
    );
    expect(nalsOf(frames[0]!.data)).toEqual([[...big]]);
    expect(frames[0]!.keyframe).toBe(true);
  });

  it('a missing FU-A middle fragment drops the frame and the stream waits for the next IDR', () => {
    const big = Uint8Array.from([0x41, ...Array.from({ length: 90 }, (_, i) => i)]);
    const [a, b, c] = fuA(big, 3);
    const packets = stream([
      { payload: stapA(SPS_320x240, PPS, IDR), ts: 0, marker: true },
      { payload: a!, ts: 3000 },
      { payload: b!, ts: 3000 },
      { payload: c!, ts: 3000, marker: true },
      { payload: NON_IDR, ts: 6000, marker: true },
      { payload: stapA(SPS_320x240, PPS, IDR), ts: 9000, marker: true },
    ]);
    const d = createH264Depacketizer();
    const frames = runAll(d, without(packets, 2));
    expect(frames.map((f) => f.timestampTicks)).toEqual([0, 9000]);
    expect(d.stats).toMatchObject({ framesDropped: 1, framesSkippedUntilKeyframe: 1 });
  });

  it('an FU-A that never ends (timestamp changes) drops the frame', () => {
    const [a] = fuA(IDR, 2);
    const d = createH264Depacketizer();
    runAll(
      d,
      stream([
        { payload: stapA(SPS_320x240, PPS), ts: 0 },
        { payload: a!, ts: 0 },
        { payload: NON_IDR, ts: 3000, marker: true },
      ]),
    );
    expect(d.stats.framesDropped).toBe(1);
  });

  it('drops access unit delimiters and keeps SEI in the access unit', () => {
    const frames = runAll(
      createH264Depacketizer(),
      stream([{ payload: stapA(AUD, SPS_320x240, PPS, SEI, IDR), ts: 0, marker: true }]),
    );
    expect(nalsOf(frames[0]!.data)).toEqual([[...SEI], [...IDR]]);
  });

  it('skips IDR frames until SPS and PPS are known', () => {
    const d = createH264Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: IDR, ts: 0, marker: true },
        { payload: stapA(SPS_320x240, PPS, IDR), ts: 3000, marker: true },
      ]),
    );
    expect(frames.map((f) => f.timestampTicks)).toEqual([3000]);
    expect(d.stats.framesSkippedUntilKeyframe).toBe(1);
  });

  it('replaces codecDescription when the SPS changes and reports the new size on the keyframe', () => {
    const d = createH264Depacketizer();
    const frames = runAll(
      d,
      stream([
        { payload: stapA(SPS_320x240, PPS, IDR), ts: 0, marker: true },
        { payload: stapA(SPS_320x240, PPS, IDR), ts: 3000, marker: true },
        { payload: stapA(SPS_1920x1080, PPS, IDR), ts: 6000, marker: true },
      ]),
    );
    expect(frames.map((f) => [f.width, f.height])).toEqual([
      [320, 240],
      [320, 240],
      [1920, 1080],
    ]);
    expect(frames[1]!.codecDescription).toBe(frames[0]!.codecDescription);
    expect(frames[2]!.codecDescription).not.toBe(frames[0]!.codecDescription);
    expect(d.codecDescription).toBe(frames[2]!.codecDescription);
    expect(d.codecDescription![1]).toBe(100);
  });

  it('keeps every PPS id in the config record', () => {
    const d = createH264Depacketizer();
    runAll(d, stream([{ payload: stapA(SPS_320x240, PPS, PPS_ID1, IDR), ts: 0, marker: true }]));
    const rec = d.codecDescription!;
    const ppsCountAt = 8 + SPS_320x240.length;
    expect(rec[ppsCountAt]).toBe(2);
  });

  it('ends access units at a timestamp change when the marker is missing', () => {
    const frames = runAll(
      createH264Depacketizer(),
      stream([
        { payload: stapA(SPS_320x240, PPS, IDR), ts: 0 },
        { payload: NON_IDR, ts: 3000 },
        { payload: NON_IDR, ts: 6000 },
      ]),
    );
    expect(frames.map((f) => f.timestampTicks)).toEqual([0, 3000, 6000]);
  });

  it('drops malformed aggregates and unsupported packet types, counting them', () => {
    const d = createH264Depacketizer();
    runAll(
      d,
      stream([
        { payload: stapA(SPS_320x240, PPS, IDR), ts: 0, marker: true },
        { payload: [0x18, 0x00, 0x09, 0x41], ts: 3000, marker: true }, // STAP-A size overruns
        { payload: [0x19, 0x00, 0x00], ts: 6000, marker: true }, // STAP-B (interleaved mode)
      ]),
    );
    expect(d.stats.framesDropped).toBe(2);
  });

  it('toAvcc() prefixes 4-byte big-endian lengths', () => {
    expect([...toAvcc([Uint8Array.of(1, 2), Uint8Array.of(3)])]).toEqual([
      0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 3,
    ]);
  });
});
