import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackH264 } from '../../src/media/gaps/black-h264.js';
import { annexB, checkSolidYuv420p, decodeYuv420p, probeVideo } from './gaps-judge.js';

/** Requested size → coded size (4:2:0 H.264 cannot be odd-sized: rounded up to even). */
const SIZES = [
  [1280, 720, 1280, 720],
  [640, 360, 640, 360],
  [321, 241, 322, 242],
  [16, 16, 16, 16],
  [1920, 1080, 1920, 1080],
] as const;

describe('blackH264()', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function judge(
    name: string,
    accessUnits: Uint8Array[],
    width: number,
    height: number,
  ): Promise<void> {
    const file = path.join(dir, `${name}.h264`);
    await writeFile(file, annexB(accessUnits));
    const decoded = decodeYuv420p(file);
    expect(decoded.stderr).toBe(''); // -v warning: not even a warning
    expect(decoded.status).toBe(0);
    expect(checkSolidYuv420p(decoded.stdout, width, height, 16, 128)).toBe(accessUnits.length);
    expect(probeVideo(file)).toMatchObject({
      codec_name: 'h264',
      width,
      height,
      profile: 'Constrained Baseline',
    });
  }

  for (const [w, h, codedW, codedH] of SIZES) {
    it(`${w}×${h}: the IDR and 20 repeated pSkip pictures decode black (Y 16, U/V 128) at ${codedW}×${codedH}`, async () => {
      const black = blackH264({ width: w, height: h });
      expect([black.width, black.height]).toEqual([codedW, codedH]);
      await judge(
        `repeat-${w}x${h}`,
        [black.idr, ...Array.from({ length: 20 }, () => black.pSkip)],
        codedW,
        codedH,
      );
    });
  }

  it('pSkipFrame(n) pictures decode black across the frame_num wrap (40 pictures)', async () => {
    const black = blackH264({ width: 640, height: 360 });
    await judge(
      'sequence',
      [black.idr, ...Array.from({ length: 40 }, (_, i) => black.pSkipFrame(i + 1))],
      640,
      360,
    );
  });

  it('a second black run after the first one (new IDR) still decodes', async () => {
    const black = blackH264({ width: 321, height: 241, parameterSetId: 0 });
    await judge(
      'two-runs',
      [black.idr, black.pSkip, black.pSkip, black.idr, black.pSkip],
      322,
      242,
    );
  });

  it('stays small: a 1280×720 IDR under 4 KB, a P picture under 16 bytes', () => {
    const black = blackH264({ width: 1280, height: 720 });
    expect(black.idr.byteLength).toBeLessThan(4096);
    expect(black.pSkip.byteLength).toBeLessThan(16);
  });

  it('carries SPS and PPS in-band in the IDR access unit, and the same ones in the description', () => {
    const black = blackH264({ width: 640, height: 360 });
    const view = new DataView(black.idr.buffer, black.idr.byteOffset);
    const nalTypes: number[] = [];
    for (let pos = 0; pos < black.idr.byteLength; pos += 4 + view.getUint32(pos)) {
      nalTypes.push(black.idr[pos + 4]! & 0x1f);
    }
    expect(nalTypes).toEqual([7, 8, 5]);
    const d = black.description;
    expect(Array.from(d.subarray(0, 6))).toEqual([1, 66, 0xc0, black.sps[3], 0xff, 0xe1]);
    const spsLength = (d[6]! << 8) | d[7]!;
    expect(Array.from(d.subarray(8, 8 + spsLength))).toEqual(Array.from(black.sps));
    expect(d[8 + spsLength]).toBe(1);
    expect(Array.from(d.subarray(11 + spsLength))).toEqual(Array.from(black.pps));
    expect(black.sps[0]).toBe(0x67);
    expect(black.pps[0]).toBe(0x68);
  });

  it('rejects bad sizes and ids with a RangeError naming the option', () => {
    expect(() => blackH264({ width: 0, height: 10 })).toThrow(/options\.width/);
    expect(() => blackH264({ width: 10, height: 16386 })).toThrow(/options\.height/);
    expect(() => blackH264({ width: 16384, height: 16384 })).toThrow(/exceeds every H\.264 level/);
    expect(() => blackH264({ width: 16, height: 16, parameterSetId: 32 })).toThrow(
      /options\.parameterSetId/,
    );
    expect(() => blackH264({ width: 16, height: 16 }).pSkipFrame(0)).toThrow(RangeError);
  });
});
