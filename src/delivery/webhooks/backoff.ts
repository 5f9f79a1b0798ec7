/**
 * Capped exponential backoff with full jitter: the delay before retry number `retry`
 * (1 = the wait after the first failed attempt) is uniform in
 * `[0, min(maxDelayMs, initialDelayMs * 2^(retry-1)))`.
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function backoffDelayMs(
  retry: number,
  options: {
    readonly initialDelayMs: number;
    readonly maxDelayMs: number;
    readonly random: () => number;
  },
): number {
  if (!Number.isInteger(retry) || retry < 1)
    throw new RangeError(`retry must be an integer >= 1, got ${String(retry)}`);
  const ceiling = Math.min(
    options.maxDelayMs,
    options.initialDelayMs * 2 ** Math.min(retry - 1, 52),
  );
  const r = options.random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

/**
 * Parses an HTTP `Retry-After` value (delta-seconds or an HTTP-date) into milliseconds
 * from `nowMs`; `undefined` when absent or unreadable. A date in the past gives 0.
 *
 * @see RFC 9110 §10.2.3
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
