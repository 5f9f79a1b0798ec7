/** Valid payloads per codec: the starting points of mutation fuzzing. */
import type { CodecName } from '../../../../src/media/types.js';
import {
  aggregation,
  av1FramePayload,
  av1SequenceHeaderPayload,
  fuA,
  IDR,
  NON_IDR,
  obu,
  PPS,
  SPS_1920x1080,
  SPS_320x240,
  stapA,
  vp8Interframe,
  vp8Keyframe,
  vp9Interframe,
  vp9Keyframe,
} from './codec.js';

export const SEEDS: Record<CodecName, Uint8Array[]> = {
  opus: [Uint8Array.of(0xfc, 1, 2), Uint8Array.of(0xfb, 0x83, 2, 1, 1, 5, 5, 5)],
  VP8: [
    Uint8Array.from([0x10, ...vp8Keyframe(320, 240)]),
    Uint8Array.from([0x90, 0xf0, 0x81, 0x02, 0x03, 0x40, ...vp8Interframe()]),
    Uint8Array.from([0x00, 1, 2, 3]),
  ],
  VP9: [
    Uint8Array.from([
      0xae,
      0x80,
      0x01,
      0x00,
      0x05,
      0x18,
      0x01,
      0x40,
      0x00,
      0xf0,
      0x01,
      0x00,
      ...vp9Keyframe(320, 240),
    ]),
    Uint8Array.from([0xd8, 0x05, 0x03, 0x04, ...vp9Interframe()]),
    Uint8Array.from([0x04, 1, 2, 3]),
  ],
  H264: [
    Uint8Array.from(stapA(SPS_320x240, PPS, IDR)),
    Uint8Array.from(stapA(SPS_1920x1080, PPS)),
    NON_IDR,
    ...fuA(IDR, 3).map((p) => Uint8Array.from(p)),
  ],
  AV1: [
    Uint8Array.from([
      aggregation(false, false, 1, true),
      ...obu(1, av1SequenceHeaderPayload(320, 240)),
    ]),
    Uint8Array.from([
      aggregation(false, true, 1, false),
      ...obu(6, av1FramePayload(true)).subarray(0, 10),
    ]),
    Uint8Array.from([
      aggregation(true, false, 2, false),
      3,
      1,
      2,
      3,
      ...obu(6, av1FramePayload(false)),
    ]),
  ],
};
