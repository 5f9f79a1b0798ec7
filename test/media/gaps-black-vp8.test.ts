import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackVp8KeyFrame } from '../../src/media/gaps/black-vp8.js';
import { checkSolidYuv420p, decodeYuv420p, ivf, probeVideo } from './gaps-judge.js';

const SIZES = [
  [1280, 720],
  [640, 360],
  [321, 241],
  [1, 1],
  [17, 33],
  [1920, 1080],
] as const;
const FRAMES = 3;

describe('blackVp8KeyFrame()', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [width, height] of SIZES) {
    it(`${width}×${height}: ffmpeg's and libvpx's decoders show every pixel black (Y 16, U/V 128) and ffprobe reads the size`, async () => {
      const frame = blackVp8KeyFrame(width, height);
      expect(frame[0]! & 1).toBe(0); // key frame
      const file = path.join(dir, `black-${width}x${height}.ivf`);
      await writeFile(
        file,
        ivf(
          width,
          height,
          Array.from({ length: FRAMES }, () => frame),
        ),
      );
      for (const decoder of [undefined, 'libvpx']) {
        const decoded = decodeYuv420p(file, decoder);
        expect(decoded.stderr).toBe('');
        expect(decoded.status).toBe(0);
        expect(checkSolidYuv420p(decoded.stdout, width, height, 16, 128)).toBe(FRAMES);
      }
      expect(probeVideo(file)).toMatchObject({ codec_name: 'vp8', width, height });
    });
  }

  it('stays small: 1280×720 under 2 KB, 1920×1080 under 4 KB', () => {
    expect(blackVp8KeyFrame(1280, 720).byteLength).toBeLessThan(2048);
    expect(blackVp8KeyFrame(1920, 1080).byteLength).toBeLessThan(4096);
  });

  it('encodes the size in the key frame header (RFC 6386 §9.1)', () => {
    const frame = blackVp8KeyFrame(321, 241);
    expect(Array.from(frame.subarray(3, 6))).toEqual([0x9d, 0x01, 0x2a]);
    const view = new DataView(frame.buffer, frame.byteOffset);
    expect(view.getUint16(6, true)).toBe(321);
    expect(view.getUint16(8, true)).toBe(241);
  });

  it('rejects sizes outside 1..16383 with a RangeError naming the argument', () => {
    expect(() => blackVp8KeyFrame(0, 10)).toThrow(/width/);
    expect(() => blackVp8KeyFrame(10, 16384)).toThrow(/height/);
    expect(() => blackVp8KeyFrame(10.5, 10)).toThrow(RangeError);
  });
});
