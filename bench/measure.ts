/**
 * Runs a command and measures its wall time and peak resident memory. Peak RSS is the
 * kernel's high-water mark (VmHWM in /proc/<pid>/status), sampled every 20 ms until the
 * process exits, so it works the same for node and for ffmpeg.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export type Measurement = { readonly wallMs: number; readonly peakRssBytes: number };

async function highWaterMark(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export async function measure(command: string, args: readonly string[]): Promise<Measurement> {
  const start = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let peak = 0;
  let running = true;
  const sampler = (async () => {
    while (running && child.pid !== undefined) {
      const hwm = await highWaterMark(child.pid);
      if (hwm !== undefined) peak = Math.max(peak, hwm);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  running = false;
  await sampler;
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`);
  return { wallMs, peakRssBytes: peak };
}

/** Runs several commands, `limit` at a time; wall time of the whole, peak of the largest. */
export async function measureAll(
  commands: readonly (readonly [string, readonly string[]])[],
  limit: number,
): Promise<Measurement> {
  const start = process.hrtime.bigint();
  let peak = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < commands.length) {
      const [cmd, args] = commands[next++]!;
      const m = await measure(cmd, args);
      peak = Math.max(peak, m.peakRssBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, commands.length) }, worker));
  return { wallMs: Number(process.hrtime.bigint() - start) / 1e6, peakRssBytes: peak };
}
