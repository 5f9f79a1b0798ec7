/**
 * The Opus TOC byte and frame count: what a packet holds and how long it lasts, without
 * decoding it.
 *
 * ```
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * | config  |s| c |      config: mode, bandwidth, frame size (table below)
 * +-+-+-+-+-+-+-+-+      s: stereo; c: 0 = 1 frame, 1 = 2 equal frames,
 *                        2 = 2 frames of different sizes, 3 = arbitrary count
 *
 * code 3 frame count byte:
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+
 * |v|p|     M     |      v: VBR, p: padding present, M: frame count (1..48)
 * +-+-+-+-+-+-+-+-+
 * ```
 *
 * | config | mode   | bandwidth     | frame sizes (ms)    |
 * |--------|--------|---------------|---------------------|
 * | 0–3    | SILK   | narrowband    | 10, 20, 40, 60      |
 * | 4–7    | SILK   | mediumband    | 10, 20, 40, 60      |
 * | 8–11   | SILK   | wideband      | 10, 20, 40, 60      |
 * | 12–13  | hybrid | superwideband | 10, 20              |
 * | 14–15  | hybrid | fullband      | 10, 20              |
 * | 16–19  | CELT   | narrowband    | 2.5, 5, 10, 20      |
 * | 20–23  | CELT   | wideband      | 2.5, 5, 10, 20      |
 * | 24–27  | CELT   | superwideband | 2.5, 5, 10, 20      |
 * | 28–31  | CELT   | fullband      | 2.5, 5, 10, 20      |
 *
 * The packet is checked against the framing rules R1–R7 of RFC 6716 §3.4 (lengths that fit,
 * frame sizes ≤ 1275 bytes, at most 120 ms of audio, M ≥ 1); a packet that breaks one is
 * malformed and `opusPacketInfo` returns `undefined` (it never throws, never reads out of
 * bounds).
 *
 * @see RFC 6716 §3.1 (TOC byte), §3.2 (frame packing), §3.4 (malformed packets)
 */

export type OpusMode = 'silk' | 'hybrid' | 'celt';

export type OpusBandwidth = 'narrowband' | 'mediumband' | 'wideband' | 'superwideband' | 'fullband';

/** Frame packing code (the TOC's `c` bits). */
export type OpusFrameCode = 0 | 1 | 2 | 3;

export type OpusPacketInfo = {
  /** TOC configuration number, 0..31. */
  readonly config: number;
  readonly mode: OpusMode;
  readonly bandwidth: OpusBandwidth;
  /** Duration of one frame in 48 kHz samples: 120, 240, 480, 960, 1920 or 2880. */
  readonly frameSizeSamples48k: number;
  /** Number of frames in the packet (1..48). */
  readonly frameCount: number;
  /** frameSizeSamples48k × frameCount (at most 5760 = 120 ms). */
  readonly durationSamples48k: number;
  readonly stereo: boolean;
  /** Frame packing code 0..3. */
  readonly code: OpusFrameCode;
};

/** Longest frame payload a packet may carry (RFC 6716 §3.4, R2). */
const MAX_FRAME_BYTES = 1275;
/** Longest packet duration: 120 ms at 48 kHz (R5). */
const MAX_PACKET_SAMPLES_48K = 5760;

const SILK_SIZES = [480, 960, 1920, 2880] as const;
const HYBRID_SIZES = [480, 960] as const;
const CELT_SIZES = [120, 240, 480, 960] as const;

type ConfigEntry = {
  readonly mode: OpusMode;
  readonly bandwidth: OpusBandwidth;
  readonly frameSizeSamples48k: number;
};

function configEntry(config: number): ConfigEntry {
  if (config < 12) {
    const bandwidths = ['narrowband', 'mediumband', 'wideband'] as const;
    return {
      mode: 'silk',
      bandwidth: bandwidths[config >>> 2] ?? 'wideband',
      frameSizeSamples48k: SILK_SIZES[config & 3] ?? 960,
    };
  }
  if (config < 16) {
    return {
      mode: 'hybrid',
      bandwidth: config < 14 ? 'superwideband' : 'fullband',
      frameSizeSamples48k: HYBRID_SIZES[config & 1] ?? 960,
    };
  }
  const bandwidths = ['narrowband', 'wideband', 'superwideband', 'fullband'] as const;
  return {
    mode: 'celt',
    bandwidth: bandwidths[(config - 16) >>> 2] ?? 'fullband',
    frameSizeSamples48k: CELT_SIZES[config & 3] ?? 960,
  };
}

/** The 32 configurations, computed once. */
const CONFIGS: readonly ConfigEntry[] = Array.from({ length: 32 }, (_, config) =>
  configEntry(config),
);

/**
 * Reads a frame length (1 or 2 bytes) at `pos`: 0..251 is the length itself, 252..255 are
 * followed by a second byte and mean `first + 4 × second` (RFC 6716 §3.2.1). Returns
 * `[length, bytesUsed]`, or undefined if the bytes run out.
 */
function readFrameLength(
  packet: Uint8Array,
  pos: number,
  end: number,
): [number, number] | undefined {
  if (pos >= end) return undefined;
  const first = packet[pos] ?? 0;
  if (first < 252) return [first, 1];
  if (pos + 1 >= end) return undefined;
  return [first + 4 * (packet[pos + 1] ?? 0), 2];
}

/**
 * Counts the frames of an Opus packet, validating the framing. Returns undefined when the
 * packet is malformed.
 */
function countFrames(
  packet: Uint8Array,
  code: OpusFrameCode,
  frameSize: number,
): number | undefined {
  const n = packet.byteLength;
  if (code === 0) return n - 1 <= MAX_FRAME_BYTES ? 1 : undefined;
  if (code === 1) {
    const payload = n - 1;
    return payload % 2 === 0 && payload / 2 <= MAX_FRAME_BYTES ? 2 : undefined;
  }
  if (code === 2) {
    const len = readFrameLength(packet, 1, n);
    if (!len) return undefined;
    const [first, used] = len;
    const second = n - 1 - used - first;
    if (second < 0 || first > MAX_FRAME_BYTES || second > MAX_FRAME_BYTES) return undefined;
    return 2;
  }
  return countCode3(packet, frameSize);
}

/** Code 3: frame count byte, optional padding, then CBR or VBR frames (R5–R7). */
function countCode3(packet: Uint8Array, frameSize: number): number | undefined {
  const n = packet.byteLength;
  if (n < 2) return undefined;
  const countByte = packet[1] ?? 0;
  const vbr = (countByte & 0x80) !== 0;
  const padded = (countByte & 0x40) !== 0;
  const m = countByte & 0x3f;
  if (m === 0 || m * frameSize > MAX_PACKET_SAMPLES_48K) return undefined;
  let pos = 2;
  let padding = 0;
  if (padded) {
    // Each 255 means 254 bytes of padding and another length byte follows.
    for (;;) {
      if (pos >= n) return undefined;
      const p = packet[pos++] ?? 0;
      padding += p === 255 ? 254 : p;
      if (p !== 255) break;
    }
  }
  let remaining = n - pos - padding;
  if (remaining < 0) return undefined;
  if (!vbr) {
    if (remaining % m !== 0 || remaining / m > MAX_FRAME_BYTES) return undefined;
    return m;
  }
  for (let i = 0; i < m - 1; i++) {
    const len = readFrameLength(packet, pos, n - padding);
    if (!len) return undefined;
    const [size, used] = len;
    pos += used;
    remaining -= used + size;
    if (size > MAX_FRAME_BYTES || remaining < 0) return undefined;
  }
  return remaining <= MAX_FRAME_BYTES ? m : undefined;
}

/**
 * Parses the TOC byte and the frame count of an Opus packet (an RTP payload).
 * Returns undefined for an empty or malformed packet; never throws.
 *
 * @see RFC 6716 §3.1, §3.2, §3.4
 */
export function opusPacketInfo(packet: Uint8Array): OpusPacketInfo | undefined {
  if (packet.byteLength === 0) return undefined;
  const toc = packet[0] ?? 0;
  const config = toc >>> 3;
  const stereo = (toc & 0x04) !== 0;
  const code = (toc & 0x03) as OpusFrameCode;
  const entry = CONFIGS[config];
  if (!entry) return undefined;
  const frameCount = countFrames(packet, code, entry.frameSizeSamples48k);
  if (frameCount === undefined) return undefined;
  return {
    config,
    mode: entry.mode,
    bandwidth: entry.bandwidth,
    frameSizeSamples48k: entry.frameSizeSamples48k,
    frameCount,
    durationSamples48k: entry.frameSizeSamples48k * frameCount,
    stereo,
    code,
  };
}

/** The TOC configuration number for a mode/bandwidth/frame size, or undefined if none. */
export function opusConfigFor(
  mode: OpusMode,
  bandwidth: OpusBandwidth,
  frameSizeSamples48k: number,
): number | undefined {
  const index = CONFIGS.findIndex(
    (e) =>
      e.mode === mode && e.bandwidth === bandwidth && e.frameSizeSamples48k === frameSizeSamples48k,
  );
  return index < 0 ? undefined : index;
}
