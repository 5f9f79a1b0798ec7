/**
 * Turns every appended event into a durable webhook job and delivers the jobs.
 *
 * ```
 * events (seq) ──scan (cursor in app_settings)──▶ jobs kind 'webhook' ──claim──▶ attemptOnce
 *                 only while a webhook URL is set                 │ delivered → completeJob
 *                                                                 │ retry     → failJob(now + retryAfterMs)
 *                                                                 └ give-up   → failJob(null)
 * ```
 * The scan and the cursor move in one transaction, so each event is enqueued once; the
 * jobs live in SQLite, so a restart resumes them (at least once: an attempt cut off by a
 * crash is made again). `webhook-id` is the event id on every attempt. First attempts go
 * out in event order; a retried event can arrive after later ones. Attempts are capped
 * by `maxAttempts` and by `windowMs` after the event was appended.
 */
import type { Kysely } from 'kysely';
import type { TapedeckMetrics } from '../api/metrics.js';
import {
  claimNextJob,
  completeJob,
  enqueueJob,
  failJob,
  fromJson,
  type ClaimedJob,
  type JsonObject,
  type Schema,
} from '../db/index.js';
import { PollLoop } from './poll-loop.js';
import { getWebhookCursor, getWebhookEndpoint, setWebhookCursor } from './webhook-settings.js';
import { WebhookSender, type WebhookEvent } from './webhooks/index.js';

export const WEBHOOK_JOB_KIND = 'webhook';

export type WebhookDispatcherOptions = {
  readonly db: Kysely<Schema>;
  readonly metrics?: TapedeckMetrics;
  /** Pause between passes when nothing is due. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Attempts per event, the first included. Default 8. */
  readonly maxAttempts?: number;
  /** No attempt later than this long after the event. Default 24 h. */
  readonly windowMs?: number;
  /** Backoff ceiling for the first retry (doubles per retry). Default 1 000 ms. */
  readonly initialDelayMs?: number;
  /** Cap on the backoff ceiling. Default 300 000 ms. */
  readonly maxDelayMs?: number;
  /** Per-attempt response timeout. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Job lease; a worker that dies frees its job after it. Default 60 000 ms. */
  readonly leaseMs?: number;
  /** Called for each attempt (logging). */
  readonly onAttempt?: (report: WebhookAttemptReport) => void;
};

export type WebhookAttemptReport = {
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly outcome: 'delivered' | 'retry' | 'give-up';
  readonly detail: string;
};

type Settings = Required<Omit<WebhookDispatcherOptions, 'db' | 'metrics' | 'onAttempt'>>;

export class WebhookDispatcher {
  readonly #db: Kysely<Schema>;
  readonly #metrics: TapedeckMetrics | undefined;
  readonly #onAttempt: ((report: WebhookAttemptReport) => void) | undefined;
  readonly #settings: Settings;
  readonly #loop: PollLoop;

  constructor(options: WebhookDispatcherOptions) {
    this.#db = options.db;
    this.#metrics = options.metrics;
    this.#onAttempt = options.onAttempt;
    this.#settings = {
      pollIntervalMs: positiveInteger(options.pollIntervalMs ?? 250, 'pollIntervalMs'),
      maxAttempts: positiveInteger(options.maxAttempts ?? 8, 'maxAttempts'),
      windowMs: positiveInteger(options.windowMs ?? 86_400_000, 'windowMs'),
      initialDelayMs: nonNegativeInteger(options.initialDelayMs ?? 1_000, 'initialDelayMs'),
      maxDelayMs: nonNegativeInteger(options.maxDelayMs ?? 300_000, 'maxDelayMs'),
      timeoutMs: positiveInteger(options.timeoutMs ?? 10_000, 'timeoutMs'),
      leaseMs: positiveInteger(options.leaseMs ?? 60_000, 'leaseMs'),
    };
    this.#loop = new PollLoop(
      this.#db,
      () => this.#settings.pollIntervalMs,
      () => this.#pass(),
    );
  }

  /** Starts the worker loop (idempotent). */
  start(): void {
    this.#loop.start();
  }

  /** Asks for a pass now instead of after the poll interval. */
  wake(): void {
    this.#loop.wake();
  }

  /**
   * Stops the loop after the attempt in flight (if any) finishes, after a last scan so
   * events appended during shutdown are enqueued for the next start. Idempotent.
   */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await this.enqueueNewEvents();
  }

  /**
   * Enqueues a job for every event appended since the last scan, when a webhook is
   * configured (events appended while none is configured are skipped). Returns how many.
   */
  async enqueueNewEvents(nowMs = Date.now()): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const cursor = await getWebhookCursor(trx);
      const rows = await trx
        .selectFrom('events')
        .selectAll()
        .where('seq', '>', cursor)
        .orderBy('seq')
        .limit(500)
        .execute();
      const last = rows.at(-1);
      if (last === undefined) return 0;
      const endpoint = await getWebhookEndpoint(trx);
      if (endpoint !== undefined) {
        // Same run_at for the page; created_at steps by 1 ms so jobs are claimed in seq
        // order (claimNextJob orders by run_at, then created_at).
        for (const [i, row] of rows.entries()) {
          await enqueueJob(
            trx,
            {
              kind: WEBHOOK_JOB_KIND,
              runAtMs: nowMs,
              maxAttempts: this.#settings.maxAttempts,
              payload: {
                event_id: row.id,
                type: row.type,
                call_cid: row.call_cid,
                recording_id: row.recording_id,
                created_at_ms: row.created_at,
                payload: fromJson(row.payload, 'events.payload'),
              },
            },
            nowMs + i,
          );
        }
      }
      await setWebhookCursor(trx, last.seq, nowMs);
      return endpoint === undefined ? 0 : rows.length;
    });
  }

  /**
   * Runs every webhook job that is due, one at a time, until none is (or `stop()` was
   * called). Returns the number of attempts made.
   */
  async deliverDue(): Promise<number> {
    let made = 0;
    while (!this.#loop.stopping) {
      const job = await claimNextJob(this.#db, {
        kind: WEBHOOK_JOB_KIND,
        leaseMs: this.#settings.leaseMs,
      });
      if (job === undefined) break;
      await this.#deliver(job);
      made++;
    }
    return made;
  }

  async #pass(): Promise<void> {
    // Keep scanning while a full page came back.
    while ((await this.enqueueNewEvents()) >= 500);
    await this.deliverDue();
  }

  async #deliver(job: ClaimedJob): Promise<void> {
    const p = job.payload;
    const eventId = typeof p['event_id'] === 'string' ? p['event_id'] : '';
    const eventType = typeof p['type'] === 'string' ? p['type'] : '';
    const createdAtMs = Number(p['created_at_ms']);
    const report = (outcome: WebhookAttemptReport['outcome'], detail: string): void => {
      this.#metrics?.webhookAttempts.inc({ outcome });
      this.#onAttempt?.({ eventId, eventType, attempt: job.attempts, outcome, detail });
    };
    const deadline = createdAtMs + this.#settings.windowMs;
    if (eventId === '' || eventType === '' || !Number.isFinite(createdAtMs)) {
      await failJob(this.#db, job, 'malformed webhook job payload', null);
      return;
    }
    const endpoint = await getWebhookEndpoint(this.#db);
    if (endpoint === undefined) {
      await failJob(this.#db, job, 'no webhook configured', null);
      return;
    }
    if (Date.now() > deadline) {
      await failJob(this.#db, job, 'delivery window passed', null);
      return;
    }
    const event: WebhookEvent = {
      ...((p['payload'] ?? {}) as JsonObject),
      id: eventId,
      type: eventType,
      created_at: new Date(createdAtMs).toISOString(),
      call_cid: p['call_cid'] ?? null,
      recording_id: p['recording_id'] ?? null,
    };
    let sender: WebhookSender;
    try {
      sender = new WebhookSender({
        url: endpoint.url,
        secret: endpoint.secret,
        timeoutMs: this.#settings.timeoutMs,
        initialDelayMs: this.#settings.initialDelayMs,
        maxDelayMs: this.#settings.maxDelayMs,
      });
    } catch (error) {
      await failJob(this.#db, job, `bad webhook configuration: ${(error as Error).message}`, null);
      return;
    }
    const result = await sender.attemptOnce(event, { attempt: job.attempts });
    const detail =
      'status' in result.attempt ? `HTTP ${result.attempt.status}` : result.attempt.error;
    report(result.outcome, detail);
    if (result.outcome === 'delivered') {
      await completeJob(this.#db, job);
    } else if (result.outcome === 'give-up') {
      await failJob(this.#db, job, `${result.reason ?? 'rejected'}: ${detail}`, null);
    } else {
      const retryAtMs = Date.now() + (result.retryAfterMs ?? 0);
      await failJob(this.#db, job, detail, retryAtMs > deadline ? null : retryAtMs);
    }
  }
}

function positiveInteger(value: number, option: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${option} must be a positive integer, got ${String(value)}`);
  return value;
}

function nonNegativeInteger(value: number, option: string): number {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${option} must be a non-negative integer, got ${String(value)}`);
  return value;
}
