import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimNextJob,
  completeJob,
  enqueueJob,
  failJob,
  getJob,
  migrateToLatest,
  openDatabase,
  releaseExpiredLeases,
  renewJobLease,
  type TapedeckDatabase,
} from '../../src/db/index.js';
import { makeTempDir, openMemoryDb } from './temp-db.js';

describe('job queue', () => {
  let handle: TapedeckDatabase;
  beforeEach(async () => {
    handle = await openMemoryDb();
  });
  afterEach(async () => {
    await handle.close();
  });

  it('enqueue → claim → complete: the claim marks it running under a lease and counts the attempt', async () => {
    const { db } = handle;
    const job = await enqueueJob(
      db,
      { kind: 'deliver', payload: { recording_id: 'r1', part: 1, keys: ['a', 'b'] } },
      1000,
    );
    expect(job).toMatchObject({
      kind: 'deliver',
      status: 'queued',
      runAtMs: 1000,
      attempts: 0,
      maxAttempts: 5,
      lastError: null,
      lockedUntilMs: null,
      leaseToken: null,
    });
    const claimed = await claimNextJob(db, { leaseMs: 30_000 }, 1000);
    expect(claimed).toMatchObject({
      id: job.id,
      status: 'running',
      attempts: 1,
      lockedUntilMs: 31_000,
      payload: { recording_id: 'r1', part: 1, keys: ['a', 'b'] },
    });
    expect(claimed?.leaseToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(await claimNextJob(db, {}, 1001)).toBeUndefined();
    const done = await completeJob(db, claimed!, 2000);
    expect(done).toMatchObject({
      status: 'done',
      attempts: 1,
      lockedUntilMs: null,
      leaseToken: null,
      updatedAtMs: 2000,
    });
    expect(await claimNextJob(db, {}, 10_000_000)).toBeUndefined();
  });

  it('claimNextJob() takes nothing before runAtMs, then the earliest due job first, and filters by kind', async () => {
    const { db } = handle;
    const later = await enqueueJob(db, { kind: 'deliver', payload: {}, runAtMs: 5000 }, 0);
    const sooner = await enqueueJob(db, { kind: 'deliver', payload: {}, runAtMs: 3000 }, 0);
    const webhook = await enqueueJob(db, { kind: 'webhook', payload: {}, runAtMs: 1000 }, 0);
    expect(await claimNextJob(db, { kind: 'deliver' }, 2999)).toBeUndefined();
    expect((await claimNextJob(db, { kind: 'deliver' }, 10_000))?.id).toBe(sooner.id);
    expect((await claimNextJob(db, {}, 10_000))?.id).toBe(webhook.id);
    expect((await claimNextJob(db, {}, 10_000))?.id).toBe(later.id);
    expect(await claimNextJob(db, {}, 10_000)).toBeUndefined();
  });

  it("a running job is not claimed while its lease holds; after a crashed worker's lease passes it is claimed again with a new token", async () => {
    const { db } = handle;
    const job = await enqueueJob(db, { kind: 'deliver', payload: {} }, 0);
    const crashed = (await claimNextJob(db, { leaseMs: 1000 }, 0))!;
    expect(await claimNextJob(db, {}, 999)).toBeUndefined();
    const retaken = (await claimNextJob(db, { leaseMs: 1000 }, 1000))!;
    expect(retaken).toMatchObject({ id: job.id, attempts: 2, lockedUntilMs: 2000 });
    expect(retaken.leaseToken).not.toBe(crashed.leaseToken);
    // The crashed worker's late completion must not touch the new holder's run.
    await expect(completeJob(db, crashed, 1500)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(failJob(db, crashed, 'late', 5000, 1500)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await getJob(db, job.id))?.status).toBe('running');
    await completeJob(db, retaken, 1600);

    // Out of attempts: an expired lease does not make the job claimable again.
    await enqueueJob(db, { kind: 'once', payload: {}, maxAttempts: 1 }, 0);
    await claimNextJob(db, { kind: 'once', leaseMs: 100 }, 0);
    expect(await claimNextJob(db, { kind: 'once' }, 10_000)).toBeUndefined();
    await expect(completeJob(db, { id: 'missing', leaseToken: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('renewJobLease() keeps a long job from being taken', async () => {
    const { db } = handle;
    await enqueueJob(db, { kind: 'deliver', payload: {} }, 0);
    const held = (await claimNextJob(db, { leaseMs: 1000 }, 0))!;
    expect((await renewJobLease(db, held, 5000, 900)).lockedUntilMs).toBe(5000);
    expect(await claimNextJob(db, {}, 4999)).toBeUndefined();
    expect(await claimNextJob(db, {}, 5000)).toBeDefined();
    await expect(renewJobLease(db, held, 9000, 5001)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('failJob() requeues at retryAtMs while attempts remain, then fails for good; a null retry fails at once', async () => {
    const { db } = handle;
    const job = await enqueueJob(db, { kind: 'deliver', payload: {}, maxAttempts: 2 }, 0);
    const first = (await claimNextJob(db, {}, 0))!;
    expect(await failJob(db, first, 'ECONNRESET', 500, 10)).toMatchObject({
      status: 'queued',
      runAtMs: 500,
      attempts: 1,
      lastError: 'ECONNRESET',
      leaseToken: null,
    });
    expect(await claimNextJob(db, {}, 499)).toBeUndefined();
    const second = (await claimNextJob(db, {}, 500))!;
    expect(second.attempts).toBe(2);
    expect(await failJob(db, second, 'HTTP 503', 1000, 510)).toMatchObject({
      status: 'failed',
      attempts: 2,
      lastError: 'HTTP 503',
    });
    expect(await claimNextJob(db, {}, 10_000)).toBeUndefined();

    const fatal = await enqueueJob(db, { kind: 'deliver', payload: {} }, 0);
    const claimed = (await claimNextJob(db, {}, 0))!;
    expect(claimed.id).toBe(fatal.id);
    expect(await failJob(db, claimed, 'DESTINATION_AUTH_FAILED', null, 1)).toMatchObject({
      status: 'failed',
      attempts: 1,
    });
    expect((await getJob(db, job.id))?.status).toBe('failed');
  });

  it('releaseExpiredLeases() requeues jobs whose worker died and fails those out of attempts', async () => {
    const { db } = handle;
    const a = await enqueueJob(db, { kind: 'k', payload: {}, maxAttempts: 3 }, 0);
    const b = await enqueueJob(db, { kind: 'k', payload: {}, maxAttempts: 1 }, 1);
    const c = await enqueueJob(db, { kind: 'k', payload: {} }, 2);
    await claimNextJob(db, { leaseMs: 100 }, 10); // a
    await claimNextJob(db, { leaseMs: 100 }, 10); // b
    await claimNextJob(db, { leaseMs: 10_000 }, 10); // c, lease still valid
    expect(await releaseExpiredLeases(db, 110)).toEqual({ requeued: 1, failed: 1 });
    expect(await getJob(db, a.id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      leaseToken: null,
      lockedUntilMs: null,
    });
    expect(await getJob(db, b.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'lease expired',
    });
    expect((await getJob(db, c.id))?.status).toBe('running');
    // A job out of attempts is never re-claimed through an expired lease either.
    expect((await claimNextJob(db, {}, 110))?.id).toBe(a.id);
    expect(await claimNextJob(db, {}, 110)).toBeUndefined();
  });

  it('enqueueJob() and claimNextJob() reject bad options naming them', async () => {
    const { db } = handle;
    await expect(enqueueJob(db, { kind: 'k', payload: {}, maxAttempts: 0 })).rejects.toThrow(
      /input\.maxAttempts/,
    );
    await expect(enqueueJob(db, { kind: '', payload: {} })).rejects.toThrow(/input\.kind/);
    await expect(claimNextJob(db, { leaseMs: 0 })).rejects.toThrow(/options\.leaseMs/);
  });
});

describe('job queue in a file', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    temp = await makeTempDir();
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('queued and running jobs survive close and reopen (a process restart); the dead run is claimed again once its lease passes', async () => {
    const file = path.join(temp.dir, 'tapedeck.db');
    const before = openDatabase({ path: file });
    await migrateToLatest(before.db);
    const queued = await enqueueJob(
      before.db,
      { kind: 'deliver', payload: { recording_id: 'r1' }, runAtMs: 50 },
      0,
    );
    const running = await enqueueJob(
      before.db,
      { kind: 'deliver', payload: { recording_id: 'r2' } },
      0,
    );
    const claimed = await claimNextJob(before.db, { leaseMs: 1000 }, 10);
    expect(claimed?.id).toBe(running.id);
    await before.close(); // the worker "crashes" without completing

    const after = openDatabase({ path: file });
    await migrateToLatest(after.db);
    expect(await getJob(after.db, queued.id)).toMatchObject({
      status: 'queued',
      payload: { recording_id: 'r1' },
    });
    expect(await getJob(after.db, running.id)).toMatchObject({
      status: 'running',
      attempts: 1,
      lockedUntilMs: 1010,
    });
    expect((await claimNextJob(after.db, {}, 100))?.id).toBe(queued.id);
    expect(await claimNextJob(after.db, {}, 1009)).toBeUndefined();
    expect(await claimNextJob(after.db, {}, 1010)).toMatchObject({
      id: running.id,
      attempts: 2,
      payload: { recording_id: 'r2' },
    });
    await after.close();
  });
});
