/**
 * The raw operations as a library: progress events while writing, and an AbortSignal that
 * stops the work, leaves no partial file, and rejects with ABORTED.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import { extractVideo, processAll, type ProgressEvent } from '../../src/raw/operations.js';
import { synthesizeCall } from '../../scripts/lib/synth-call.js';

let dir: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-lib-'));
  root = path.join(dir, 'call');
  await synthesizeCall({
    outDir: root,
    durationSec: 20,
    participants: [
      { userId: 'ann', sessionId: 's1' },
      { userId: 'ben', sessionId: 's2' },
    ],
    camera: { width: 320, height: 180, frameRate: 15, bitrateKbps: 300 },
  });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('raw operations as a library', () => {
  it('processAll() reports progress per output, ending at the total', async () => {
    const events: ProgressEvent[] = [];
    const report = await processAll({
      input: { dir: root },
      output: path.join(dir, 'out'),
      onProgress: (e) => events.push(e),
    });
    expect(report.failures).toEqual([]);
    const outputs = new Set(events.map((e) => e.output));
    expect(outputs.size).toBe(report.outputs.length);
    for (const name of outputs) {
      const last = events.filter((e) => e.output === name).at(-1)!;
      expect(last.doneBytes, name).toBe(last.totalBytes);
      expect(last.totalBytes, name).toBeGreaterThan(0);
    }
  });

  it('an aborted signal rejects with ABORTED and leaves no file behind', async () => {
    const out = path.join(dir, 'aborted');
    const controller = new AbortController();
    let seen = 0;
    const run = extractVideo({
      input: { dir: root },
      output: out,
      concurrency: 1,
      signal: controller.signal,
      onProgress: () => {
        if (++seen === 1) controller.abort();
      },
    });
    const report = await run;
    expect(report.outputs).toEqual([]);
    expect(report.failures.map((f) => f.code)).toEqual(['ABORTED', 'ABORTED']);
    expect(await readdir(out)).toEqual([]);
  });

  it('a signal aborted before the start stops at once', async () => {
    await expect(
      processAll({
        input: { dir: root },
        output: path.join(dir, 'never'),
        signal: AbortSignal.abort(),
      }),
    ).rejects.toSatisfy((e: unknown) => e instanceof TapedeckError && e.code === 'ABORTED');
  });
});

describe('raw operations on worker threads', () => {
  it('processAll({ parallel: true }) writes the same bytes as on the calling thread, and reports progress', async () => {
    const { createHash } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const events: ProgressEvent[] = [];
    const inline = await processAll({
      input: { dir: root },
      output: path.join(dir, 'inline'),
      parallel: false,
    });
    const threaded = await processAll({
      input: { dir: root },
      output: path.join(dir, 'threaded'),
      parallel: true,
      concurrency: 2,
      onProgress: (e) => events.push(e),
    });
    expect(threaded.failures).toEqual([]);
    expect(threaded.outputs.map((o) => path.basename(o.file))).toEqual(
      inline.outputs.map((o) => path.basename(o.file)),
    );
    const hash = async (f: string): Promise<string> =>
      createHash('sha256')
        .update(await readFile(f))
        .digest('hex');
    for (const [a, b] of inline.outputs.map(
      (o, i) => [o.file, threaded.outputs[i]!.file] as const,
    )) {
      expect(await hash(b), path.basename(a)).toBe(await hash(a));
    }
    expect(new Set(events.map((e) => e.output)).size).toBe(threaded.outputs.length);
  });

  it('an abort reaches the workers: outputs not finished fail ABORTED and leave nothing behind', async () => {
    const out = path.join(dir, 'threaded-abort');
    const controller = new AbortController();
    const report = await processAll({
      input: { dir: root },
      output: out,
      parallel: true,
      concurrency: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    // A worker may finish a small output before the abort reaches it (the machine is
    // shared); what must hold is that everything else fails ABORTED and that only whole,
    // reported outputs are on disk.
    expect(report.failures.length).toBeGreaterThan(0);
    expect(new Set(report.failures.map((f) => f.code)), JSON.stringify(report.failures)).toEqual(
      new Set(['ABORTED']),
    );
    expect((await readdir(out)).sort()).toEqual(
      report.outputs.map((o) => path.basename(o.file)).sort(),
    );
  });
});
