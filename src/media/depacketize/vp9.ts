/**
 * VP9 depacketizer, flexible (F = 1) and non-flexible (F = 0) modes.
 *
 * Payload descriptor:
 * ```
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |I|P|L|F|B|E|V|Z| (REQUIRED)
 *       +-+-+-+-+-+-+-+-+
 *  I:   |M| PICTURE ID  | (when I; 7 bits, or 15 when M = 1)
 *  M:   | EXTENDED PID  |
 *       +-+-+-+-+-+-+-+-+
 *  L:   | TID |U| SID |D| (when L)
 *       +-+-+-+-+-+-+-+-+
 *       |   TL0PICIDX   | (when L and F = 0)
 *       +-+-+-+-+-+-+-+-+
 *  P,F: | P_DIFF      |N| (F = 1 and P: up to 3, continued while N)
 *       +-+-+-+-+-+-+-+-+
 *  V:   | SS …          | (scalability structure, below)
 *       +-+-+-+-+-+-+-+-+
 *
 *  SS:  | N_S |Y|G|-|-|-|
 *  Y:   | WIDTH (16) | HEIGHT (16) |  × (N_S + 1)
 *  G:   | N_G |
 *       | T |U| R |-|-| P_DIFF × R |  × N_G
 * ```
 * B starts a layer frame, E ends it; the marker bit ends the picture. The layer frames of
 * one picture (spatial layers) are joined into a superframe; a single frame (including
 * an encoder's own superframe) passes through unchanged.
 * @see RFC 9628 §4.2, §4.2.1
 */
import { ParseError } from '../../errors.js';
import type { Depacketizer } from '../types.js';
import {
  concatBytes,
  FrameAssembler,
  type FinishResult,
  type FrameBuilder,
} from './frame-assembler.js';
import { buildVp9Superframe, parseVp9FrameHeader } from './vp9-header.js';

/** Parsed VP9 payload descriptor. */
export type Vp9Descriptor = {
  readonly interPicturePredicted: boolean;
  readonly flexible: boolean;
  readonly beginsFrame: boolean;
  readonly endsFrame: boolean;
  readonly pictureId?: number;
  readonly temporalId?: number;
  readonly spatialId?: number;
  readonly tl0PicIdx?: number;
  readonly referenceDiffs: readonly number[];
  /** From the scalability structure when present with Y: per spatial layer. */
  readonly layerSizes?: readonly { readonly width: number; readonly height: number }[];
  /** Bytes taken by the descriptor (the VP9 data starts here). */
  readonly headerLength: number;
};

/** Parses the payload descriptor; undefined when it overruns the payload or is invalid. */
export function parseVp9Descriptor(payload: Uint8Array): Vp9Descriptor | undefined {
  let pos = 0;
  const next = (): number => {
    const b = payload[pos];
    if (b === undefined)
      throw new ParseError('vp9-descriptor', pos, 'descriptor overruns the payload');
    pos += 1;
    return b;
  };
  try {
    const b0 = next();
    const hasI = (b0 & 0x80) !== 0;
    const hasP = (b0 & 0x40) !== 0;
    const hasL = (b0 & 0x20) !== 0;
    const flexible = (b0 & 0x10) !== 0;
    const hasV = (b0 & 0x02) !== 0;
    let pictureId: number | undefined;
    let temporalId: number | undefined;
    let spatialId: number | undefined;
    let tl0PicIdx: number | undefined;
    const referenceDiffs: number[] = [];
    let layerSizes: { width: number; height: number }[] | undefined;
    if (hasI) {
      const p0 = next();
      pictureId = (p0 & 0x80) !== 0 ? ((p0 & 0x7f) << 8) | next() : p0 & 0x7f;
    }
    if (hasL) {
      const l = next();
      temporalId = l >>> 5;
      spatialId = (l >>> 1) & 0x07;
      if (!flexible) tl0PicIdx = next();
    }
    if (flexible && hasP) {
      for (;;) {
        const r = next();
        referenceDiffs.push(r >>> 1);
        if ((r & 0x01) === 0) break;
        if (referenceDiffs.length === 3) return undefined;
      }
    }
    if (hasV) {
      const ss = next();
      const layers = (ss >>> 5) + 1;
      if ((ss & 0x10) !== 0) {
        layerSizes = [];
        for (let i = 0; i < layers; i++) {
          const width = (next() << 8) | next();
          const height = (next() << 8) | next();
          layerSizes.push({ width, height });
        }
      }
      if ((ss & 0x08) !== 0) {
        const groups = next();
        for (let i = 0; i < groups; i++) {
          const g = next();
          for (let j = 0; j < ((g >>> 2) & 0x03); j++) next();
        }
      }
    }
    return {
      interPicturePredicted: hasP,
      flexible,
      beginsFrame: (b0 & 0x08) !== 0,
      endsFrame: (b0 & 0x04) !== 0,
      ...(pictureId !== undefined ? { pictureId } : {}),
      ...(temporalId !== undefined ? { temporalId } : {}),
      ...(spatialId !== undefined ? { spatialId } : {}),
      ...(tl0PicIdx !== undefined ? { tl0PicIdx } : {}),
      referenceDiffs,
      ...(layerSizes !== undefined ? { layerSizes } : {}),
      headerLength: pos,
    };
  } catch (error) {
    if (error instanceof ParseError) return undefined;
    throw error;
  }
}

class Vp9FrameBuilder implements FrameBuilder {
  #layers: Uint8Array[] = [];
  #current: Uint8Array[] | undefined;
  #ssSize: { width: number; height: number } | undefined;

  add(payload: Uint8Array, _first: boolean): boolean {
    const d = parseVp9Descriptor(payload);
    if (d === undefined) return false;
    const last = d.layerSizes?.[d.layerSizes.length - 1];
    if (last !== undefined) this.#ssSize = last;
    const data = payload.subarray(d.headerLength);
    if (d.beginsFrame) {
      if (this.#current !== undefined) return false;
      this.#current = [];
    } else if (this.#current === undefined) {
      return false;
    }
    if (data.length > 0) this.#current.push(data);
    if (d.endsFrame) {
      const frame = concatBytes(this.#current);
      this.#current = undefined;
      if (frame.length === 0) return false;
      this.#layers.push(frame);
    }
    return true;
  }

  finish(): FinishResult {
    const layers = this.#layers;
    const unfinished = this.#current !== undefined;
    const ssSize = this.#ssSize;
    this.reset();
    const first = layers[0];
    if (unfinished || first === undefined) return 'incomplete';
    let header;
    try {
      header = parseVp9FrameHeader(first);
    } catch (error) {
      if (error instanceof ParseError) return 'incomplete';
      throw error;
    }
    const size =
      ssSize ?? (header.keyframe ? { width: header.width, height: header.height } : undefined);
    return {
      data: buildVp9Superframe(layers),
      keyframe: header.keyframe,
      ...(header.keyframe && size !== undefined ? { width: size.width, height: size.height } : {}),
    };
  }

  reset(): void {
    this.#layers = [];
    this.#current = undefined;
    this.#ssSize = undefined;
  }
}

/** A VP9 depacketizer (see {@link FrameAssembler} for loss handling and counting). */
export function createVp9Depacketizer(): Depacketizer {
  return new FrameAssembler(new Vp9FrameBuilder());
}
