/**
 * Runs one ffmpeg process to completion. It is stopped only through its own PID
 * (`child.kill`) on abort or timeout; stderr's tail goes into the error on failure.
 */
import { spawn } from 'node:child_process';

export type RunFfmpegOptions = {
  /** Executable. Default "ffmpeg" (the Debian package on PATH). */
  readonly ffmpegPath?: string;
  /** Kills the process (SIGKILL) after this many ms. Default: no limit. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
};

const STDERR_TAIL_BYTES = 4096;

export function runFfmpeg(args: readonly string[], options: RunFfmpegOptions = {}): Promise<void> {
  const { signal, timeoutMs } = options;
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let reason: string | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const stop = (why: string): void => {
      reason ??= why;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
    let settled = false;
    const cleanup = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      return true;
    };
    child.once('error', (error) => {
      // Spawn failures (no such executable) never reach 'close' with a status.
      if (child.pid === undefined) {
        if (cleanup()) reject(new Error(`cannot start ffmpeg: ${error.message}`));
      } else {
        reason ??= error.message;
      }
    });
    child.once('close', (code, killSignal) => {
      if (!cleanup()) return;
      if (reason === undefined && code === 0) {
        resolve();
        return;
      }
      const status =
        reason ?? (code === null ? `killed by ${String(killSignal)}` : `exit code ${code}`);
      const error = new Error(
        `ffmpeg ${status}: ${stderr.trim().split('\n').slice(-5).join(' | ') || '(no stderr)'}`,
      );
      if (reason === 'aborted' && signal?.reason instanceof Error) reject(signal.reason);
      else reject(error);
    });
  });
}
