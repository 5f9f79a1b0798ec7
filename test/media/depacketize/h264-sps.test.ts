import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { parseH264Sps, unescapeRbsp } from '../../../src/media/depacketize/h264-sps.js';
import { BitWriter, hex } from './helpers/rtp.js';

/**
 * SPS vectors produced by x264 through ffmpeg 5.1, e.g.
 * `ffmpeg -f lavfi -i testsrc=size=1920x1080:rate=10 -t 0.2 -pix_fmt yuv420p -c:v libx264 -f h264 out.h264`
 * (options per row), first NAL of type 7; sizes and profiles as ffprobe reports them.
 */
const X264_VECTORS = [
  {
    name: 'baseline 320x240',
    sps: '6742c00bd90141fb011000000300100000030140f142a480',
    profile: 66,
    level: 11,
    width: 320,
    height: 240,
    chroma: 1,
    depth: 8,
    progressive: true,
  },
  {
    name: 'high 1920x1080 (cropped from 1088)',
    sps: '67640028acd940780227e5c044000003000400000300503c60c658',
    profile: 100,
    level: 40,
    width: 1920,
    height: 1080,
    chroma: 1,
    depth: 8,
    progressive: true,
  },
  {
    name: 'high 322x242 (odd size, cropped)',
    sps: '6764000cacd94150878888c044000003000400000300503c50a658',
    profile: 100,
    level: 12,
    width: 322,
    height: 242,
    chroma: 1,
    depth: 8,
    progressive: true,
  },
  {
    name: 'interlaced 640x480 (-x264-params interlaced=1)',
    sps: '67640016acd940a07b6022000003000200000300283e28532c',
    profile: 100,
    level: 22,
    width: 640,
    height: 480,
    chroma: 1,
    depth: 8,
    progressive: false,
  },
  {
    name: 'interlaced 640x360 (field cropping)',
    sps: '67640016acd940a063f3e022000003000200000300283e28532c',
    profile: 100,
    level: 22,
    width: 640,
    height: 360,
    chroma: 1,
    depth: 8,
    progressive: false,
  },
  {
    name: 'high 4:4:4 352x288 (-pix_fmt yuv444p)',
    sps: '67f4000c919b282c12d80880000003008000000a078a14cb',
    profile: 244,
    level: 12,
    width: 352,
    height: 288,
    chroma: 3,
    depth: 8,
    progressive: true,
  },
  {
    name: 'high 4:2:2 352x288 (-pix_fmt yuv422p)',
    sps: '677a000cbcd9416096c044000003000400000300503c50a658',
    profile: 122,
    level: 12,
    width: 352,
    height: 288,
    chroma: 2,
    depth: 8,
    progressive: true,
  },
  {
    name: 'high 10 320x240 (-pix_fmt yuv420p10le)',
    sps: '676e000ca6cd94141fb011000003000100000300140f142996',
    profile: 110,
    level: 12,
    width: 320,
    height: 240,
    chroma: 1,
    depth: 10,
    progressive: true,
  },
] as const;

describe('parseH264Sps()', () => {
  for (const v of X264_VECTORS) {
    it(`reads ${v.name} as ffprobe does`, () => {
      const sps = parseH264Sps(hex(v.sps));
      expect(sps).toMatchObject({
        profileIdc: v.profile,
        levelIdc: v.level,
        width: v.width,
        height: v.height,
        chromaFormatIdc: v.chroma,
        bitDepthLuma: v.depth,
        bitDepthChroma: v.depth,
        frameMbsOnly: v.progressive,
        spsId: 0,
      });
    });
  }

  it('skips scaling matrices, reads pic_order_cnt_type 1 and monochrome cropping', () => {
    const w = new BitWriter().u(8, 100).u(8, 0).u(8, 30).ue(3);
    w.ue(0); // chroma_format_idc 0 (monochrome)
    w.ue(0).ue(0).u(1, 0);
    w.u(1, 1); // seq_scaling_matrix_present_flag
    for (let i = 0; i < 8; i++) {
      w.u(1, i % 2); // lists 1, 3, 5, 7 present
      if (i % 2 === 1) {
        const size = i < 6 ? 16 : 64;
        for (let j = 0; j < size; j++) w.se(j === 0 ? 5 : 1);
      }
    }
    w.ue(0); // log2_max_frame_num_minus4
    w.ue(1).u(1, 0).se(-2).se(3).ue(2).se(1).se(-1); // poc type 1 and its cycle
    w.ue(1).u(1, 0); // max_num_ref_frames, gaps
    w.ue(20).ue(10); // 21 x 11 MBs = 336 x 176
    w.u(1, 1).u(1, 1); // frame_mbs_only, direct_8x8
    w.u(1, 1).ue(1).ue(2).ue(3).ue(4); // crop (unit 1 for monochrome)
    w.u(1, 0); // no VUI
    const sps = parseH264Sps(Uint8Array.from([0x67, ...w.bytes()]));
    expect(sps).toMatchObject({ spsId: 3, chromaFormatIdc: 0, width: 336 - 3, height: 176 - 7 });
  });

  it('removes emulation-prevention bytes before reading', () => {
    expect([...unescapeRbsp(Uint8Array.of(1, 0, 0, 3, 1, 0, 0, 3, 0, 0, 3))]).toEqual([
      1, 0, 0, 1, 0, 0, 0, 0,
    ]);
    const plain = Uint8Array.of(5, 6);
    expect(unescapeRbsp(plain)).toBe(plain);
  });

  it('throws ParseError on a truncated SPS, a non-SPS NAL and an out-of-range field', () => {
    const full = hex(X264_VECTORS[1].sps);
    expect(() => parseH264Sps(full.subarray(0, 6))).toThrow(ParseError);
    expect(() => parseH264Sps(Uint8Array.of(0x68, 0xce))).toThrow(/not an SPS/);
    expect(() => parseH264Sps(new Uint8Array(0))).toThrow(ParseError);
    const badChroma = new BitWriter().u(8, 100).u(8, 0).u(8, 30).ue(0).ue(7).bytes();
    expect(() => parseH264Sps(Uint8Array.from([0x67, ...badChroma]))).toThrow(/chroma_format_idc/);
  });
});
