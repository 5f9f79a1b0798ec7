import { TapedeckError, type ErrorCode } from '../../errors.js';

/** A catalog error whose one-line message starts with the archive's label. */
export function archiveError(code: ErrorCode, label: string, message: string, cause?: unknown): TapedeckError {
  const text = `${label}: ${message}`.replace(/\s*\n\s*/g, ' ');
  return cause === undefined ? new TapedeckError(code, text) : new TapedeckError(code, text, { cause });
}

/** The same error with the archive's label in front of its message (kept as `cause`). */
export function withLabel(error: TapedeckError, label: string): TapedeckError {
  if (error.message.startsWith(`${label}: `)) return error;
  return archiveError(error.code, label, error.message, error);
}

/** The first line of whatever was thrown, for a one-line message. */
export function describeCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? 'unknown error';
}

/** True when `error` comes from an abort (an `AbortSignal` or a destroyed stream after one). */
export function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true) return true;
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR');
}

/** Throws `ABORTED` naming the archive when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, label: string): void {
  if (signal?.aborted === true) throw archiveError('ABORTED', label, 'aborted', signal.reason);
}
