/**
 * The loop behind the durable job workers (webhooks, deliveries): release leases left by
 * a dead worker, then run a pass, sleep until the poll interval ends or someone calls
 * `wake()`, and again, until `stop()`.
 *
 * ```text
 * start ─▶ releaseExpiredLeases ─▶ pass ─▶ sleep(interval | wake) ─▶ pass ─▶ … ─▶ stop
 * ```
 * A pass that throws (the store closing, a busy database) is retried on the next turn.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { releaseExpiredLeases, type Schema } from '../db/index.js';

export class PollLoop {
  readonly #db: Kysely<Schema>;
  readonly #pass: () => Promise<void>;
  readonly #intervalMs: () => number;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake = new AbortController();

  constructor(db: Kysely<Schema>, intervalMs: () => number, pass: () => Promise<void>) {
    this.#db = db;
    this.#intervalMs = intervalMs;
    this.#pass = pass;
  }

  /** True once `stop()` was called: passes should finish early. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Starts the loop (idempotent; never after stop). */
  start(): void {
    if (this.#loop !== undefined || this.#stopping) return;
    this.#loop = this.#run();
  }

  /** Asks for a pass now instead of after the poll interval. */
  wake(): void {
    this.#wake.abort();
  }

  /** Stops after the pass in flight; idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    await releaseExpiredLeases(this.#db).catch(() => undefined);
    while (!this.#stopping) {
      try {
        await this.#pass();
      } catch {
        // The store is closing or busy; the next turn retries.
      }
      if (this.#stopping) break;
      try {
        await delay(this.#intervalMs(), undefined, { signal: this.#wake.signal });
      } catch {
        this.#wake = new AbortController();
      }
    }
  }
}
