/** Where the CLI writes; tests pass their own to run commands in-process. */
export type CliIo = {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly signal?: AbortSignal;
};

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}
