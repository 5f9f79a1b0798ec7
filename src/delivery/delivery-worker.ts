/**
 * Durable delivery of finished archives to the storage a recording is pinned to.
 *
 * ```text
 * part handed off ──▶ archive in managed storage (holding) ──▶ job 'delivery' {recording_id}
 *                                                                │ claim (lease, renewed during upload)
 *          every `delivering` part of the recording, in part order ▼
 *   upload ok  ─▶ one transaction: file row (provider, bucket, key, uri) + part ready + call.recording_ready
 *              ─▶ then the holding copy is deleted (only after the upload was confirmed)
 *   transient  ─▶ retry after capped exponential backoff with full jitter (DESTINATION_UNREACHABLE,
 *                 DESTINATION_UNAVAILABLE, DESTINATION_INTEGRITY_FAILED, anything unexpected)
 *   destination's fault or window passed
 *              ─▶ part failed, recording copy_failed, call.recording_copy_failed; the archive is
 *                 kept in managed storage for the recovery window; POST …/retry_delivery re-queues
 * ```
 * The jobs live in the database, so a restart resumes them; an upload cut off by a crash
 * is made again to the same key (the same bytes), and the ready event is appended in the
 * same transaction that marks the part ready, so it is never announced twice. Destination
 * faults (`DESTINATION_AUTH_FAILED`, `DESTINATION_NOT_FOUND`, `DESTINATION_REGION_MISMATCH`,
 * `DESTINATION_KEY_CONFLICT`) are not retried: hammering a bucket whose credentials were
 * revoked helps nobody; the customer fixes it and asks for `retry_delivery`.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { TapedeckMetrics } from '../api/metrics.js';
import type { LocalStorage } from '../calls/local-storage.js';
import type { FileUrlSigner } from '../calls/signed-url.js';
import {
  addRecordingFile,
  appendEvent,
  callCid,
  claimNextJob,
  completeJob,
  enqueueJob,
  failJob,
  getRecording,
  listRecordingParts,
  renewJobLease,
  transitionRecording,
  updateRecordingPart,
  type ClaimedJob,
  type Recording,
  type RecordingPart,
  type Schema,
} from '../db/index.js';
import { TapedeckError, toTapedeckError } from '../errors.js';
import { objectKey } from '../storage/key-layout.js';
import type { StorageService } from '../storage/storage-service.js';
import type { FileCategory } from '../storage/types.js';
import { describeFile, linkFile } from './file-links.js';
import { PollLoop } from './poll-loop.js';
import { backoffDelayMs } from './webhooks/index.js';

export const DELIVERY_JOB_KIND = 'delivery';

/** Destination faults: retrying soon cannot help. */
const NOT_RETRIED = new Set([
  'DESTINATION_AUTH_FAILED',
  'DESTINATION_NOT_FOUND',
  'DESTINATION_REGION_MISMATCH',
  'DESTINATION_KEY_CONFLICT',
]);

export type DeliveryWorkerOptions = {
  readonly db: Kysely<Schema>;
  readonly storage: StorageService;
  /** The managed local storage holding archives until they are delivered. */
  readonly holding: LocalStorage;
  readonly signer: FileUrlSigner;
  readonly baseUrl: () => string;
  readonly metrics?: TapedeckMetrics;
  /** Retry for this long after the hand-off. Default 24 h. */
  readonly windowMs?: number;
  /** First backoff ceiling. Default 1 000 ms. */
  readonly initialDelayMs?: number;
  /** Backoff cap. Default 300 000 ms. */
  readonly maxDelayMs?: number;
  /** How long an undeliverable archive is kept for `retry_delivery`. Default 30 days. */
  readonly recoveryMs?: number;
  readonly pollIntervalMs?: number;
  readonly leaseMs?: number;
  /** Recordings delivered at once. Default 2. */
  readonly concurrency?: number;
  readonly random?: () => number;
  readonly onAttempt?: (report: DeliveryAttemptReport) => void;
};

export type DeliveryAttemptReport = {
  readonly recordingId: string;
  readonly partNumber: number;
  readonly outcome: 'delivered' | 'retry' | 'copy_failed';
  readonly detail: string;
};

/** Queues delivery of the recording's `delivering` parts (idempotent in effect). */
export async function enqueueDelivery(
  db: Kysely<Schema>,
  recordingId: string,
  nowMs = Date.now(),
): Promise<void> {
  await enqueueJob(
    db,
    {
      kind: DELIVERY_JOB_KIND,
      payload: { recording_id: recordingId, since_ms: nowMs },
      runAtMs: nowMs,
      maxAttempts: 1_000_000,
    },
    nowMs,
  );
}

/** The category a raw archive is filed under: video when it holds any video track. */
export function archiveCategory(entryNames: readonly string[]): FileCategory {
  return entryNames.some((n) => n.endsWith('.rtpdump') && /video|screenshare(?!_audio)/i.test(n))
    ? 'video'
    : 'audio';
}

export class DeliveryWorker {
  readonly #o: Required<Omit<DeliveryWorkerOptions, 'metrics' | 'onAttempt'>> &
    Pick<DeliveryWorkerOptions, 'metrics' | 'onAttempt'>;
  readonly #inFlight = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #loop: PollLoop;
  readonly #abort = new AbortController();

  constructor(options: DeliveryWorkerOptions) {
    this.#o = {
      windowMs: 86_400_000,
      initialDelayMs: 1_000,
      maxDelayMs: 300_000,
      recoveryMs: 30 * 86_400_000,
      pollIntervalMs: 250,
      leaseMs: 60_000,
      concurrency: 2,
      random: Math.random,
      ...options,
    };
    this.#loop = new PollLoop(
      this.#o.db,
      () => this.#o.pollIntervalMs,
      () => this.#claim(),
    );
  }

  start(): void {
    this.#loop.start();
  }

  wake(): void {
    this.#loop.wake();
  }

  /** Stops claiming; uploads in flight are aborted and their jobs handed back for the next start. */
  async stop(): Promise<void> {
    const stopped = this.#loop.stop(); // marks the loop stopping before the abort lands
    this.#abort.abort();
    await stopped;
    await Promise.allSettled([...this.#running]);
  }

  get #stopping(): boolean {
    return this.#loop.stopping;
  }

  /** Claims jobs up to `concurrency` uploads at once; each runs on its own. */
  async #claim(): Promise<void> {
    while (!this.#stopping && this.#running.size < this.#o.concurrency) {
      const job = await claimNextJob(this.#db, {
        kind: DELIVERY_JOB_KIND,
        leaseMs: this.#o.leaseMs,
      });
      if (job === undefined) break;
      const run = this.#handle(job).finally(() => this.#running.delete(run));
      this.#running.add(run);
    }
  }

  get #db(): Kysely<Schema> {
    return this.#o.db;
  }

  async #handle(job: ClaimedJob): Promise<void> {
    const rawId = job.payload['recording_id'];
    const recordingId = typeof rawId === 'string' ? rawId : '';
    const sinceMs = Number(job.payload['since_ms'] ?? job.createdAtMs);
    if (this.#inFlight.has(recordingId)) {
      // Another job of this recording is uploading: parts go in order, one at a time.
      await failJob(
        this.#db,
        job,
        'waiting for the delivery in flight',
        Date.now() + this.#o.pollIntervalMs * 4,
      ).catch(() => undefined);
      return;
    }
    this.#inFlight.add(recordingId);
    const renew = setInterval(
      () => {
        renewJobLease(this.#db, job, Date.now() + this.#o.leaseMs).catch(() => undefined);
      },
      Math.max(1_000, Math.floor(this.#o.leaseMs / 3)),
    );
    try {
      const recording = await getRecording(this.#db, recordingId);
      if (recording === undefined || recording.storageSnapshot === null) {
        await failJob(this.#db, job, 'no such recording to deliver', null);
        return;
      }
      const parts = (await listRecordingParts(this.#db, recordingId)).filter(
        (p) => p.status === 'delivering',
      );
      for (const part of parts) {
        if (this.#stopping) return await this.#release(job);
        try {
          await this.#deliverPart(recording, part);
        } catch (error) {
          // Cut off by shutdown: hand the job back at once so the next start resumes it.
          if (this.#stopping) return await this.#release(job);
          await this.#failed(job, recording, part, sinceMs, toTapedeckError(error));
          return;
        }
      }
      await completeJob(this.#db, job).catch(() => undefined);
    } catch {
      // Unexpected store failure: the lease expires and another pass takes the job.
    } finally {
      clearInterval(renew);
      this.#inFlight.delete(recordingId);
    }
  }

  async #release(job: ClaimedJob): Promise<void> {
    await failJob(this.#db, job, 'the service stopped during the delivery', Date.now()).catch(
      () => undefined,
    );
  }

  async #deliverPart(recording: Recording, part: RecordingPart): Promise<void> {
    const pin = this.#o.storage.parsePin(recording.storageSnapshot!);
    const destination = this.#o.storage.destinationOf(pin);
    const name = part.archivePath === null ? '' : path.basename(part.archivePath);
    const file = this.#o.holding.pathOf(recording.id, name);
    const meta = {
      category: (part.category as FileCategory | null) ?? 'video',
      ...(part.sha256 !== null ? { sha256: part.sha256 } : {}),
    };
    const key = objectKey(pin.config, {
      callType: recording.callType,
      callId: recording.callId,
      recordingId: recording.id,
      recordingType: recording.recordingType,
      part: part.partNumber,
      epochMs: recording.startedAtMs,
      category: meta.category,
      file: name,
    });
    const uploaded = await destination.upload({
      key,
      file,
      sizeBytes: part.bytes ?? 0,
      contentType: 'application/zip',
      ...(meta.sha256 !== undefined ? { sha256: meta.sha256 } : {}),
      signal: this.#abort.signal,
    });
    const cid = callCid(recording.callType, recording.callId);
    const fileRow = await this.#db.transaction().execute(async (trx) => {
      const row = await addRecordingFile(trx, {
        recordingId: recording.id,
        partNumber: part.partNumber,
        path: uploaded.key,
        sizeBytes: part.bytes ?? 0,
        sha256: meta.sha256 ?? null,
        storageUri: uploaded.uri,
        storageName: pin.name,
        storageProvider: pin.config.storageType,
        bucket: pin.config.bucket,
        category: meta.category,
        contentType: 'application/zip',
      });
      await updateRecordingPart(trx, recording.id, part.partNumber, {
        status: 'ready',
        endedAtMs: Date.now(),
      });
      return row;
    });
    const link = await linkFile(
      fileRow,
      { kind: 'remote', accessMode: pin.config.accessMode, destination },
      this.#o,
    ).catch(() => describeFile(fileRow));
    await appendEvent(this.#db, {
      type: 'call.recording_ready',
      callCid: cid,
      recordingId: recording.id,
      payload: {
        recording_id: recording.id,
        recording_type: recording.recordingType,
        part_number: part.partNumber,
        ...(part.interrupted ? { interrupted: true } : {}),
        storage_name: pin.name,
        storage_provider: pin.config.storageType,
        files: [link],
      },
    });
    this.#o.metrics?.deliveries.inc({ outcome: 'delivered' });
    this.#o.onAttempt?.({
      recordingId: recording.id,
      partNumber: part.partNumber,
      outcome: 'delivered',
      detail: uploaded.uri,
    });
    await rm(file, { force: true });
    await markReadyWhenComplete(this.#db, recording.id);
  }

  async #failed(
    job: ClaimedJob,
    recording: Recording,
    part: RecordingPart,
    sinceMs: number,
    error: TapedeckError,
  ): Promise<void> {
    const detail = `${error.code}: ${error.message}`;
    const retryAt = Date.now() + backoffDelayMs(Math.max(1, job.attempts), { ...this.#o });
    const exhausted = NOT_RETRIED.has(error.code) || retryAt > sinceMs + this.#o.windowMs;
    if (!exhausted) {
      this.#o.metrics?.deliveries.inc({ outcome: 'retry' });
      this.#o.onAttempt?.({
        recordingId: recording.id,
        partNumber: part.partNumber,
        outcome: 'retry',
        detail,
      });
      await failJob(this.#db, job, detail, retryAt);
      return;
    }
    this.#o.metrics?.deliveries.inc({ outcome: 'failed' });
    this.#o.onAttempt?.({
      recordingId: recording.id,
      partNumber: part.partNumber,
      outcome: 'copy_failed',
      detail,
    });
    const pin = this.#o.storage.parsePin(recording.storageSnapshot!);
    await updateRecordingPart(this.#db, recording.id, part.partNumber, { status: 'failed' });
    await transitionRecording(this.#db, recording.id, 'copy_failed', {
      error: { code: error.code, message: error.message },
    }).catch(() => undefined);
    await appendEvent(this.#db, {
      type: 'call.recording_copy_failed',
      callCid: callCid(recording.callType, recording.callId),
      recordingId: recording.id,
      payload: {
        recording_id: recording.id,
        recording_type: recording.recordingType,
        part_number: part.partNumber,
        storage_name: pin.name,
        storage_provider: pin.config.storageType,
        error_code: error.code,
        error_message: error.message,
        recoverable_until: new Date(Date.now() + this.#o.recoveryMs).toISOString(),
      },
    });
    await failJob(this.#db, job, detail, null);
  }
}

/** Moves a `delivering` recording to `ready` once every part is; a lost race is harmless. */
export async function markReadyWhenComplete(
  db: Kysely<Schema>,
  recordingId: string,
): Promise<void> {
  // Parts that received no media (failed with 0 bytes) have no archive and do not count.
  const parts = (await listRecordingParts(db, recordingId)).filter(
    (p) => !(p.status === 'failed' && p.bytes === 0),
  );
  if (parts.length === 0 || parts.some((p) => p.status !== 'ready')) return;
  const recording = await getRecording(db, recordingId);
  if (recording?.status !== 'delivering') return;
  await transitionRecording(db, recordingId, 'ready').catch((error: unknown) => {
    if (!(error instanceof TapedeckError && error.code === 'CONFLICT')) throw error;
  });
}
