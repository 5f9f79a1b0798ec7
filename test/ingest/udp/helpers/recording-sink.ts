/**
 * A `PacketSink` for tests: keeps every push in order and lets a test await a packet it
 * expects (by content, never by a timer).
 */
import type { PacketSink } from '../../../../src/ingest/recorder/types.js';

export type Pushed = {
  readonly packet: Uint8Array;
  readonly arrivalMs: number;
  readonly isRtcp: boolean;
};

type Waiter = { readonly match: (p: Pushed) => boolean; readonly resolve: () => void };

export class RecordingSink implements PacketSink {
  readonly pushed: Pushed[] = [];
  #waiters: Waiter[] = [];
  /** Called on each push after recording it (a test's hook: throw, close the endpoint…). */
  onPush: ((p: Pushed) => void) | undefined;

  push(packet: Uint8Array, arrivalMs: number, isRtcp: boolean): void {
    const p = { packet, arrivalMs, isRtcp };
    this.pushed.push(p);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(p)) return true;
      w.resolve();
      return false;
    });
    this.onPush?.(p);
  }

  get rtp(): Pushed[] {
    return this.pushed.filter((p) => !p.isRtcp);
  }

  get rtcp(): Pushed[] {
    return this.pushed.filter((p) => p.isRtcp);
  }

  /** Resolves once a pushed packet (already or later) satisfies `match`. */
  waitFor(match: (p: Pushed) => boolean): Promise<void> {
    if (this.pushed.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}
