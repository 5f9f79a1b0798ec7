import { Readable } from 'node:stream';
import { TapedeckError } from '../../errors.js';
import { archiveError, describeCause, isAbort } from './archive-error.js';
import type { FetchContext } from './fetch-http.js';

/** Resolved S3 client settings (see `OpenArchiveOptions.s3` for the defaults). */
export type S3Settings = {
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
};

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket']);

function failure(error: unknown, context: FetchContext): TapedeckError {
  if (error instanceof TapedeckError) return error;
  if (isAbort(error, context.signal)) return archiveError('ABORTED', context.label, 'aborted', error);
  const name = error instanceof Error ? error.name : 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (NOT_FOUND.has(name) || status === 404) {
    return archiveError('INPUT_NOT_FOUND', context.label, `not found (${name === 'Error' ? 'HTTP 404' : name})`, error);
  }
  return archiveError('REMOTE_FETCH_FAILED', context.label, `download failed (${name}: ${describeCause(error)})`, error);
}

/**
 * Downloads `s3://bucket/key` into the cache with the AWS SDK's default credential chain,
 * or reuses the cached copy when `HeadObject` reports the ETag it was stored with.
 * NoSuchKey / NoSuchBucket / 404 → `INPUT_NOT_FOUND`; any other failure →
 * `REMOTE_FETCH_FAILED`. Returns the cached file's path.
 */
export async function fetchS3Archive(
  location: { readonly bucket: string; readonly key: string },
  settings: S3Settings,
  context: FetchContext,
): Promise<string> {
  // Loaded on first use: the SDK costs ~25 MB per thread, and most runs read local files.
  const { GetObjectCommand, HeadObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
  });
  const sendOptions = context.signal === undefined ? {} : { abortSignal: context.signal };
  const object = { Bucket: location.bucket, Key: location.key };
  try {
    const cached = await context.cache.lookup();
    if (cached?.etag !== undefined) {
      const head = await client.send(new HeadObjectCommand(object), sendOptions);
      if (head.ETag === cached.etag) return context.cache.dataPath;
    }
    const got = await client.send(new GetObjectCommand(object), sendOptions);
    const body = got.Body;
    if (!(body instanceof Readable)) {
      throw archiveError('REMOTE_FETCH_FAILED', context.label, 'download failed (response without a body stream)');
    }
    if (got.ContentLength !== undefined && got.ContentLength > context.maxBytes) {
      body.destroy();
      throw archiveError('ARCHIVE_LIMIT', context.label, `download is larger than the limit of ${context.maxBytes} bytes`);
    }
    return await context.cache.store(body, { etag: got.ETag, lastModified: got.LastModified?.toUTCString() }, context);
  } catch (error) {
    throw failure(error, context);
  } finally {
    client.destroy();
  }
}
