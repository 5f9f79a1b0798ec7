/**
 * One flush timer for all the open segments of a call part. Every tick hands each
 * segment's buffered records to the OS, so after a crash all tracks end at the same
 * instant (within a packet interval) and at most one interval is lost. The timer runs
 * only while a segment is registered, and is `unref()`'d: it never keeps the process up.
 */
export class FlushClock {
  readonly intervalMs: number;
  readonly #flushers = new Set<() => void>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Calls `flush` on every tick until the returned function is called. */
  register(flush: () => void): () => void {
    this.#flushers.add(flush);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => {
        for (const f of this.#flushers) f();
      }, this.intervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#flushers.delete(flush);
      if (this.#flushers.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }
}
