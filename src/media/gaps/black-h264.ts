/**
 * A black H.264 stream of any (even) size, encoded in-process: parameter sets, one IDR
 * picture, and P pictures that repeat it at a few bytes each. Constrained Baseline, CAVLC.
 *
 * Sizes: 4:2:0 crops in units of 2 pixels, so H.264 cannot describe an odd width or height
 * (real 4:2:0 H.264 tracks never have one). An odd dimension is rounded up to the next even
 * number; the result reports the size actually coded.
 *
 * Splicing into a recorded stream (for the muxer): the black pictures reference their own
 * SPS/PPS, carried in-band at the start of the IDR access unit, with ids `parameterSetId`
 * (default 1). Recorded WebRTC streams use id 0, so the black parameter sets do not
 * replace the stream's: after a black run the recorded slices still find their own
 * SPS/PPS, even when the next keyframe does not repeat them. If the stream uses the same
 * id, its next keyframe must carry its SPS/PPS in-band (prepend them from its
 * `codecDescription` when it does not). `description` is only for a track that starts
 * black (or is all black); an AVCDecoderConfigurationRecord may also list both streams'
 * SPS/PPS together.
 *
 * @see ITU-T H.264 (see ./h264/ for the syntax), ISO/IEC 14496-15 §5.3.3
 */
import { avcDecoderConfigurationRecord, avccAccessUnit } from './h264/nal.js';
import { buildPps, buildSps, levelFor } from './h264/parameter-sets.js';
import { buildBlackIdrSlice, buildSkipPSlice } from './h264/slices.js';

/** Largest width/height accepted (level 6.x allows about 16 880 pixels per side). */
export const MAX_H264_DIMENSION = 16384;

export type BlackH264Options = {
  /** Picture size; odd values are rounded up to even. 1..16384 each. */
  readonly width: number;
  readonly height: number;
  /** seq/pic_parameter_set_id of the black stream, 0..31. Default 1. */
  readonly parameterSetId?: number;
};

export type BlackH264 = {
  /** Coded (displayed) size: the request rounded up to even numbers. */
  readonly width: number;
  readonly height: number;
  /** SPS and PPS NAL units (header byte included, no start code or length). */
  readonly sps: Uint8Array;
  readonly pps: Uint8Array;
  /** AVCC access unit (4-byte lengths): SPS, PPS, IDR slice. A keyframe. */
  readonly idr: Uint8Array;
  /**
   * AVCC access unit: a P picture with every macroblock skipped, valid right after `idr`
   * and after itself, any number of times (it resets the reference list with MMCO 5).
   */
  readonly pSkip: Uint8Array;
  /**
   * AVCC access unit: the `n`-th P picture after `idr` (n ≥ 1) as a plain encoder would
   * write it (frame_num n mod 16, no MMCO). Use either these or `pSkip` within one run.
   */
  pSkipFrame(n: number): Uint8Array;
  /** AVCDecoderConfigurationRecord for `sps`/`pps` (lengthSizeMinusOne 3). */
  readonly description: Uint8Array;
};

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_H264_DIMENSION) {
    throw new RangeError(
      `options.${name} must be an integer in 1..${MAX_H264_DIMENSION}, got ${String(value)}`,
    );
  }
}

/**
 * Builds the black stream for a picture size. Throws RangeError for a size outside
 * 1..16384 or beyond every H.264 level's frame size, or a bad parameterSetId.
 */
export function blackH264(options: BlackH264Options): BlackH264 {
  checkDimension('width', options.width);
  checkDimension('height', options.height);
  const id = options.parameterSetId ?? 1;
  if (!Number.isInteger(id) || id < 0 || id > 31) {
    throw new RangeError(`options.parameterSetId must be an integer in 0..31, got ${String(id)}`);
  }
  const width = options.width + (options.width & 1);
  const height = options.height + (options.height & 1);
  const widthMbs = Math.ceil(width / 16);
  const heightMbs = Math.ceil(height / 16);
  const levelIdc = levelFor(widthMbs, heightMbs);
  if (levelIdc === undefined) {
    throw new RangeError(
      `options.width × options.height (${width}×${height}) exceeds every H.264 level`,
    );
  }
  const mbCount = widthMbs * heightMbs;
  const sps = buildSps({
    id,
    levelIdc,
    widthMbs,
    heightMbs,
    cropRight: widthMbs * 16 - width,
    cropBottom: heightMbs * 16 - height,
  });
  const pps = buildPps(id, id);
  const idr = avccAccessUnit([sps, pps, buildBlackIdrSlice(id, mbCount)]);
  const pSkip = avccAccessUnit([buildSkipPSlice(id, mbCount, 1, true)]);
  const pSkipFrame = (n: number): Uint8Array => {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`n must be an integer ≥ 1, got ${String(n)}`);
    return avccAccessUnit([buildSkipPSlice(id, mbCount, n % 16, false)]);
  };
  return {
    width,
    height,
    sps,
    pps,
    idr,
    pSkip,
    pSkipFrame,
    description: avcDecoderConfigurationRecord(sps, pps),
  };
}
