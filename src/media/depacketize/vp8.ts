/**
 * VP8 depacketizer.
 *
 * Payload descriptor:
 * ```
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |X|R|N|S|R| PID | (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * X:   |I|L|T|K| RSV   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PictureID   | (OPTIONAL, 7 bits, or 15 when M = 1)
 *      +-+-+-+-+-+-+-+-+
 *      |   PictureID   | (when M = 1)
 *      +-+-+-+-+-+-+-+-+
 * L:   |   TL0PICIDX   | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * T/K: |TID|Y| KEYIDX  | (OPTIONAL)
 *      +-+-+-+-+-+-+-+-+
 * ```
 * A frame starts at S = 1, PID = 0 and ends at the marker bit (or a timestamp change).
 *
 * Payload header (first bytes of the frame), and the keyframe header after it:
 * ```
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |Size0|H| VER |P|  P = 0: keyframe;  then Size1, Size2
 * +-+-+-+-+-+-+-+-+
 * keyframe: 9d 01 2a | width (14 bits LE) + scale (2) | height (14 bits LE) + scale (2)
 * ```
 * @see RFC 7741 §4.2, §4.3; RFC 6386 §9.1
 */
import {
  concatBytes,
  FrameAssembler,
  type FinishResult,
  type FrameBuilder,
} from './frame-assembler.js';
import type { Depacketizer } from '../types.js';

/** Parsed VP8 payload descriptor. */
export type Vp8Descriptor = {
  readonly nonReference: boolean;
  readonly startOfPartition: boolean;
  readonly partitionIndex: number;
  readonly pictureId?: number;
  readonly tl0PicIdx?: number;
  readonly temporalLayer?: number;
  readonly layerSync?: boolean;
  readonly keyIndex?: number;
  /** Bytes taken by the descriptor (the VP8 data starts here). */
  readonly headerLength: number;
};

/** Parses the payload descriptor; undefined when the payload is too short for it. */
export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor | undefined {
  const b0 = payload[0];
  if (b0 === undefined) return undefined;
  let pos = 1;
  let pictureId: number | undefined;
  let tl0PicIdx: number | undefined;
  let tk: number | undefined;
  let hasT = false;
  let hasK = false;
  if ((b0 & 0x80) !== 0) {
    const x = payload[pos++];
    if (x === undefined) return undefined;
    if ((x & 0x80) !== 0) {
      const p0 = payload[pos++];
      if (p0 === undefined) return undefined;
      if ((p0 & 0x80) !== 0) {
        const p1 = payload[pos++];
        if (p1 === undefined) return undefined;
        pictureId = ((p0 & 0x7f) << 8) | p1;
      } else {
        pictureId = p0 & 0x7f;
      }
    }
    if ((x & 0x40) !== 0) {
      tl0PicIdx = payload[pos++];
      if (tl0PicIdx === undefined) return undefined;
    }
    hasT = (x & 0x20) !== 0;
    hasK = (x & 0x10) !== 0;
    if (hasT || hasK) {
      tk = payload[pos++];
      if (tk === undefined) return undefined;
    }
  }
  return {
    nonReference: (b0 & 0x20) !== 0,
    startOfPartition: (b0 & 0x10) !== 0,
    partitionIndex: b0 & 0x07,
    ...(pictureId !== undefined ? { pictureId } : {}),
    ...(tl0PicIdx !== undefined ? { tl0PicIdx } : {}),
    ...(tk !== undefined && hasT ? { temporalLayer: tk >>> 6, layerSync: (tk & 0x20) !== 0 } : {}),
    ...(tk !== undefined && hasK ? { keyIndex: tk & 0x1f } : {}),
    headerLength: pos,
  };
}

/** Keyframe flag and, for keyframes, the coded size; undefined when the header is malformed. */
export function parseVp8FrameHeader(
  frame: Uint8Array,
): { keyframe: boolean; width?: number; height?: number } | undefined {
  const b0 = frame[0];
  if (b0 === undefined || frame.length < 3) return undefined;
  if ((b0 & 0x01) !== 0) return { keyframe: false };
  if (frame.length < 10 || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) {
    return undefined;
  }
  const width = ((frame[6] ?? 0) | ((frame[7] ?? 0) << 8)) & 0x3fff;
  const height = ((frame[8] ?? 0) | ((frame[9] ?? 0) << 8)) & 0x3fff;
  return { keyframe: true, width, height };
}

class Vp8FrameBuilder implements FrameBuilder {
  #parts: Uint8Array[] = [];

  add(payload: Uint8Array, first: boolean): boolean {
    const d = parseVp8Descriptor(payload);
    if (d === undefined) return false;
    const isStart = d.startOfPartition && d.partitionIndex === 0;
    if (first !== isStart) return false;
    const data = payload.subarray(d.headerLength);
    if (data.length > 0) this.#parts.push(data);
    return true;
  }

  finish(): FinishResult {
    const data = concatBytes(this.#parts);
    this.#parts = [];
    const header = parseVp8FrameHeader(data);
    if (header === undefined) return 'incomplete';
    return { data, ...header };
  }

  reset(): void {
    this.#parts = [];
  }
}

/** A VP8 depacketizer (see {@link FrameAssembler} for loss handling and counting). */
export function createVp8Depacketizer(): Depacketizer {
  return new FrameAssembler(new Vp8FrameBuilder());
}
