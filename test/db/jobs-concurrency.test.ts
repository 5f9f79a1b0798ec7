import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimNextJob,
  completeJob,
  enqueueJob,
  migrateToLatest,
  openDatabase,
  type TapedeckDatabase,
} from '../../src/db/index.js';
import { makeTempDir } from './temp-db.js';

const WORKER = fileURLToPath(new URL('./claim-worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function enqueueMany(
  handle: TapedeckDatabase,
  kind: string,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await enqueueJob(handle.db, { kind, payload: { i } }, 0)).id);
  return ids;
}

async function claimLoop(handle: TapedeckDatabase, kind: string): Promise<string[]> {
  const claimed: string[] = [];
  for (;;) {
    const job = await claimNextJob(handle.db, { kind, leaseMs: 600_000 });
    if (job === undefined) return claimed;
    claimed.push(job.id);
    await completeJob(handle.db, job);
  }
}

function collectStdout(child: ChildProcessWithoutNullStreams): { lines: string[] } {
  const out = { lines: [] as string[] };
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      out.lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  });
  return out;
}

describe('job queue under concurrent claimers', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    temp = await makeTempDir();
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it('two claim loops on two connections to one file never get the same job, and together take every job', async () => {
    const file = path.join(temp.dir, 'jobs.db');
    const a = openDatabase({ path: file });
    await migrateToLatest(a.db);
    const b = openDatabase({ path: file });
    const ids = await enqueueMany(a, 'deliver', 300);
    const [fromA, fromB] = await Promise.all([claimLoop(a, 'deliver'), claimLoop(b, 'deliver')]);
    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);
    const all = [...fromA, ...fromB];
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...ids].sort());
    await a.close();
    await b.close();
  });

  it('four worker processes claiming from one file never get the same job, and together take every job', async () => {
    const file = path.join(temp.dir, 'jobs.db');
    const handle = openDatabase({ path: file });
    await migrateToLatest(handle.db);
    const ids = await enqueueMany(handle, 'deliver', 400);
    await handle.close();

    const workers = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER, file, 'deliver'], {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (stderr += chunk));
      return { child, out: collectStdout(child), stderr: () => stderr };
    });
    // Barrier: every process has opened the file before any claims.
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.child.stdout.on('data', () => {
              if (w.out.lines[0] === 'ready') resolve();
            });
            w.child.once('exit', (code) =>
              reject(new Error(`worker exited early (${code}): ${w.stderr()}`)),
            );
          }),
      ),
    );
    const exits = workers.map((w) => once(w.child, 'exit'));
    for (const w of workers) w.child.stdin.write('go\n');
    const codes = await Promise.all(exits);
    workers.forEach((w, i) => expect(codes[i]?.[0], w.stderr()).toBe(0));

    const perWorker = workers.map((w) => JSON.parse(w.out.lines[1] ?? 'null') as string[]);
    const all = perWorker.flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...ids].sort());

    const check = openDatabase({ path: file });
    const statuses = await check.db
      .selectFrom('jobs')
      .select(['status', 'attempts'])
      .distinct()
      .execute();
    expect(statuses).toEqual([{ status: 'done', attempts: 1 }]);
    await check.close();
  });
});
