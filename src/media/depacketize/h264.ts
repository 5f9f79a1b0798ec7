/**
 * H.264 depacketizer (packetization modes 0 and 1: single NAL unit, STAP-A, FU-A).
 *
 * ```
 * NAL / payload header:       STAP-A (type 24):                      FU-A (type 28):
 * +-+-+-+-+-+-+-+-+           | hdr | size (16) | NAL | size | NAL …  | FU indicator | FU header | data
 * |F|NRI|  Type   |                                                   FU header: |S|E|R| Type (5) |
 * +-+-+-+-+-+-+-+-+
 * ```
 * An access unit (frame) ends at the marker bit or a timestamp change. Output is AVCC:
 * each NAL unit prefixed with its 4-byte big-endian length. SPS (7) and PPS (8) are taken
 * out of the frame into an AVCDecoderConfigurationRecord (`codecDescription`, rebuilt when
 * they change); access unit delimiters (9) and filler data (12) are dropped; SEI (6) and
 * the rest stay. Keyframe = contains an IDR slice (5) and parameter sets are known.
 * @see RFC 6184 §5.6 (single NAL), §5.7.1 (STAP-A), §5.8 (FU-A); ITU-T H.264 §7.3.1
 */
import { ParseError } from '../../errors.js';
import { toAvcc } from '../h264/avcc.js';
import type { Depacketizer } from '../types.js';
import { buildAvcDecoderConfig } from './avc-config.js';
import { BitReader } from './bit-reader.js';
import {
  concatBytes,
  FrameAssembler,
  type FinishResult,
  type FrameBuilder,
} from './frame-assembler.js';
import { parseH264Sps, unescapeRbsp, type H264Sps } from './h264-sps.js';

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const NAL_FILLER = 12;
const STAP_A = 24;
const FU_A = 28;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** pic_parameter_set_id of a PPS NAL unit (with header); throws ParseError. */
function ppsId(nal: Uint8Array): number {
  const id = new BitReader(unescapeRbsp(nal.subarray(1)), 'h264-pps').ue('pic_parameter_set_id');
  if (id > 255) throw new ParseError('h264-pps', 0, `pic_parameter_set_id ${id} exceeds 255`);
  return id;
}

export { toAvcc };

class H264FrameBuilder implements FrameBuilder {
  #nals: Uint8Array[] = [];
  #fu: Uint8Array[] | undefined;
  readonly #sps = new Map<number, { nal: Uint8Array; parsed: H264Sps }>();
  readonly #pps = new Map<number, Uint8Array>();
  #active: H264Sps | undefined;
  #description: Uint8Array | undefined;

  get codecDescription(): Uint8Array | undefined {
    return this.#description;
  }

  add(payload: Uint8Array, _first: boolean): boolean {
    const header = payload[0] ?? 0;
    const type = header & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.#fu !== undefined) return false;
      this.#nals.push(payload);
      return true;
    }
    if (type === STAP_A) {
      if (this.#fu !== undefined) return false;
      let pos = 1;
      const units: Uint8Array[] = [];
      while (pos < payload.length) {
        if (pos + 2 > payload.length) return false;
        const size = ((payload[pos] ?? 0) << 8) | (payload[pos + 1] ?? 0);
        pos += 2;
        if (size === 0 || pos + size > payload.length) return false;
        units.push(payload.subarray(pos, pos + size));
        pos += size;
      }
      if (units.length === 0) return false;
      this.#nals.push(...units);
      return true;
    }
    if (type === FU_A) {
      const fuHeader = payload[1];
      if (fuHeader === undefined) return false;
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      const data = payload.subarray(2);
      if (start) {
        if (this.#fu !== undefined) return false;
        this.#fu = [Uint8Array.of((header & 0xe0) | (fuHeader & 0x1f))];
      } else if (this.#fu === undefined) {
        return false;
      }
      this.#fu.push(data);
      if (end) {
        this.#nals.push(concatBytes(this.#fu));
        this.#fu = undefined;
      }
      return true;
    }
    // 0 and 30–31 are undefined; STAP-B, MTAP16/24, FU-B need interleaved mode (unsupported).
    return false;
  }

  finish(): FinishResult {
    const nals = this.#nals;
    const unfinished = this.#fu !== undefined;
    this.reset();
    if (unfinished) return 'incomplete';
    const kept: Uint8Array[] = [];
    let idr = false;
    let changed = false;
    try {
      for (const nal of nals) {
        const header = nal[0] ?? 0x80;
        if ((header & 0x80) !== 0) return 'incomplete';
        const type = header & 0x1f;
        if (type === NAL_SPS) {
          const parsed = parseH264Sps(nal);
          const known = this.#sps.get(parsed.spsId);
          if (known === undefined || !sameBytes(known.nal, nal)) changed = true;
          this.#sps.set(parsed.spsId, { nal: nal.slice(), parsed });
          this.#active = parsed;
        } else if (type === NAL_PPS) {
          const id = ppsId(nal);
          const known = this.#pps.get(id);
          if (known === undefined || !sameBytes(known, nal)) changed = true;
          this.#pps.set(id, nal.slice());
        } else if (type !== NAL_AUD && type !== NAL_FILLER) {
          if (type === NAL_IDR) idr = true;
          kept.push(nal);
        }
      }
    } catch (error) {
      if (error instanceof ParseError) return 'incomplete';
      throw error;
    }
    if (changed) this.#rebuildDescription();
    if (kept.length === 0) return 'empty';
    const keyframe = idr && this.#description !== undefined;
    const active = this.#active;
    return {
      data: toAvcc(kept),
      keyframe,
      ...(keyframe && active !== undefined ? { width: active.width, height: active.height } : {}),
      ...(keyframe ? { codecDescription: this.#description } : {}),
    };
  }

  reset(): void {
    this.#nals = [];
    this.#fu = undefined;
  }

  #rebuildDescription(): void {
    const active = this.#active;
    if (active === undefined || this.#pps.size === 0) return;
    const byId = <T>(m: Map<number, T>): T[] =>
      [...m.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    const sps = byId(this.#sps).map((s) => s.nal);
    this.#description = buildAvcDecoderConfig(sps, byId(this.#pps), active);
  }
}

/**
 * An H.264 depacketizer (see {@link FrameAssembler} for loss handling and counting).
 * `codecDescription` is the current AVCDecoderConfigurationRecord (undefined until an SPS
 * and a PPS were seen); keyframes also carry the one in effect as `codecDescription`.
 */
export function createH264Depacketizer(): Depacketizer {
  return new FrameAssembler(new H264FrameBuilder());
}
