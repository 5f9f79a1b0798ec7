import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  avcCodecString,
  avcConfigFromFrame,
  readAvcConfig,
} from '../../src/media/mux/avc-config.js';
import { av1CodecString, vp9CodecString } from '../../src/media/mux/codec-string.js';
import { ffmpeg, makeTempDir, readTracks, removeDir, type ReadTrack } from './mux-helpers.js';

let dir: string;
const streams: Record<string, ReadTrack> = {};

beforeAll(async () => {
  dir = await makeTempDir();
  const input = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=0.2'];
  const made: [string, string[]][] = [
    [
      'vp9-8bit.webm',
      [
        ...input,
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
      ],
    ],
    [
      'vp9-10bit.webm',
      [
        ...input,
        '-pix_fmt',
        'yuv420p10le',
        '-c:v',
        'libvpx-vp9',
        '-profile:v',
        '2',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
      ],
    ],
    ['av1-8bit.webm', [...input, '-pix_fmt', 'yuv420p', '-c:v', 'libaom-av1', '-cpu-used', '8']],
    [
      'av1-10bit.webm',
      [...input, '-pix_fmt', 'yuv420p10le', '-c:v', 'libaom-av1', '-cpu-used', '8'],
    ],
    ['h264-high.mp4', [...input, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-profile:v', 'high']],
  ];
  for (const [name, args] of made) {
    await ffmpeg(...args, path.join(dir, name));
    streams[name] = (await readTracks(path.join(dir, name)))[0]!;
  }
});

afterAll(async () => {
  await removeDir(dir);
});

const keyframe = (name: string): Uint8Array => streams[name]!.packets[0]!.data;

describe('vp9CodecString()', () => {
  it('reads profile 0, 8 bits from a libvpx keyframe and picks level 2.0 for 320x240', () => {
    expect(vp9CodecString(keyframe('vp9-8bit.webm'), 320, 240)).toBe('vp09.00.20.08');
  });

  it('reads profile 2, 10 bits from a 10-bit libvpx keyframe', () => {
    expect(vp9CodecString(keyframe('vp9-10bit.webm'), 320, 240)).toBe('vp09.02.20.10');
  });

  it('picks the level from the picture size: 1280x720 is level 3.1, 1920x1080 level 4', () => {
    expect(vp9CodecString(undefined, 1280, 720)).toBe('vp09.00.31.08');
    expect(vp9CodecString(undefined, 1920, 1080)).toBe('vp09.00.40.08');
  });

  it('falls back to profile 0, 8 bits for a non-keyframe', () => {
    expect(vp9CodecString(streams['vp9-8bit.webm']!.packets[1]!.data, 320, 240)).toBe(
      'vp09.00.20.08',
    );
  });
});

describe('av1CodecString()', () => {
  it.each([
    ['av1-8bit.webm', 'av01.0.00M.08'],
    ['av1-10bit.webm', 'av01.0.00M.10'],
  ])(
    'reads profile, level, tier and bit depth from the sequence header of %s: %s',
    (name, expected) => {
      expect(av1CodecString(keyframe(name))).toBe(expected);
    },
  );

  it('falls back to main profile, level 4.0, 8 bits without a sequence header', () => {
    expect(av1CodecString(new Uint8Array([0x32, 0x00]))).toBe('av01.0.08M.08');
    expect(av1CodecString(undefined)).toBe('av01.0.08M.08');
  });
});

describe('avcC helpers', () => {
  it('read the profile, level and NAL length size of an x264 avcC and name it avc1.64000d', () => {
    const config = readAvcConfig(streams['h264-high.mp4']!.description!);
    expect(config).toMatchObject({ profile: 100, level: 13, nalLengthSize: 4 });
    expect(avcCodecString(config!)).toBe('avc1.64000d');
  });

  it('readAvcConfig() rejects a record whose parameter sets overrun it', () => {
    expect(readAvcConfig(new Uint8Array([1, 66, 0, 30, 0xff, 0xe1, 0, 9, 0x67]))).toBeNull();
    expect(readAvcConfig(new Uint8Array([2, 66, 0, 30, 0xff, 0xe0, 0]))).toBeNull();
  });

  it('avcConfigFromFrame() returns null for a frame without SPS and PPS', () => {
    expect(avcConfigFromFrame(new Uint8Array([0, 0, 0, 2, 0x65, 0x88]))).toBeNull();
  });
});

describe('codec header readers on arbitrary bytes (fuzz)', () => {
  const bytes = fc.uint8Array({ maxLength: 64 });
  const run = { seed: 4242, numRuns: 20_000 };

  it('vp9CodecString() and av1CodecString() always return a valid codec string', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(vp9CodecString(data, 640, 480)).toMatch(/^vp09\.0[0-3]\.\d{2}\.(08|10|12)$/);
        expect(av1CodecString(data)).toMatch(/^av01\.[0-7]\.\d{2}[MH]\.(08|10|12)$/);
      }),
      run,
    );
  });

  it('readAvcConfig() and avcConfigFromFrame() return a value or null, and a built avcC reads back', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        const config = readAvcConfig(data);
        if (config !== null) expect(config.nalLengthSize).toBeGreaterThanOrEqual(1);
        const built = avcConfigFromFrame(data);
        if (built !== null) expect(readAvcConfig(built)).toMatchObject({ nalLengthSize: 4 });
      }),
      run,
    );
  });
});
