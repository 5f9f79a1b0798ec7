import fc from 'fast-check';
import { OpusDecoder } from 'opus-decoder';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { opusConfigFor, opusPacketInfo } from '../../src/media/opus/toc.js';

/** RFC 6716 Table 2, written out row by row (config ranges → mode, bandwidth, sizes in ms). */
const TABLE_2: readonly [number, number, string, string, readonly number[]][] = [
  [0, 3, 'silk', 'narrowband', [10, 20, 40, 60]],
  [4, 7, 'silk', 'mediumband', [10, 20, 40, 60]],
  [8, 11, 'silk', 'wideband', [10, 20, 40, 60]],
  [12, 13, 'hybrid', 'superwideband', [10, 20]],
  [14, 15, 'hybrid', 'fullband', [10, 20]],
  [16, 19, 'celt', 'narrowband', [2.5, 5, 10, 20]],
  [20, 23, 'celt', 'wideband', [2.5, 5, 10, 20]],
  [24, 27, 'celt', 'superwideband', [2.5, 5, 10, 20]],
  [28, 31, 'celt', 'fullband', [2.5, 5, 10, 20]],
];

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const toc = (config: number, stereo: boolean, code: number): number =>
  (config << 3) | (stereo ? 4 : 0) | code;

describe('opusPacketInfo() TOC byte', () => {
  for (const [from, to, mode, bandwidth, sizesMs] of TABLE_2) {
    for (let config = from; config <= to; config++) {
      const ms = sizesMs[config - from] ?? 0;
      it(`config ${config} is ${mode} ${bandwidth} ${ms} ms, mono and stereo`, () => {
        for (const stereo of [false, true]) {
          expect(opusPacketInfo(bytes(toc(config, stereo, 0), 0xaa, 0xbb))).toEqual({
            config,
            mode,
            bandwidth,
            frameSizeSamples48k: ms * 48,
            frameCount: 1,
            durationSamples48k: ms * 48,
            stereo,
            code: 0,
          });
        }
      });
    }
  }

  it('opusConfigFor() inverts the table and rejects combinations that do not exist', () => {
    expect(opusConfigFor('celt', 'fullband', 960)).toBe(31);
    expect(opusConfigFor('silk', 'narrowband', 480)).toBe(0);
    expect(opusConfigFor('hybrid', 'fullband', 480)).toBe(14);
    expect(opusConfigFor('hybrid', 'narrowband', 480)).toBeUndefined();
    expect(opusConfigFor('celt', 'fullband', 1920)).toBeUndefined();
  });

  it('returns undefined for an empty packet', () => {
    expect(opusPacketInfo(new Uint8Array(0))).toBeUndefined();
  });
});

describe('opusPacketInfo() frame packing (RFC 6716 §3.2, §3.4)', () => {
  it('code 0: one frame, a TOC-only packet (DTX) included; more than 1275 bytes is malformed', () => {
    expect(opusPacketInfo(bytes(toc(31, false, 0)))?.frameCount).toBe(1);
    expect(opusPacketInfo(new Uint8Array(1276))?.frameCount).toBe(1);
    expect(opusPacketInfo(new Uint8Array(1277))).toBeUndefined();
  });

  it('code 1: two equal frames; an odd payload length is malformed', () => {
    const info = opusPacketInfo(bytes(toc(1, false, 1), 1, 2, 3, 4));
    expect(info).toMatchObject({ code: 1, frameCount: 2, durationSamples48k: 1920 });
    expect(opusPacketInfo(bytes(toc(1, false, 1), 1, 2, 3))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(1, false, 1)))?.frameCount).toBe(2); // two empty frames
  });

  it('code 2: two frames, the first length in one or two bytes; lengths past the end are malformed', () => {
    expect(opusPacketInfo(bytes(toc(9, false, 2), 1, 0xaa, 0xbb, 0xcc))).toMatchObject({
      code: 2,
      frameCount: 2,
    });
    expect(opusPacketInfo(bytes(toc(9, false, 2), 3, 0xaa, 0xbb, 0xcc))).toMatchObject({
      frameCount: 2,
    });
    expect(opusPacketInfo(bytes(toc(9, false, 2), 4, 0xaa, 0xbb, 0xcc))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(9, false, 2)))).toBeUndefined();
    // 252 + 4 × 0 = 252 bytes in the first frame.
    const twoByte = new Uint8Array(3 + 252 + 5);
    twoByte.set([toc(9, false, 2), 252, 0]);
    expect(opusPacketInfo(twoByte)?.frameCount).toBe(2);
    expect(opusPacketInfo(bytes(toc(9, false, 2), 252))).toBeUndefined();
  });

  it('code 3 CBR: M frames of equal size; M = 0, a remainder, or more than 120 ms are malformed', () => {
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x03, 1, 2, 3, 4, 5, 6))).toMatchObject({
      code: 3,
      frameCount: 3,
      durationSamples48k: 2880,
    });
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x03, 1, 2, 3, 4, 5))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x00))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(31, false, 3)))).toBeUndefined();
    // 6 × 20 ms = 120 ms is the limit; 7 × 20 ms is not allowed; 48 × 2.5 ms is.
    expect(opusPacketInfo(bytes(toc(31, false, 3), 6))?.durationSamples48k).toBe(5760);
    expect(opusPacketInfo(bytes(toc(31, false, 3), 7))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(28, false, 3), 48))?.frameCount).toBe(48);
    expect(opusPacketInfo(bytes(toc(3, false, 3), 2))?.durationSamples48k).toBe(5760);
    expect(opusPacketInfo(bytes(toc(3, false, 3), 3))).toBeUndefined();
  });

  it('code 3 VBR: M − 1 frame lengths, the last frame takes the rest', () => {
    const p = bytes(toc(31, true, 3), 0x80 | 3, 1, 2, 0xa, 0xb, 0xb, 0xc, 0xc, 0xc);
    expect(opusPacketInfo(p)).toMatchObject({ frameCount: 3, stereo: true });
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x80 | 3, 1, 9, 0xa))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x80 | 2))).toBeUndefined();
  });

  it('code 3 padding: a 255 length byte means 254 more bytes and another length byte', () => {
    const simple = bytes(toc(31, false, 3), 0x40 | 2, 2, 1, 2, 0, 0);
    expect(opusPacketInfo(simple)?.frameCount).toBe(2);
    const chained = new Uint8Array(2 + 2 + 4 + 254 + 1);
    chained.set([toc(31, false, 3), 0x40 | 2, 255, 1, 9, 9, 9, 9]);
    expect(opusPacketInfo(chained)?.frameCount).toBe(2);
    expect(opusPacketInfo(chained.subarray(0, chained.length - 1))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x40 | 1))).toBeUndefined();
    expect(opusPacketInfo(bytes(toc(31, false, 3), 0x40 | 1, 255))).toBeUndefined();
  });
});

describe('opusPacketInfo() agrees with libopus', () => {
  let decoder: OpusDecoder;
  beforeAll(async () => {
    decoder = new OpusDecoder({ channels: 2 });
    await decoder.ready;
    vi.spyOn(console, 'error').mockImplementation(() => undefined); // the wasm logs each rejection
  });
  afterAll(() => {
    decoder.free();
    vi.restoreAllMocks();
  });

  const s = [0xff, 0xfe]; // one silent CELT frame
  const cases: [string, number[]][] = [
    ['code 0', [toc(31, false, 0), ...s]],
    ['code 1', [toc(30, true, 1), ...s, ...s]],
    ['code 1, odd payload', [toc(30, false, 1), ...s, 0xff]],
    ['code 2', [toc(29, false, 2), 2, ...s, ...s, 0]],
    ['code 2, length past the end', [toc(29, false, 2), 9, ...s]],
    ['code 3 CBR', [toc(31, false, 3), 3, ...s, ...s, ...s]],
    ['code 3 CBR with padding', [toc(31, false, 3), 0x40 | 2, 3, ...s, ...s, 0, 0, 0]],
    ['code 3 VBR', [toc(28, false, 3), 0x80 | 3, 2, 3, ...s, ...s, 0, ...s]],
    ['code 3, 140 ms', [toc(31, false, 3), 7, ...s, ...s, ...s, ...s, ...s, ...s, ...s]],
    ['code 3, M = 0', [toc(31, false, 3), 0]],
    ['code 3, VBR length past the end', [toc(31, false, 3), 0x80 | 2, 9, ...s]],
  ];
  for (const [name, packet] of cases) {
    it(`${name}: same validity and sample count`, async () => {
      await decoder.reset();
      const decoded = decoder.decodeFrame(Uint8Array.from(packet));
      const info = opusPacketInfo(Uint8Array.from(packet));
      expect(info?.durationSamples48k ?? 0).toBe(
        decoded.errors.length > 0 ? 0 : decoded.samplesDecoded,
      );
    });
  }
});

describe('opusPacketInfo() fuzz', () => {
  it('returns undefined or a consistent value for any bytes (20,000 runs, never throws)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), (packet) => {
        const info = opusPacketInfo(packet);
        if (info === undefined) return;
        expect(info.frameCount).toBeGreaterThanOrEqual(1);
        expect(info.durationSamples48k).toBe(info.frameCount * info.frameSizeSamples48k);
        expect(info.durationSamples48k).toBeLessThanOrEqual(5760);
        expect(info.config).toBe(packet[0]! >>> 3);
      }),
      { numRuns: 20_000, seed: 0x6716 },
    );
  });
});
