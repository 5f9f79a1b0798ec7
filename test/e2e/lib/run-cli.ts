/** Runs the CLI in-process with captured output (the real process is covered elsewhere). */
import { main } from '../../../src/cli/main.js';

export type CliResult = { readonly code: number; readonly stdout: string; readonly stderr: string };

export async function runCli(args: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}
