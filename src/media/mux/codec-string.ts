/**
 * WebCodecs codec strings for the video codecs the recorder carries. mediabunny derives the
 * Matroska CodecPrivate of VP9 (profile, level, bit depth) and AV1 (the av1C header bytes)
 * from these strings, so they are taken from the first keyframe's bitstream rather than
 * guessed. A header that cannot be read falls back to 8-bit profile 0.
 */

/** Reads bits most-significant first; returns `null` instead of reading past the end. */
class BitCursor {
  readonly #bytes: Uint8Array;
  #bit = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Up to 32 bits as an unsigned number, or null when the data ends first. */
  bits(n: number): number | null {
    if (this.#bit + n > this.#bytes.byteLength * 8) return null;
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.#bytes[this.#bit >>> 3] ?? 0;
      value = value * 2 + ((byte >>> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return value;
  }

  /** AV1 uvlc(): leading zeros, a one, then that many bits. */
  uvlc(): number | null {
    let zeros = 0;
    for (;;) {
      const b = this.bits(1);
      if (b === null) return null;
      if (b === 1) break;
      zeros++;
      if (zeros >= 32) return 0xffffffff;
    }
    const rest = this.bits(zeros);
    return rest === null ? null : rest + 2 ** zeros - 1;
  }
}

const two = (n: number): string => String(n).padStart(2, '0');

/** VP9 levels by maximum luma picture size (VP9 spec, Annex A), ignoring sample rate. */
const VP9_LEVELS: readonly (readonly [maxLumaPictureSize: number, level: number])[] = [
  [36_864, 10],
  [73_728, 11],
  [122_880, 20],
  [245_760, 21],
  [552_960, 30],
  [983_040, 31],
  [2_228_224, 40],
  [8_912_896, 50],
  [35_651_584, 60],
];

function vp9LevelForSize(width: number, height: number): number {
  const size = width * height;
  for (const [max, level] of VP9_LEVELS) if (size <= max) return level;
  return 62;
}

/**
 * `vp09.PP.LL.DD` from a VP9 keyframe's uncompressed header: profile and bit depth from the
 * header, the level from the picture size (the lowest level whose picture size fits).
 *
 * ```
 * frame_marker(2)=2 profile_low(1) profile_high(1) [reserved(1) if profile 3]
 * show_existing_frame(1) frame_type(1)=0 show_frame(1) error_resilient(1)
 * sync_code(24)=0x498342 [ten_or_twelve_bit(1) if profile >= 2] …
 * ```
 * @see VP9 Bitstream Specification v0.6, 6.2 "Uncompressed header syntax"
 */
export function vp9CodecString(
  keyframe: Uint8Array | undefined,
  width: number,
  height: number,
): string {
  const level = two(vp9LevelForSize(width, height));
  const fallback = `vp09.00.${level}.08`;
  if (keyframe === undefined) return fallback;
  const r = new BitCursor(keyframe);
  if (r.bits(2) !== 2) return fallback;
  const low = r.bits(1);
  const high = r.bits(1);
  if (low === null || high === null) return fallback;
  const profile = (high << 1) | low;
  if (profile === 3 && r.bits(1) === null) return fallback;
  if (r.bits(1) !== 0) return fallback; // show_existing_frame
  if (r.bits(1) !== 0) return fallback; // frame_type: not a keyframe
  if (r.bits(2) === null) return fallback; // show_frame, error_resilient_mode
  if (r.bits(24) !== 0x498342) return fallback;
  let depth = 8;
  if (profile >= 2) {
    const tenOrTwelve = r.bits(1);
    if (tenOrTwelve === null) return fallback;
    depth = tenOrTwelve === 1 ? 12 : 10;
  }
  return `vp09.${two(profile)}.${level}.${two(depth)}`;
}

const OBU_SEQUENCE_HEADER = 1;

/** Finds the first sequence header OBU in a low-overhead (size-delimited) AV1 temporal unit. */
function findSequenceHeader(data: Uint8Array): Uint8Array | null {
  let pos = 0;
  while (pos < data.byteLength) {
    const header = data[pos] ?? 0;
    const type = (header >>> 3) & 0x0f;
    const hasExtension = (header & 0x04) !== 0;
    const hasSize = (header & 0x02) !== 0;
    pos += hasExtension ? 2 : 1;
    let size = data.byteLength - pos;
    if (hasSize) {
      size = 0;
      let shift = 1;
      for (let i = 0; i < 8; i++) {
        if (pos >= data.byteLength) return null;
        const byte = data[pos++] ?? 0;
        size += (byte & 0x7f) * shift;
        shift *= 128;
        if ((byte & 0x80) === 0) break;
      }
    }
    if (pos + size > data.byteLength) return null;
    if (type === OBU_SEQUENCE_HEADER) return data.subarray(pos, pos + size);
    pos += size;
  }
  return null;
}

type Av1Config = { profile: number; level: number; tier: number; bitDepth: number };

/** Walks sequence_header_obu() up to color_config()'s bit depth. @see AV1 spec 5.5 */
function parseSequenceHeader(obu: Uint8Array): Av1Config | null {
  const r = new BitCursor(obu);
  const profile = r.bits(3);
  r.bits(1); // still_picture
  const reduced = r.bits(1);
  if (profile === null || reduced === null) return null;
  let level: number | null;
  let tier = 0;
  if (reduced === 1) {
    level = r.bits(5);
  } else {
    let decoderModel = 0;
    let bufferDelayBits = 0;
    if (r.bits(1) === 1) {
      // timing_info()
      r.bits(32);
      r.bits(32);
      if (r.bits(1) === 1 && r.uvlc() === null) return null;
      decoderModel = r.bits(1) ?? 0;
      if (decoderModel === 1) {
        bufferDelayBits = (r.bits(5) ?? 0) + 1;
        r.bits(32);
        r.bits(10); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelay = r.bits(1);
    const opCount = r.bits(5);
    if (opCount === null) return null;
    level = null;
    for (let i = 0; i <= opCount; i++) {
      r.bits(12); // operating_point_idc
      const opLevel = r.bits(5);
      if (opLevel === null) return null;
      const opTier = opLevel > 7 ? (r.bits(1) ?? 0) : 0;
      if (i === 0) {
        level = opLevel;
        tier = opTier;
      }
      if (decoderModel === 1 && r.bits(1) === 1) r.bits(2 * bufferDelayBits + 1);
      if (initialDisplayDelay === 1 && r.bits(1) === 1) r.bits(4);
    }
  }
  if (level === null) return null;
  const widthBits = (r.bits(4) ?? 0) + 1;
  const heightBits = (r.bits(4) ?? 0) + 1;
  r.bits(widthBits);
  r.bits(heightBits);
  if (reduced === 0 && r.bits(1) === 1) r.bits(7); // frame id lengths
  r.bits(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (reduced === 0) {
    r.bits(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = r.bits(1);
    if (orderHint === 1) r.bits(2);
    const chooseScreenContent = r.bits(1);
    const forceScreenContent = chooseScreenContent === 1 ? 2 : (r.bits(1) ?? 0);
    if (forceScreenContent > 0 && r.bits(1) === 0) r.bits(1); // seq_force_integer_mv
    if (orderHint === 1) r.bits(3);
  }
  r.bits(3); // superres, cdef, restoration
  const highBitDepth = r.bits(1);
  if (highBitDepth === null) return null;
  let bitDepth = highBitDepth === 1 ? 10 : 8;
  if (profile === 2 && highBitDepth === 1) {
    const twelve = r.bits(1);
    if (twelve === null) return null;
    bitDepth = twelve === 1 ? 12 : 10;
  }
  return { profile, level, tier, bitDepth };
}

/**
 * `av01.P.LLT.DD` from the sequence header OBU of an AV1 keyframe (temporal unit in the
 * low-overhead format, as Matroska stores it): seq_profile, seq_level_idx[0], seq_tier[0]
 * and BitDepth. Falls back to main profile, level 4.0 (08), main tier, 8 bits.
 * @see https://aomediacodec.github.io/av1-isobmff/#codecsparam
 */
export function av1CodecString(keyframe: Uint8Array | undefined): string {
  const fallback = 'av01.0.08M.08';
  if (keyframe === undefined) return fallback;
  const obu = findSequenceHeader(keyframe);
  const config = obu === null ? null : parseSequenceHeader(obu);
  if (config === null) return fallback;
  return `av01.${config.profile}.${two(config.level)}${config.tier === 1 ? 'H' : 'M'}.${two(config.bitDepth)}`;
}
