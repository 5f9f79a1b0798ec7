/**
 * AV1 depacketizer.
 *
 * Aggregation header, then OBU elements:
 * ```
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |Z|Y| W |N|-|-|-|   Z: first element continues the previous packet's last OBU
 * +-+-+-+-+-+-+-+-+   Y: last element continues in the next packet
 *                     W: element count (0: every element has a leb128 length;
 *                        1–3: all but the last have one, the last takes the rest)
 *                     N: first packet of a coded video sequence
 * | leb128 length | OBU element | … | (last) OBU element |
 * ```
 * A temporal unit ends at the marker bit or a timestamp change. Output is the low-overhead
 * bitstream format: every OBU with `obu_has_size_field` = 1 and its leb128 size; temporal
 * delimiters, tile lists and padding OBUs are dropped.
 * @see RTP Payload Format For AV1 v1.0.0 (AOMedia), §4.4–§4.6, §5; AV1 spec §5.3
 */
import { ParseError } from '../../errors.js';
import type { Depacketizer } from '../types.js';
import {
  encodeLeb128,
  isAv1KeyFrameHeader,
  OBU_FRAME,
  OBU_FRAME_HEADER,
  OBU_PADDING,
  OBU_SEQUENCE_HEADER,
  OBU_TEMPORAL_DELIMITER,
  OBU_TILE_LIST,
  parseAv1SequenceHeader,
  readLeb128,
  type Av1SequenceHeader,
} from './av1-obu.js';
import {
  concatBytes,
  FrameAssembler,
  type FinishResult,
  type FrameBuilder,
} from './frame-assembler.js';

class Av1FrameBuilder implements FrameBuilder {
  /** Complete OBUs of the temporal unit, in output form (header, size, payload) as parts. */
  #parts: Uint8Array[] = [];
  #fragment: Uint8Array[] | undefined;
  #newSequence = false;
  #hasSequenceHeader = false;
  #firstFrameKey: boolean | undefined;
  #malformed = false;
  #sequence: Av1SequenceHeader | undefined;

  add(payload: Uint8Array, first: boolean): boolean {
    const agg = payload[0] ?? 0;
    const z = (agg & 0x80) !== 0;
    const y = (agg & 0x40) !== 0;
    const w = (agg >>> 4) & 0x03;
    if (first && (agg & 0x08) !== 0) this.#newSequence = true;
    if (z !== (this.#fragment !== undefined)) return false;
    const elements: Uint8Array[] = [];
    let pos = 1;
    while (pos < payload.length) {
      let size: number;
      if (w === 0 || elements.length < w - 1) {
        const leb = readLeb128(payload, pos);
        if (leb === undefined) return false;
        pos += leb.length;
        size = leb.value;
      } else {
        size = payload.length - pos;
      }
      if (pos + size > payload.length) return false;
      elements.push(payload.subarray(pos, pos + size));
      pos += size;
    }
    if ((w !== 0 && elements.length !== w) || elements.length === 0) return false;
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i] ?? new Uint8Array(0);
      const continues = i === elements.length - 1 && y;
      let obu: Uint8Array | undefined = element;
      if (i === 0 && this.#fragment !== undefined) {
        this.#fragment.push(element);
        obu = continues ? undefined : concatBytes(this.#fragment);
        if (!continues) this.#fragment = undefined;
      } else if (continues) {
        this.#fragment = [element];
        obu = undefined;
      }
      if (obu !== undefined && obu.length > 0 && !this.#addObu(obu)) return false;
    }
    return true;
  }

  /** Re-emits one OBU with its size field; false when its header or size is malformed. */
  #addObu(obu: Uint8Array): boolean {
    const header = obu[0] ?? 0x80;
    if ((header & 0x80) !== 0) return false;
    const type = (header >>> 3) & 0x0f;
    const headerLength = (header & 0x04) !== 0 ? 2 : 1;
    if (obu.length < headerLength) return false;
    let payload = obu.subarray(headerLength);
    if ((header & 0x02) !== 0) {
      const leb = readLeb128(obu, headerLength);
      if (leb === undefined || headerLength + leb.length + leb.value > obu.length) return false;
      payload = obu.subarray(headerLength + leb.length, headerLength + leb.length + leb.value);
    }
    if (type === OBU_TEMPORAL_DELIMITER || type === OBU_TILE_LIST || type === OBU_PADDING)
      return true;
    if (type === OBU_SEQUENCE_HEADER) {
      try {
        this.#sequence = parseAv1SequenceHeader(payload);
        this.#hasSequenceHeader = true;
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        this.#malformed = true;
      }
    } else if (
      (type === OBU_FRAME || type === OBU_FRAME_HEADER) &&
      this.#firstFrameKey === undefined
    ) {
      this.#firstFrameKey = isAv1KeyFrameHeader(
        payload,
        this.#sequence?.reducedStillPictureHeader ?? false,
      );
    }
    const head = obu.slice(0, headerLength);
    head[0] = header | 0x02;
    this.#parts.push(head, encodeLeb128(payload.length), payload);
    return true;
  }

  finish(): FinishResult {
    const parts = this.#parts;
    const unfinished = this.#fragment !== undefined || this.#malformed;
    const newSequence = this.#newSequence;
    const hasSequenceHeader = this.#hasSequenceHeader;
    const firstFrameKey = this.#firstFrameKey;
    this.reset();
    if (unfinished) return 'incomplete';
    if (parts.length === 0) return 'empty';
    const keyframe = this.#sequence !== undefined && (firstFrameKey ?? newSequence);
    const seq = this.#sequence;
    return {
      data: concatBytes(parts),
      keyframe,
      ...(keyframe && hasSequenceHeader && seq !== undefined
        ? { width: seq.maxWidth, height: seq.maxHeight }
        : {}),
    };
  }

  reset(): void {
    this.#parts = [];
    this.#fragment = undefined;
    this.#newSequence = false;
    this.#hasSequenceHeader = false;
    this.#firstFrameKey = undefined;
    this.#malformed = false;
  }
}

/** An AV1 depacketizer (see {@link FrameAssembler} for loss handling and counting). */
export function createAv1Depacketizer(): Depacketizer {
  return new FrameAssembler(new Av1FrameBuilder());
}
