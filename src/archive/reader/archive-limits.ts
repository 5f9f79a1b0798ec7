/**
 * Limits that bound what extracting one archive may cost. Every limit is checked while
 * streaming, against the bytes actually written; declared sizes are only used to refuse
 * early, never to allow.
 */
export type ArchiveLimits = {
  /** Most entries (files and directories) one archive may hold. Default 100,000. */
  readonly maxEntries?: number;
  /** Most bytes all extracted files may add up to. Default 64 GiB. */
  readonly maxTotalBytes?: number;
  /** Most bytes one extracted file may hold. Default 32 GiB. */
  readonly maxEntryBytes?: number;
  /**
   * Highest uncompressed:compressed ratio allowed once more than `ratioMinBytes` came out
   * (per entry for ZIP, over the whole stream for tar.gz). Default 1000 (deflate tops out
   * near 1032:1, so only near-pure filler data — a decompression bomb — reaches it).
   */
  readonly maxCompressionRatio?: number;
  /** Output size below which the ratio is not checked. Default 1 MiB. */
  readonly ratioMinBytes?: number;
};

export type ResolvedArchiveLimits = { readonly [K in keyof ArchiveLimits]-?: number };

export const DEFAULT_ARCHIVE_LIMITS: ResolvedArchiveLimits = Object.freeze({
  maxEntries: 100_000,
  maxTotalBytes: 64 * 1024 ** 3,
  maxEntryBytes: 32 * 1024 ** 3,
  maxCompressionRatio: 1000,
  ratioMinBytes: 1024 ** 2,
});

/** Validates `limits` and returns a new object with every default filled in. */
export function resolveArchiveLimits(limits: ArchiveLimits | undefined): ResolvedArchiveLimits {
  if (limits === undefined) return DEFAULT_ARCHIVE_LIMITS;
  if (typeof limits !== 'object' || limits === null) {
    throw new TypeError('options.limits must be an object');
  }
  const pick = (key: keyof ArchiveLimits, min: number): number => {
    const value = limits[key];
    if (value === undefined) return DEFAULT_ARCHIVE_LIMITS[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`options.limits.${key} must be an integer ≥ ${min}, got ${String(value)}`);
    }
    return value;
  };
  return {
    maxEntries: pick('maxEntries', 1),
    maxTotalBytes: pick('maxTotalBytes', 0),
    maxEntryBytes: pick('maxEntryBytes', 0),
    maxCompressionRatio: pick('maxCompressionRatio', 1),
    ratioMinBytes: pick('ratioMinBytes', 0),
  };
}
