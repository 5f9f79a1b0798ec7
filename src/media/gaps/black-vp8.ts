/**
 * A black VP8 key frame of any size, encoded in-process (no encoder library).
 *
 * Black is Y = 16, U = V = 128 (BT.601 studio range, what VP8 decoders convert to RGB 0).
 * Every macroblock uses DC prediction for luma and chroma. DC prediction with no neighbour
 * (the top-left macroblock) predicts 128; on the top row it averages the left column, on
 * the left column the row above, elsewhere both. So only the top-left macroblock carries
 * residual — a single Y2 (second-order luma DC) coefficient that moves all 256 luma pixels
 * from 128 to exactly 16; its chroma prediction, 128, is already right. Every other
 * macroblock is "skip" and copies 16/128/128 from its neighbours. The loop filter is off.
 *
 * ```
 * Y2 DC coefficient c = −896 at quantizer index 0 (Y2 DC factor = dc_q(0) × 2 = 8):
 *   inverse WHT, DC only:  (c × 8 + 3) >> 3       = −896  (the DC of each 4×4 Y block)
 *   inverse DCT, DC only:  (−896 + 4) >> 3        = −112
 *   pixel:                 128 + (−112)           = 16
 * ```
 *
 * Cost: about 3.4 bits per skipped macroblock (skip flag + DC_PRED modes), so 1280×720
 * (3600 macroblocks) is about 1.6 KB.
 *
 * @see RFC 6386 §12.2–12.3 (DC prediction edges), §14.1–14.4 (dequantization, WHT, DCT)
 */
import { BoolEncoder } from './vp8/bool-encoder.js';
import { DEFAULT_COEFF_PROBS } from './vp8/coeff-probs.js';
import {
  MAX_VP8_DIMENSION,
  Vp8YMode,
  assembleKeyFrame,
  writeKeyFrameHeader,
  writeKeyFrameMacroblockHeader,
} from './vp8/frame-header.js';
import { Vp8BlockType, writeBlockTokens } from './vp8/token-writer.js';

const QUANTIZER_INDEX = 0;
/** Y2 DC coefficient that turns the 128 prediction into 16 (see the module comment). */
const Y2_DC_TO_BLACK = -896;
/** P(not skipped) = 1/256: skipped macroblocks, all but one, cost almost nothing. */
const PROB_SKIP_FALSE = 1;

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_VP8_DIMENSION) {
    throw new RangeError(
      `${name} must be an integer in 1..${MAX_VP8_DIMENSION}, got ${String(value)}`,
    );
  }
}

/** The token partition: residual for the top-left macroblock only. */
function tokenPartition(): Uint8Array {
  const enc = new BoolEncoder();
  const y2 = new Int16Array(16);
  y2[0] = Y2_DC_TO_BLACK;
  const none = new Int16Array(16);
  // Neighbour contexts are 0: the frame edge counts as empty, and the Y/U/V blocks inside
  // this macroblock have no coefficients.
  writeBlockTokens(enc, DEFAULT_COEFF_PROBS, Vp8BlockType.Y2, y2, 0);
  for (let i = 0; i < 16; i++)
    writeBlockTokens(enc, DEFAULT_COEFF_PROBS, Vp8BlockType.Y_AFTER_Y2, none, 0);
  for (let i = 0; i < 8; i++)
    writeBlockTokens(enc, DEFAULT_COEFF_PROBS, Vp8BlockType.CHROMA, none, 0);
  return enc.finish();
}

/**
 * A shown VP8 key frame whose every pixel decodes to black (Y 16, U/V 128), `width` ×
 * `height` (each 1..16383, odd sizes included). Throws RangeError for other sizes.
 *
 * @see RFC 6386
 */
export function blackVp8KeyFrame(width: number, height: number): Uint8Array {
  checkDimension('width', width);
  checkDimension('height', height);
  const mbCols = Math.ceil(width / 16);
  const mbRows = Math.ceil(height / 16);
  const first = new BoolEncoder();
  writeKeyFrameHeader(first, {
    quantizerIndex: QUANTIZER_INDEX,
    loopFilterLevel: 0,
    probSkipFalse: PROB_SKIP_FALSE,
  });
  for (let row = 0; row < mbRows; row++) {
    for (let col = 0; col < mbCols; col++) {
      writeKeyFrameMacroblockHeader(first, PROB_SKIP_FALSE, {
        skip: row !== 0 || col !== 0,
        yMode: Vp8YMode.DC_PRED,
        uvMode: Vp8YMode.DC_PRED,
      });
    }
  }
  return assembleKeyFrame(width, height, first.finish(), tokenPartition());
}
