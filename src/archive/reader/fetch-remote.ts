import type { ResolvedArchiveLimits } from './archive-limits.js';
import { DownloadCache } from './download-cache.js';
import { fetchHttpArchive } from './fetch-http.js';
import { fetchS3Archive, type S3Settings } from './fetch-s3.js';
import type { RemoteLocation } from './remote-location.js';

/** Archive overhead allowed per entry on top of the content limit (headers, names, padding). */
const PER_ENTRY_OVERHEAD_BYTES = 4096;

/**
 * Brings a remote archive into `cacheDir` (downloading it once, then revalidating by
 * ETag) and returns the local file's path. The cache key is the sha256 of the URL without
 * its query string; for `s3://` with a custom endpoint the endpoint is part of the key, so
 * two stores with the same bucket name never share a slot.
 *
 * A download larger than `maxTotalBytes + maxEntries × 4 KiB + 1 MiB` is refused
 * (`ARCHIVE_LIMIT`): no archive within the limits can be that big.
 */
export async function fetchRemoteArchive(
  location: RemoteLocation,
  options: {
    readonly cacheDir: string;
    readonly s3: S3Settings;
    readonly limits: ResolvedArchiveLimits;
    readonly signal: AbortSignal | undefined;
  },
): Promise<string> {
  const maxBytes = options.limits.maxTotalBytes + options.limits.maxEntries * PER_ENTRY_OVERHEAD_BYTES + 1024 ** 2;
  if (location.kind === 'http') {
    const cache = new DownloadCache(options.cacheDir, location.label);
    return fetchHttpArchive(location.url, { label: location.label, cache, maxBytes, signal: options.signal });
  }
  const source = options.s3.endpoint === undefined ? location.label : `${location.label} ${options.s3.endpoint}`;
  const cache = new DownloadCache(options.cacheDir, source);
  return fetchS3Archive(location, options.s3, { label: location.label, cache, maxBytes, signal: options.signal });
}
