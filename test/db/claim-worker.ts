/**
 * A job-queue worker in its own process, for the concurrency test: opens the database
 * file given as argv[2], prints "ready", waits for "go" on stdin, then claims and
 * completes `kind` jobs until none is left, and prints the claimed ids as one JSON line.
 */

import { once } from 'node:events';
import { claimNextJob, completeJob, openDatabase } from '../../src/db/index.js';

const [file, kind] = process.argv.slice(2);
if (file === undefined || kind === undefined)
  throw new TypeError('usage: claim-worker <db file> <kind>');
const handle = openDatabase({ path: file, busyTimeoutMs: 30_000 });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
const claimed: string[] = [];
for (;;) {
  const job = await claimNextJob(handle.db, { kind, leaseMs: 600_000 });
  if (job === undefined) break;
  claimed.push(job.id);
  await completeJob(handle.db, job);
}
await handle.close();
process.stdout.write(`${JSON.stringify(claimed)}\n`);
process.stdin.destroy();
