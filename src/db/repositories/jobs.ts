/**
 * A durable job queue in the metadata store (the embedded runner's; pg-boss takes over
 * when nodes share PostgreSQL). Jobs live in the database file, so a restart loses none.
 *
 * ```
 * enqueueJob ─▶ queued ──claimNextJob──▶ running ──completeJob──▶ done
 *                 ▲  (run_at ≤ now)        │ (lease: locked_until, lease_token)
 *                 │                        ├──failJob(retryAt)──▶ queued (attempts < max)
 *                 │                        ├──failJob(null) or attempts = max──▶ failed
 *                 └──releaseExpiredLeases──┘ (lease passed: queued, or failed if attempts = max)
 * ```
 * An attempt is counted when a job is claimed, so a worker that dies mid-job used one.
 * Claiming is one UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING: SQLite holds the
 * write lock for the whole statement, so two claimers (connections, threads, processes)
 * never get the same job. A job whose lease has passed can be claimed again directly.
 */

import type { Kysely, Selectable } from 'kysely';
import { TapedeckError } from '../../errors.js';
import { newId } from '../ids.js';
import { fromJson, toJson, type JsonObject } from '../json.js';
import type { JobStatus, JobsTable, Schema } from '../schema.js';

export type Job = {
  readonly id: string;
  readonly kind: string;
  readonly payload: JsonObject;
  readonly status: JobStatus;
  readonly runAtMs: number;
  /** Claims so far, including the current one. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly lastError: string | null;
  readonly lockedUntilMs: number | null;
  readonly leaseToken: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
};

/** A job held by the caller until `lockedUntilMs`; `leaseToken` proves it. */
export type ClaimedJob = Job & {
  readonly status: 'running';
  readonly lockedUntilMs: number;
  readonly leaseToken: string;
};

/** What identifies a claim when completing, failing or renewing it. */
export type JobLease = { readonly id: string; readonly leaseToken: string };

function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    kind: row.kind,
    payload: fromJson(row.payload, 'jobs.payload'),
    status: row.status,
    runAtMs: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    lockedUntilMs: row.locked_until,
    leaseToken: row.lease_token,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
  };
}

export type EnqueueJobInput = {
  readonly kind: string;
  readonly payload: JsonObject;
  /** Not before this time. Default: now. */
  readonly runAtMs?: number;
  /** Claims allowed before the job fails for good. Default 5. */
  readonly maxAttempts?: number;
};

export async function enqueueJob(
  db: Kysely<Schema>,
  input: EnqueueJobInput,
  nowMs = Date.now(),
): Promise<Job> {
  const maxAttempts = input.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError('input.maxAttempts must be a positive integer');
  if (input.kind === '') throw new TypeError('input.kind must be a non-empty string');
  const row = await db
    .insertInto('jobs')
    .values({
      id: newId(),
      kind: input.kind,
      payload: toJson(input.payload),
      status: 'queued',
      run_at: input.runAtMs ?? nowMs,
      attempts: 0,
      max_attempts: maxAttempts,
      last_error: null,
      locked_until: null,
      lease_token: null,
      created_at: nowMs,
      updated_at: nowMs,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJob(row);
}

export async function getJob(db: Kysely<Schema>, id: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toJob(row);
}

export type ClaimOptions = {
  /** Only jobs of this kind. Default: any kind. */
  readonly kind?: string;
  /** How long the claim holds before another worker may take the job. Default 60,000 ms. */
  readonly leaseMs?: number;
};

/**
 * Atomically takes the due job with the earliest `runAtMs` (queued and due, or running with
 * a passed lease and attempts left), marks it running under a new lease and counts the
 * attempt. Returns undefined when nothing is due.
 */
export async function claimNextJob(
  db: Kysely<Schema>,
  options: ClaimOptions = {},
  nowMs = Date.now(),
): Promise<ClaimedJob | undefined> {
  const leaseMs = options.leaseMs ?? 60_000;
  if (!Number.isInteger(leaseMs) || leaseMs < 1)
    throw new RangeError('options.leaseMs must be a positive integer');
  const leaseToken = newId();
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      locked_until: nowMs + leaseMs,
      lease_token: leaseToken,
      updated_at: nowMs,
    }))
    .where('id', '=', (eb) => {
      let next = eb
        .selectFrom('jobs')
        .select('id')
        .where((w) =>
          w.or([
            w.and([w('status', '=', 'queued'), w('run_at', '<=', nowMs)]),
            w.and([
              w('status', '=', 'running'),
              w('locked_until', '<=', nowMs),
              w('attempts', '<', w.ref('max_attempts')),
            ]),
          ]),
        );
      if (options.kind !== undefined) next = next.where('kind', '=', options.kind);
      return next.orderBy('run_at').orderBy('created_at').orderBy('id').limit(1);
    })
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return toJob(row) as ClaimedJob;
}

async function leaseLost(db: Kysely<Schema>, lease: JobLease): Promise<TapedeckError> {
  const job = await getJob(db, lease.id);
  if (job === undefined) return new TapedeckError('NOT_FOUND', `job ${lease.id} does not exist`);
  return new TapedeckError(
    'CONFLICT',
    `job ${lease.id} is no longer held by this lease (now ${job.status})`,
  );
}

/** Marks the claimed job done. `CONFLICT` if the lease was lost (expired and claimed again). */
export async function completeJob(
  db: Kysely<Schema>,
  lease: JobLease,
  nowMs = Date.now(),
): Promise<Job> {
  const row = await db
    .updateTable('jobs')
    .set({ status: 'done', locked_until: null, lease_token: null, updated_at: nowMs })
    .where('id', '=', lease.id)
    .where('status', '=', 'running')
    .where('lease_token', '=', lease.leaseToken)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw await leaseLost(db, lease);
  return toJob(row);
}

/**
 * Records a failed attempt. With `retryAtMs` and attempts left the job is queued again for
 * that time; with `retryAtMs` null (a failure retrying cannot fix) or no attempts left it
 * is `failed` for good. `CONFLICT` if the lease was lost.
 */
export async function failJob(
  db: Kysely<Schema>,
  lease: JobLease,
  error: string,
  retryAtMs: number | null,
  nowMs = Date.now(),
): Promise<Job> {
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({
      status:
        retryAtMs === null
          ? 'failed'
          : eb
              .case()
              .when('attempts', '>=', eb.ref('max_attempts'))
              .then('failed' as const)
              .else('queued' as const)
              .end(),
      ...(retryAtMs === null ? {} : { run_at: retryAtMs }),
      last_error: error,
      locked_until: null,
      lease_token: null,
      updated_at: nowMs,
    }))
    .where('id', '=', lease.id)
    .where('status', '=', 'running')
    .where('lease_token', '=', lease.leaseToken)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw await leaseLost(db, lease);
  return toJob(row);
}

/** Extends a held lease (long uploads heartbeat with it). `CONFLICT` if the lease was lost. */
export async function renewJobLease(
  db: Kysely<Schema>,
  lease: JobLease,
  lockedUntilMs: number,
  nowMs = Date.now(),
): Promise<Job> {
  const row = await db
    .updateTable('jobs')
    .set({ locked_until: lockedUntilMs, updated_at: nowMs })
    .where('id', '=', lease.id)
    .where('status', '=', 'running')
    .where('lease_token', '=', lease.leaseToken)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw await leaseLost(db, lease);
  return toJob(row);
}

/**
 * Returns running jobs whose lease has passed (their worker died) to the queue, due at
 * once; those that used all their attempts become `failed` with `lastError` "lease expired".
 */
export async function releaseExpiredLeases(
  db: Kysely<Schema>,
  nowMs = Date.now(),
): Promise<{ readonly requeued: number; readonly failed: number }> {
  return db.transaction().execute(async (trx) => {
    const failed = await trx
      .updateTable('jobs')
      .set({
        status: 'failed',
        last_error: 'lease expired',
        locked_until: null,
        lease_token: null,
        updated_at: nowMs,
      })
      .where('status', '=', 'running')
      .where('locked_until', '<=', nowMs)
      .where('attempts', '>=', (eb) => eb.ref('max_attempts'))
      .executeTakeFirst();
    const requeued = await trx
      .updateTable('jobs')
      .set({ status: 'queued', locked_until: null, lease_token: null, updated_at: nowMs })
      .where('status', '=', 'running')
      .where('locked_until', '<=', nowMs)
      .executeTakeFirst();
    return { requeued: Number(requeued.numUpdatedRows), failed: Number(failed.numUpdatedRows) };
  });
}
