/**
 * Runs `tapedeck` two ways with stdout, stderr and the exit code captured: in-process
 * (`main(argv, io)`, fast) and as a real process (`node bin/tapedeck.js`, the compiled CLI
 * in dist/). The process is spawned asynchronously, so servers the test runs in-process
 * (s3rver, node:http) keep answering while it runs.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ERROR_CATALOG, type ErrorCode } from '../../../src/errors.js';

export type CliRun = { readonly code: number; readonly stdout: string; readonly stderr: string };

/** The repository root (where `bin/` and `dist/` are). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/tapedeck.js', import.meta.url));

/** `main(args)` with a capturing io (stdout/stderr are not TTYs: no progress bars). */
export async function runCliInProcess(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

export type ProcessOptions = {
  /** Variables added to (or, when undefined, removed from) the inherited environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Kills the process (SIGKILL, by its own PID) after this long. Default 90 000 ms. */
  readonly timeoutMs?: number;
};

/** `node bin/tapedeck.js …args` from the repository root. */
export function runCliProcess(
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}

/** stderr split into lines (without the final newline). */
export function stderrLines(run: CliRun): string[] {
  return run.stderr === '' ? [] : run.stderr.replace(/\n$/, '').split('\n');
}

/**
 * Asserts the run failed with exactly one stderr line per expected failure, each
 * `CODE: message` (the message matched by the pattern, or equal to the string), in order,
 * with no stack trace, and that the exit code is the first code's catalog exit code.
 */
export function expectFailure(
  run: CliRun,
  ...failures: readonly [ErrorCode, string | RegExp][]
): void {
  const lines = stderrLines(run);
  expect(lines, run.stderr).toHaveLength(failures.length);
  failures.forEach(([code, message], i) => {
    const line = lines[i] ?? '';
    expect(line.startsWith(`${code}: `), line).toBe(true);
    const text = line.slice(code.length + 2);
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
  });
  expect(run.stderr).not.toMatch(/^\s+at /m);
  const first = failures[0]?.[0];
  expect(run.code).not.toBe(0);
  if (first !== undefined) expect(run.code).toBe(ERROR_CATALOG[first].exitCode);
}
