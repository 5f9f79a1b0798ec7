import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TapedeckError } from '../../errors.js';
import { archiveError, describeCause, isAbort } from './archive-error.js';
import type { DownloadCache } from './download-cache.js';

export type FetchContext = {
  readonly label: string;
  readonly cache: DownloadCache;
  readonly maxBytes: number;
  readonly signal: AbortSignal | undefined;
};

function failure(error: unknown, context: FetchContext): Error {
  if (isAbort(error, context.signal)) return archiveError('ABORTED', context.label, 'aborted', error);
  if (error instanceof TapedeckError) return error;
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const code = (cause as { code?: unknown }).code;
  const detail = typeof code === 'string' ? `${code} ${describeCause(cause)}` : describeCause(cause);
  return archiveError('REMOTE_FETCH_FAILED', context.label, `download failed (${detail})`, error);
}

/**
 * Downloads an `https://` (or loopback `http://`) URL into the cache, or reuses the cached
 * copy when the server answers `304 Not Modified` to `If-None-Match` (the stored ETag) or,
 * lacking an ETag, `If-Modified-Since`. A presigned S3 URL works as is: conditional
 * headers are not part of its signature. 404/410 → `INPUT_NOT_FOUND`; any other failure →
 * `REMOTE_FETCH_FAILED`. Returns the cached file's path.
 * @see RFC 9110 §13.1.2 (If-None-Match), §15.4.5 (304)
 */
export async function fetchHttpArchive(url: URL, context: FetchContext): Promise<string> {
  const cached = await context.cache.lookup();
  const headers: Record<string, string> = {};
  if (cached?.etag !== undefined) headers['if-none-match'] = cached.etag;
  else if (cached?.lastModified !== undefined) headers['if-modified-since'] = cached.lastModified;
  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: 'follow', ...(context.signal === undefined ? {} : { signal: context.signal }) });
  } catch (error) {
    throw failure(error, context);
  }
  if (response.status === 304 && cached !== undefined) {
    await response.body?.cancel();
    return context.cache.dataPath;
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw archiveError('INPUT_NOT_FOUND', context.label, `not found (HTTP ${response.status})`);
  }
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    throw archiveError('REMOTE_FETCH_FAILED', context.label, `download failed (HTTP ${response.status} ${response.statusText})`);
  }
  const declaredLength = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declaredLength) && declaredLength > context.maxBytes) {
    await response.body.cancel();
    throw archiveError('ARCHIVE_LIMIT', context.label, `download is larger than the limit of ${context.maxBytes} bytes`);
  }
  try {
    return await context.cache.store(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      { etag: response.headers.get('etag') ?? undefined, lastModified: response.headers.get('last-modified') ?? undefined },
      context,
    );
  } catch (error) {
    throw failure(error, context);
  }
}
