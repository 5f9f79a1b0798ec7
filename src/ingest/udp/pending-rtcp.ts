/**
 * RTCP that arrived before the sender's RTP, held until RTP names the sender. Senders
 * commonly open with a sender report (ffmpeg sends its first SR before its first RTP
 * packet), and that first SR is what maps the stream's RTP time to wall-clock time, so
 * it is kept rather than dropped. Bounded: the oldest entry goes when full.
 * @see RFC 3550 §6.4.1 (sender report), §6.2 (RTCP transmission interval)
 */
export type PendingRtcpEntry = {
  readonly packet: Uint8Array;
  readonly arrivalMs: number;
  readonly address: string;
  readonly family: string;
  readonly port: number;
};

export class PendingRtcp {
  readonly #capacity: number;
  #entries: PendingRtcpEntry[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Adds an entry; returns the number evicted (0 or 1). */
  add(entry: PendingRtcpEntry): number {
    this.#entries.push(entry);
    if (this.#entries.length <= this.#capacity) return 0;
    this.#entries.shift();
    return 1;
  }

  /** Removes and returns every entry, oldest first. */
  drain(): PendingRtcpEntry[] {
    const entries = this.#entries;
    this.#entries = [];
    return entries;
  }
}
