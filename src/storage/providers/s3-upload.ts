/**
 * One file to one S3 key with `@aws-sdk/lib-storage`: a single PutObject up to the part
 * size, a multipart upload above it (`queueSize` parts in flight, so at most
 * `partSize × queueSize` bytes held). The file is streamed through a hashing pass-through,
 * never read whole.
 *
 * ```text
 * createReadStream ──▶ Digest (md5, sha256, bytes) ──▶ Upload ──▶ PutObject
 *                                                            └──▶ Create/UploadPart×N/Complete
 * ```
 *
 * Integrity, in the order checked after the provider confirmed the object:
 * - bytes streamed === `sizeBytes` (and lib-storage checks the part count against it);
 * - single part: the file's SHA-256 === `sha256` when given (stored as `x-amz-meta-sha256`);
 *   multipart: each part's SHA-256 is checked by the store (`x-amz-checksum-sha256`);
 * - single part, no SSE-KMS: the ETag is the MD5 of what was streamed;
 * - single part, when the store echoes it: `x-amz-checksum-sha256` is the file's SHA-256;
 * - multipart: CompleteMultipartUpload's answer is trusted (its ETag is `<md5>-<parts>`).
 *
 * Every PutObject/UploadPart carries `x-amz-checksum-sha256` of its (buffered) body
 * (`ChecksumAlgorithm: 'SHA256'`): AWS verifies it per request and rejects a corrupted part
 * with BadDigest. Swift's s3api (2.30) and s3rver accept and ignore it (checked in tests).
 */
import { type ServerSideEncryption, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { TapedeckError } from '../../errors.js';
import type { UploadInput, UploadResult } from '../types.js';
import { classifyS3Error } from './s3-errors.js';

export type S3UploadSettings = {
  readonly client: S3Client;
  readonly bucket: string;
  /** The configured region (a region-mismatch answer names the bucket's own). */
  readonly region: string;
  readonly partSizeBytes: number;
  readonly queueSize: number;
  readonly sseKmsKeyId: string | undefined;
};

/**
 * Passes chunks through unchanged while counting them and computing only the digests a
 * check will use (hashing a 1 GiB archive twice for nothing cost ~10 % of upload throughput
 * in `npm run bench -- --delivery-only`).
 */
class Digest extends Transform {
  readonly #md5: Hash | undefined;
  readonly #sha256: Hash | undefined;
  #bytes = 0;

  constructor(want: { readonly md5: boolean; readonly sha256: boolean }) {
    super();
    this.#md5 = want.md5 ? createHash('md5') : undefined;
    this.#sha256 = want.sha256 ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#md5?.update(chunk);
    this.#sha256?.update(chunk);
    this.#bytes += chunk.byteLength;
    callback(null, chunk);
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Call once, after the stream ended. */
  finish(): { md5: string | undefined; sha256: string | undefined } {
    return { md5: this.#md5?.digest('hex'), sha256: this.#sha256?.digest('hex') };
  }
}

/** A function, so TypeScript does not keep the narrowing of an earlier check. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function abortedError(key: string, cause?: unknown): TapedeckError {
  return new TapedeckError('ABORTED', `s3 upload of "${key}" aborted`, { cause });
}

async function checkedFileSize(input: UploadInput): Promise<void> {
  let size: number;
  try {
    size = (await stat(input.file)).size;
  } catch (error) {
    throw new TapedeckError('INPUT_NOT_FOUND', `upload source "${input.file}" cannot be read`, {
      cause: error,
    });
  }
  if (size !== input.sizeBytes) {
    throw new RangeError(
      `input.sizeBytes (${input.sizeBytes}) does not match the size of ${input.file} (${size})`,
    );
  }
}

export async function uploadToS3(
  settings: S3UploadSettings,
  input: UploadInput,
): Promise<UploadResult> {
  const { client, bucket } = settings;
  const where = `s3 Upload of "${input.key}" to bucket "${bucket}"`;
  if (isAborted(input.signal)) throw abortedError(input.key, input.signal?.reason);
  await checkedFileSize(input);

  // lib-storage sends one PutObject exactly when the file fits in one part. SSE-KMS objects'
  // ETags are not the MD5 of the content (AWS docs, "Checking object integrity").
  const singlePart = input.sizeBytes <= settings.partSizeBytes;
  const source = createReadStream(input.file);
  const digest = new Digest({
    md5: singlePart && settings.sseKmsKeyId === undefined,
    // Multipart: every part carries its own SHA-256 (ChecksumAlgorithm), checked by the store;
    // hashing the whole file again here would only duplicate that work.
    sha256: singlePart,
  });
  source.on('error', (error) => digest.destroy(error));
  source.pipe(digest);

  const sse =
    settings.sseKmsKeyId === undefined
      ? {}
      : {
          ServerSideEncryption: 'aws:kms' as ServerSideEncryption,
          SSEKMSKeyId: settings.sseKmsKeyId,
        };
  const upload = new Upload({
    client,
    partSize: settings.partSizeBytes,
    queueSize: settings.queueSize,
    leavePartsOnError: false,
    params: {
      Bucket: bucket,
      Key: input.key,
      Body: digest,
      ContentType: input.contentType,
      // lib-storage sends it on the single PutObject only, and checks the part count against it.
      ContentLength: input.sizeBytes,
      ChecksumAlgorithm: 'SHA256',
      ...(input.sha256 === undefined ? {} : { Metadata: { sha256: input.sha256 } }),
      ...sse,
    },
  });
  const onProgress = input.onProgress;
  if (onProgress !== undefined) {
    upload.on('httpUploadProgress', (progress) => {
      if (progress.loaded === undefined) return;
      try {
        onProgress(progress.loaded);
      } catch {
        // A throwing listener must not break the upload.
      }
    });
  }
  const onAbort = (): void => {
    void upload.abort();
    source.destroy();
    digest.destroy();
  };
  input.signal?.addEventListener('abort', onAbort, { once: true });

  let etag: string | undefined;
  let checksumSha256: string | undefined;
  try {
    const result = await upload.done();
    etag = result.ETag;
    checksumSha256 = result.ChecksumSHA256;
  } catch (error) {
    if (isAborted(input.signal)) throw abortedError(input.key, error);
    throw classifyS3Error(error, `Upload of "${input.key}"`, bucket, settings.region);
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    source.destroy();
  }

  const sums = digest.finish();
  if (digest.bytes !== input.sizeBytes) {
    throw new TapedeckError(
      'DESTINATION_INTEGRITY_FAILED',
      `${where}: sent ${digest.bytes} bytes, expected ${input.sizeBytes}`,
    );
  }
  if (
    sums.sha256 !== undefined &&
    input.sha256 !== undefined &&
    input.sha256.toLowerCase() !== sums.sha256
  ) {
    throw new TapedeckError(
      'DESTINATION_INTEGRITY_FAILED',
      `${where}: the file's SHA-256 does not match input.sha256`,
    );
  }
  const bare = etag?.replace(/"/g, '').toLowerCase();
  // Stores whose ETag is not an MD5 at all (not hex) are not compared.
  const looksLikeMd5 = bare !== undefined && /^[0-9a-f]{32}$/.test(bare);
  if (singlePart && settings.sseKmsKeyId === undefined && looksLikeMd5 && bare !== sums.md5) {
    throw new TapedeckError(
      'DESTINATION_INTEGRITY_FAILED',
      `${where}: the stored ETag is not the MD5 of the bytes sent`,
    );
  }
  // Multipart answers carry a checksum of part checksums ("<base64>-<parts>"), not comparable.
  if (singlePart && checksumSha256 !== undefined && !checksumSha256.includes('-')) {
    if (Buffer.from(checksumSha256, 'base64').toString('hex') !== sums.sha256) {
      throw new TapedeckError(
        'DESTINATION_INTEGRITY_FAILED',
        `${where}: the stored SHA-256 checksum is not that of the bytes sent`,
      );
    }
  }
  return {
    key: input.key,
    uri: `s3://${bucket}/${input.key}`,
    ...(etag === undefined ? {} : { etag }),
  };
}
