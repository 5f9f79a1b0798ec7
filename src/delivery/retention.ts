/**
 * Managed-storage retention and the recovery window of undeliverable archives.
 *
 * ```text
 * every interval:
 *   managed files (storage tapedeck-managed) older than retention (default 14 d) → deleted, row marked deleted_at
 *   copy_failed recordings untouched for the recovery window (default 30 d)  → held archives deleted,
 *                                                                              recording failed, call.recording_failed
 * ```
 * Files in a customer's storage are never deleted by tapedeck: only rows whose
 * `storage_name` is the managed default are candidates.
 */
import { rm } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { LocalStorage } from '../calls/local-storage.js';
import {
  appendEvent,
  callCid,
  getRecording,
  listManagedFilesBefore,
  listRecordingParts,
  markRecordingFileDeleted,
  transitionRecording,
  type Schema,
} from '../db/index.js';
import type { StorageService } from '../storage/storage-service.js';
import { MANAGED_STORAGE_NAME } from '../storage/types.js';
import { fileName } from './file-links.js';

export type RetentionOptions = {
  readonly db: Kysely<Schema>;
  readonly storage: StorageService;
  readonly holding: LocalStorage;
  /** Default 14 days. */
  readonly retentionMs?: number;
  /** Default 30 days. */
  readonly recoveryMs?: number;
  /** Default 1 hour. */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
};

export type SweepReport = { readonly filesDeleted: number; readonly recoveriesExpired: number };

export class RetentionSweeper {
  readonly #o: Required<Omit<RetentionOptions, 'onError'>> & Pick<RetentionOptions, 'onError'>;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<SweepReport> | undefined;

  constructor(options: RetentionOptions) {
    this.#o = {
      retentionMs: 14 * 86_400_000,
      recoveryMs: 30 * 86_400_000,
      intervalMs: 3_600_000,
      ...options,
    };
  }

  start(): void {
    if (this.#timer !== undefined) return;
    const tick = (): void => {
      this.sweep().catch((error: unknown) => this.#o.onError?.(error));
    };
    this.#timer = setInterval(tick, this.#o.intervalMs);
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => undefined);
  }

  /** One pass; concurrent calls share it. */
  sweep(nowMs = Date.now()): Promise<SweepReport> {
    this.#sweeping ??= this.#sweep(nowMs).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(nowMs: number): Promise<SweepReport> {
    const { db } = this.#o;
    let filesDeleted = 0;
    for (;;) {
      const batch = await listManagedFilesBefore(
        db,
        MANAGED_STORAGE_NAME,
        nowMs - this.#o.retentionMs,
      );
      if (batch.length === 0) break;
      for (const file of batch) {
        if (file.storageProvider === 'local') {
          await rm(this.#o.holding.pathOf(file.recordingId, fileName(file)), { force: true });
        } else {
          const recording = await getRecording(db, file.recordingId);
          const access = await this.#o.storage.accessOf(file, recording?.storageSnapshot ?? null);
          if (access.kind === 'remote') await access.destination.delete(file.path);
        }
        await markRecordingFileDeleted(db, file.id, nowMs);
        filesDeleted++;
      }
    }
    let recoveriesExpired = 0;
    const stale = await db
      .selectFrom('recordings')
      .select('id')
      .where('status', '=', 'copy_failed')
      .where('updated_at', '<', nowMs - this.#o.recoveryMs)
      .execute();
    for (const { id } of stale) {
      const recording = await getRecording(db, id);
      if (recording === undefined) continue;
      for (const part of await listRecordingParts(db, id))
        if (part.status === 'failed' && part.archivePath !== null)
          await rm(part.archivePath, { force: true });
      await transitionRecording(db, id, 'failed', {
        error: {
          code: recording.errorCode ?? 'INTERNAL',
          message: `${recording.errorMessage ?? 'delivery failed'}; the recovery window passed and the held archive was deleted`,
        },
      });
      await appendEvent(db, {
        type: 'call.recording_failed',
        callCid: callCid(recording.callType, recording.callId),
        recordingId: id,
        payload: {
          recording_id: id,
          recording_type: recording.recordingType,
          reason: `${recording.errorCode ?? 'INTERNAL'}: not delivered within the recovery window; the held archive was deleted`,
        },
      });
      recoveriesExpired++;
    }
    return { filesDeleted, recoveriesExpired };
  }
}
