/**
 * Depacketizers by codec, and the RTP-level restorers (RTX, RED) that run before them.
 * Pipeline: RtxRestorer ▶ ReorderBuffer (src/media/reorder) ▶ RedUnwrapper ▶ Depacketizer.
 */
import type { CodecName, Depacketizer } from '../types.js';
import { createAv1Depacketizer } from './av1.js';
import { createH264Depacketizer } from './h264.js';
import { OpusDepacketizer } from './opus.js';
import { createVp8Depacketizer } from './vp8.js';
import { createVp9Depacketizer } from './vp9.js';

export { createAv1Depacketizer } from './av1.js';
export { createH264Depacketizer, toAvcc } from './h264.js';
export { parseH264Sps, unescapeRbsp, type H264Sps } from './h264-sps.js';
export { buildAvcDecoderConfig } from './avc-config.js';
export { OpusDepacketizer } from './opus.js';
export {
  createVp8Depacketizer,
  parseVp8Descriptor,
  parseVp8FrameHeader,
  type Vp8Descriptor,
} from './vp8.js';
export { createVp9Depacketizer, parseVp9Descriptor, type Vp9Descriptor } from './vp9.js';
export {
  parseVp9FrameHeader,
  buildVp9Superframe,
  hasVp9SuperframeIndex,
  type Vp9FrameHeader,
} from './vp9-header.js';
export {
  parseAv1SequenceHeader,
  readLeb128,
  encodeLeb128,
  type Av1SequenceHeader,
} from './av1-obu.js';
export { RtxRestorer, type RtxRestorerOptions } from './rtx.js';
export { RedUnwrapper, parseRedPayload, type RedBlock, type RedUnwrapperOptions } from './red.js';
export {
  FrameAssembler,
  type FrameBuilder,
  type BuiltFrame,
  type FinishResult,
} from './frame-assembler.js';

/** Creates the depacketizer for `codec` (a fresh one per stream). */
export function createDepacketizer(codec: CodecName): Depacketizer {
  switch (codec) {
    case 'opus':
      return new OpusDepacketizer();
    case 'VP8':
      return createVp8Depacketizer();
    case 'VP9':
      return createVp9Depacketizer();
    case 'H264':
      return createH264Depacketizer();
    case 'AV1':
      return createAv1Depacketizer();
    default: {
      const unknown: never = codec;
      throw new RangeError(
        `codec must be one of opus, VP8, VP9, H264, AV1, got ${String(unknown)}`,
      );
    }
  }
}
