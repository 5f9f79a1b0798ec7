/**
 * Puts the RTP packets of one stream back into sequence order, unwrapping 16-bit sequence
 * numbers and 32-bit timestamps once, early (DESIGN.md "Time").
 *
 * ```
 *   arrival order        window (maxDelayPackets)         output (extended-seq order)
 *   7 5 6 9 8 12 10 ──▶  [ next=5 | 6 7 . 9 … highest ] ──▶ 5 6 7 8 9 10 (11 lost) 12
 * ```
 *
 * A synchronous machine: `push(input) → OrderedPacket[]`, `flush() → OrderedPacket[]`.
 * Loss, lateness and duplication are counted in `stats`, never thrown.
 *
 * @see RFC 3550 §A.1 (sequence number extension), §5.1 (timestamp)
 */
import type { RtpPacket } from '../../rtp/rtp-packet.js';
import { seqDelta, tsDelta } from '../../lib/wrap.js';
import { emptyStats, type OrderedPacket, type PacketStats } from '../types.js';

/** A packet as read from the capture: the parsed packet and its arrival time. */
export type ReceivedPacket = {
  readonly packet: RtpPacket;
  /** Milliseconds since the capture start (rtpdump record offset). */
  readonly arrivalMs: number;
};

/** Options of {@link ReorderBuffer}; every field is optional. */
export type ReorderBufferOptions = {
  /**
   * How far (in sequence numbers) the buffer waits for a missing packet: a gap is declared
   * lost when a packet `maxDelayPackets` numbers newer than it has arrived. Also the
   * start-up hold: nothing is released until the received sequence span reaches this size
   * (or `flush()`), so packets reordered around the first one are not counted late.
   * Integer ≥ 1, below `resyncThreshold`. Default 100.
   */
  readonly maxDelayPackets?: number;
  /**
   * A sequence jump larger than this (forward or backward, in 16-bit sequence space) is
   * taken as a sender restart rather than loss or lateness. Integer in
   * (maxDelayPackets, 16384]. Default 3000.
   */
  readonly resyncThreshold?: number;
  /**
   * How many consecutive jumped packets (within `maxDelayPackets` of each other) confirm a
   * restart; a lone stray packet is dropped and counted as `late`. Integer ≥ 1. Default 2.
   */
  readonly resyncPackets?: number;
  /**
   * The stream's RTP clock rate. When given, the timestamps of a restarted sender are
   * rebased to continue from the previous packet by the arrival-time gap; without it they
   * continue by the signed 32-bit timestamp difference. Default: undefined.
   */
  readonly clockRate?: number;
};

type ResolvedOptions = {
  readonly maxDelayPackets: number;
  readonly resyncThreshold: number;
  readonly resyncPackets: number;
  readonly clockRate: number | undefined;
};

/** Slots remembered behind the release point, to tell a duplicate from a late packet. */
const HISTORY_SIZE = 0x8000;
const HISTORY_MASK = HISTORY_SIZE - 1;
const SLOT_EMITTED = 1;
const SLOT_LOST = 2;

function resolveOptions(options: ReorderBufferOptions): ResolvedOptions {
  const maxDelayPackets = options.maxDelayPackets ?? 100;
  const resyncThreshold = options.resyncThreshold ?? 3000;
  const resyncPackets = options.resyncPackets ?? 2;
  if (!Number.isInteger(maxDelayPackets) || maxDelayPackets < 1) {
    throw new RangeError(`options.maxDelayPackets must be an integer ≥ 1, got ${maxDelayPackets}`);
  }
  if (
    !Number.isInteger(resyncThreshold) ||
    resyncThreshold <= maxDelayPackets ||
    resyncThreshold > 16384
  ) {
    throw new RangeError(
      `options.resyncThreshold must be an integer in (maxDelayPackets, 16384], got ${resyncThreshold}`,
    );
  }
  if (!Number.isInteger(resyncPackets) || resyncPackets < 1) {
    throw new RangeError(`options.resyncPackets must be an integer ≥ 1, got ${resyncPackets}`);
  }
  const clockRate = options.clockRate;
  if (clockRate !== undefined && !(Number.isFinite(clockRate) && clockRate > 0)) {
    throw new RangeError(`options.clockRate must be a positive number, got ${clockRate}`);
  }
  return { maxDelayPackets, resyncThreshold, resyncPackets, clockRate };
}

type Held = { readonly input: ReceivedPacket; readonly extSeq: number };

/**
 * Reorders one RTP stream (one SSRC; the SSRC itself is not inspected).
 *
 * Counting rules (`stats`):
 * - `received`: every pushed packet.
 * - `duplicates`: a sequence number already buffered or already emitted; dropped.
 * - `lost`: sequence numbers skipped in the output (declared lost when the window moved
 *   past them, or left as gaps at `flush()`). Numbers before the first or after the last
 *   received packet are unknowable and not counted; neither is the jump of a restart.
 * - `late`: packets that arrive after their slot was released as lost (dropped), older
 *   than the remembered history, or stray packets far outside the window that no second
 *   packet confirms as a restart. A late packet for a slot already counted `lost` stays
 *   counted in both: `lost` describes the output, which never contained it.
 *
 * Invariant: `received = emitted + duplicates + late + held` (held = still buffered).
 *
 * Sender restart: when `resyncPackets` consecutive packets jump more than
 * `resyncThreshold` away, the buffer releases what it holds (gaps counted lost) and
 * continues the extended numbering at the previous highest + 1 from the lowest of them;
 * `resyncs` counts these events.
 *
 * Unwrapping follows `Unwrapper` (src/lib/wrap.ts): the first packet's extended sequence
 * number is `sequenceNumber + 2^16`; the first emitted packet's `extTimestamp` is
 * `timestamp + 2^32`, and each following one (in output order) adds the signed 32-bit
 * difference from its predecessor. So values stay positive when a stream steps back a
 * little, and `extSeq ≡ sequenceNumber (mod 2^16)`, `extTimestamp ≡ timestamp (mod 2^32)`
 * until a restart.
 */
export class ReorderBuffer {
  readonly #options: ResolvedOptions;
  readonly #stats: PacketStats = emptyStats();
  /** Extended seq → held packet. A Map keyed by number, never a plain object. */
  readonly #held = new Map<number, Held>();
  readonly #historySeq = new Float64Array(HISTORY_SIZE).fill(-1);
  readonly #historyState = new Uint8Array(HISTORY_SIZE);
  /** Highest extended sequence number accepted, and its 16-bit value. */
  #highestExt: number | undefined;
  #highestRaw = 0;
  /** Next extended sequence number to release; undefined until the first release. */
  #nextExt: number | undefined;
  /** Lowest held extended seq during the start-up hold. */
  #lowestHeld: number | undefined;
  #candidates: ReceivedPacket[] = [];
  #lastEmitted: { raw: number; ext: number; arrivalMs: number } | undefined;
  #rebaseTimestamp = false;
  #resyncs = 0;

  constructor(options: ReorderBufferOptions = {}) {
    this.#options = resolveOptions(options);
  }

  /** Irregularity counters (live object; read, do not modify). */
  get stats(): Readonly<PacketStats> {
    return this.#stats;
  }

  /** Number of sender restarts the buffer resynchronised on. */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** Packets currently held (waiting for a gap to fill or the start-up hold). */
  get heldCount(): number {
    return this.#held.size + this.#candidates.length;
  }

  push(input: ReceivedPacket): OrderedPacket[] {
    this.#stats.received += 1;
    const out: OrderedPacket[] = [];
    const raw = input.packet.sequenceNumber & 0xffff;
    if (this.#highestExt === undefined) {
      // Like `Unwrapper`: start one cycle up so numbers slightly before the first stay ≥ 0.
      this.#highestExt = raw + 0x1_0000;
      this.#highestRaw = raw;
      this.#insert(input, raw + 0x1_0000, out);
      return out;
    }
    const delta = seqDelta(this.#highestRaw, raw);
    if (Math.abs(delta) > this.#options.resyncThreshold) {
      this.#pushCandidate(input, out);
      return out;
    }
    if (delta > 0 && this.#candidates.length > 0) {
      // The old stream moved on: the jumped packets were strays.
      this.#stats.late += this.#candidates.length;
      this.#candidates = [];
    }
    const ext = this.#highestExt + delta;
    if (delta > 0) {
      this.#highestExt = ext;
      this.#highestRaw = raw;
    }
    this.#insert(input, ext, out);
    return out;
  }

  /** Releases everything held, in order; gaps between held packets count as lost. */
  flush(): OrderedPacket[] {
    const out: OrderedPacket[] = [];
    if (this.#candidates.length > 0) this.#resync(out);
    this.#drain(out);
    return out;
  }

  #insert(input: ReceivedPacket, ext: number, out: OrderedPacket[]): void {
    if (this.#nextExt !== undefined && ext < this.#nextExt) {
      const slot = ext & HISTORY_MASK;
      if (this.#historySeq[slot] === ext && this.#historyState[slot] === SLOT_EMITTED) {
        this.#stats.duplicates += 1;
      } else {
        this.#stats.late += 1;
      }
      return;
    }
    if (this.#held.has(ext)) {
      this.#stats.duplicates += 1;
      return;
    }
    this.#held.set(ext, { input, extSeq: ext });
    if (this.#nextExt === undefined) {
      this.#lowestHeld = this.#lowestHeld === undefined ? ext : Math.min(this.#lowestHeld, ext);
    }
    this.#release(out);
  }

  #release(out: OrderedPacket[]): void {
    const highest = this.#highestExt;
    if (highest === undefined) return;
    const expireBelow = highest - this.#options.maxDelayPackets;
    if (this.#nextExt === undefined) {
      // Start-up hold: wait until the span of received numbers fills the window.
      if (this.#lowestHeld === undefined || this.#lowestHeld > expireBelow) return;
      this.#nextExt = this.#lowestHeld;
      this.#lowestHeld = undefined;
    }
    let next = this.#nextExt;
    while (next <= highest) {
      const held = this.#held.get(next);
      if (held !== undefined) {
        this.#held.delete(next);
        out.push(this.#emit(held));
      } else if (next <= expireBelow) {
        this.#markLost(next);
      } else {
        break;
      }
      next += 1;
    }
    this.#nextExt = next;
  }

  /** Releases every held packet in order, counting the gaps between them as lost. */
  #drain(out: OrderedPacket[]): void {
    if (this.#held.size === 0) return;
    const highest = this.#highestExt;
    if (highest === undefined) return;
    let next = this.#nextExt ?? this.#lowestHeld ?? highest;
    this.#lowestHeld = undefined;
    while (this.#held.size > 0 && next <= highest) {
      const held = this.#held.get(next);
      if (held !== undefined) {
        this.#held.delete(next);
        out.push(this.#emit(held));
      } else {
        this.#markLost(next);
      }
      next += 1;
    }
    this.#held.clear();
    this.#nextExt = next;
  }

  #markLost(ext: number): void {
    const slot = ext & HISTORY_MASK;
    this.#historySeq[slot] = ext;
    this.#historyState[slot] = SLOT_LOST;
    this.#stats.lost += 1;
  }

  #emit(held: Held): OrderedPacket {
    const { input, extSeq } = held;
    const slot = extSeq & HISTORY_MASK;
    this.#historySeq[slot] = extSeq;
    this.#historyState[slot] = SLOT_EMITTED;
    const raw = input.packet.timestamp >>> 0;
    const last = this.#lastEmitted;
    let extTimestamp: number;
    if (last === undefined) {
      extTimestamp = raw + 0x1_0000_0000;
    } else if (this.#rebaseTimestamp && this.#options.clockRate !== undefined) {
      const gapMs = Math.max(0, input.arrivalMs - last.arrivalMs);
      extTimestamp = last.ext + Math.max(1, Math.round((gapMs * this.#options.clockRate) / 1000));
    } else {
      extTimestamp = last.ext + tsDelta(last.raw, raw);
    }
    this.#rebaseTimestamp = false;
    this.#lastEmitted = { raw, ext: extTimestamp, arrivalMs: input.arrivalMs };
    return { packet: input.packet, extSeq, extTimestamp, arrivalMs: input.arrivalMs };
  }

  #pushCandidate(input: ReceivedPacket, out: OrderedPacket[]): void {
    const last = this.#candidates[this.#candidates.length - 1];
    if (last !== undefined) {
      const d = seqDelta(last.packet.sequenceNumber & 0xffff, input.packet.sequenceNumber & 0xffff);
      if (Math.abs(d) > this.#options.maxDelayPackets) {
        this.#stats.late += this.#candidates.length;
        this.#candidates = [];
      }
    }
    this.#candidates.push(input);
    if (this.#candidates.length >= this.#options.resyncPackets) this.#resync(out);
  }

  /** Restart: release the old stream, then continue numbering with the candidates. */
  #resync(out: OrderedPacket[]): void {
    const candidates = this.#candidates;
    this.#candidates = [];
    const first = candidates[0];
    if (first === undefined) return;
    this.#drain(out);
    this.#resyncs += 1;
    const firstRaw = first.packet.sequenceNumber & 0xffff;
    let minDelta = 0;
    let maxDelta = 0;
    for (const c of candidates) {
      const d = seqDelta(firstRaw, c.packet.sequenceNumber & 0xffff);
      minDelta = Math.min(minDelta, d);
      maxDelta = Math.max(maxDelta, d);
    }
    const base = (this.#nextExt ?? 0) - minDelta;
    this.#nextExt = base + minDelta;
    this.#highestExt = base + maxDelta;
    this.#highestRaw = (firstRaw + maxDelta) & 0xffff;
    this.#rebaseTimestamp = this.#lastEmitted !== undefined;
    for (const c of candidates) {
      const ext = base + seqDelta(firstRaw, c.packet.sequenceNumber & 0xffff);
      if (this.#held.has(ext)) {
        this.#stats.duplicates += 1;
      } else {
        this.#held.set(ext, { input: c, extSeq: ext });
      }
    }
    this.#release(out);
  }
}
