/**
 * The S3 destination (AWS S3 and S3-compatible stores: an `endpointUrl`, path-style when
 * `forcePathStyle`). One `S3Client` per destination; every failure is a `DESTINATION_*`
 * TapedeckError naming the operation and bucket (see s3-errors.ts), never a secret.
 *
 * ```text
 * check  read_write ─▶ HeadBucket
 *        write_only ─▶ PutObject {prefix}/.write_probe_<hex> ─▶ DeleteObject (failure ignored)
 * upload ─▶ lib-storage Upload (PutObject ≤ partSize < multipart)     see s3-upload.ts
 * presign ─▶ GetObject SigV4 query URL         delete ─▶ DeleteObject
 * ```
 *
 * Request checksums are sent only when an operation requires them
 * (`requestChecksumCalculation: 'WHEN_REQUIRED'`): the SDK's default flexible checksums
 * (CRC32 headers or aws-chunked trailers) are rejected or ignored by many S3-compatible
 * stores; integrity is checked from the ETag and the byte count instead (s3-upload.ts).
 */
import {
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { TapedeckError } from '../../errors.js';
import type {
  CheckInput,
  PresignedUrl,
  StorageConfig,
  StorageDestination,
  UploadInput,
  UploadResult,
} from '../types.js';
import { classifyS3Error, isBodylessS3Failure } from './s3-errors.js';
import { uploadToS3 } from './s3-upload.js';
import { probeKey } from './provider-common.js';

const MIB = 1024 * 1024;
/** S3's floor for every part but the last. */
const MIN_PART_SIZE_BYTES = 5 * MIB;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export type S3DestinationOptions = {
  /** Static keys or a provider (federated). Absent: the SDK's default credential chain. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Multipart part size; default 16 MiB, at least 5 MiB. Files up to this size go in one PutObject. */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel; default 4. */
  readonly queueSize?: number;
  /** How long connecting, or a request that moves no bytes either way, may last (ms); default: no limit. */
  readonly requestTimeoutMs?: number;
  /** SDK-level attempts per request, default 3 (the durable queue retries above that). */
  readonly maxAttempts?: number;
};

type Resolved = {
  partSizeBytes: number;
  queueSize: number;
  maxAttempts: number;
  requestTimeoutMs: number | undefined;
};

function positiveInteger(
  value: number | undefined,
  name: string,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`options.${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function resolveOptions(options: S3DestinationOptions): Resolved {
  const requestTimeoutMs = options.requestTimeoutMs;
  if (
    requestTimeoutMs !== undefined &&
    (!Number.isFinite(requestTimeoutMs) || requestTimeoutMs <= 0)
  ) {
    throw new RangeError(
      `options.requestTimeoutMs must be a positive number, got ${requestTimeoutMs}`,
    );
  }
  return {
    partSizeBytes: positiveInteger(
      options.partSizeBytes,
      'partSizeBytes',
      16 * MIB,
      MIN_PART_SIZE_BYTES,
    ),
    queueSize: positiveInteger(options.queueSize, 'queueSize', 4),
    maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts', 3),
    requestTimeoutMs,
  };
}

/** `{prefix}/.write_probe_<hex>`; '' (or only slashes) → the bucket root; never `//`. */
export { probeKey } from './provider-common.js';

/**
 * HeadBucket answers have no body, so a 403 cannot tell a rejected signature from a missing
 * permission, nor a 400 a wrong region. One GetBucketLocation (which has an XML error body)
 * then names the cause; the HeadBucket error stays the `cause`.
 */
async function diagnoseHeadBucket(
  client: S3Client,
  bucket: string,
  region: string,
  error: unknown,
  sendOptions: { abortSignal?: AbortSignal },
): Promise<TapedeckError> {
  const classified = classifyS3Error(error, 'HeadBucket', bucket, region);
  if (classified.code === 'DESTINATION_REGION_MISMATCH' || !isBodylessS3Failure(error))
    return classified;
  try {
    const located = await client.send(
      new GetBucketLocationCommand({ Bucket: bucket }),
      sendOptions,
    );
    // S3 answers '' for us-east-1 and the legacy 'EU' for eu-west-1.
    const constraint = located.LocationConstraint as string | undefined;
    const actual =
      constraint === undefined || constraint === ''
        ? 'us-east-1'
        : constraint === 'EU'
          ? 'eu-west-1'
          : constraint;
    if (actual === region) return classified;
    return new TapedeckError(
      'DESTINATION_REGION_MISMATCH',
      `s3 HeadBucket on bucket "${bucket}": bucket is in region "${actual}", configured "${region}"`,
      { cause: error },
    );
  } catch (second) {
    if (isBodylessS3Failure(second)) return classified;
    const diagnosed = classifyS3Error(second, 'HeadBucket', bucket, region);
    if (!diagnosed.code.startsWith('DESTINATION_') || diagnosed.code === 'DESTINATION_UNREACHABLE')
      return classified;
    return new TapedeckError(diagnosed.code, diagnosed.message, { cause: error });
  }
}

export function createS3Destination(
  config: StorageConfig,
  options: S3DestinationOptions = {},
): StorageDestination {
  if (config.storageType !== 's3')
    throw new TypeError(`config.storageType must be 's3', got '${config.storageType}'`);
  const s3 = config.s3;
  if (s3 === undefined) throw new TypeError('config.s3 is required for storageType s3');
  if (config.bucket === '') throw new TypeError('config.bucket must not be empty');
  const resolved = resolveOptions(options);
  const bucket = config.bucket;

  const clientConfig: S3ClientConfig = {
    region: s3.region,
    maxAttempts: resolved.maxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(s3.endpointUrl === undefined ? {} : { endpoint: s3.endpointUrl }),
    ...(s3.forcePathStyle === undefined ? {} : { forcePathStyle: s3.forcePathStyle }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(resolved.requestTimeoutMs === undefined
      ? {}
      : {
          requestHandler: {
            // An idle timeout, not a total one: a 16 MiB part on a slow link may take long
            // while still moving bytes (smithy's `requestTimeout` would cut it off).
            socketTimeout: resolved.requestTimeoutMs,
            connectionTimeout: resolved.requestTimeoutMs,
          },
        }),
  };
  const client = new S3Client(clientConfig);
  let closed = false;

  const assertOpen = (operation: string): void => {
    if (closed) {
      throw new TapedeckError(
        'INTERNAL',
        `s3 ${operation} on bucket "${bucket}": destination is closed`,
      );
    }
  };

  const send = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    assertOpen(operation);
    try {
      return await run();
    } catch (error) {
      throw classifyS3Error(error, operation, bucket, s3.region);
    }
  };

  const check = async (input: CheckInput): Promise<void> => {
    const abortSignal = input.signal;
    const sendOptions = abortSignal === undefined ? {} : { abortSignal };
    if (input.accessMode === 'read_write') {
      assertOpen('HeadBucket');
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), sendOptions);
      } catch (error) {
        throw await diagnoseHeadBucket(client, bucket, s3.region, error, sendOptions);
      }
      return;
    }
    for (const prefix of new Set(input.prefixes)) {
      const key = probeKey(prefix);
      const body = Buffer.from('tapedeck write probe\n');
      await send(`PutObject of "${key}"`, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.byteLength,
            ContentType: 'text/plain',
          }),
          sendOptions,
        ),
      );
      // write_only credentials usually may not delete; the probe is then left behind.
      await client
        .send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), sendOptions)
        .catch(() => undefined);
    }
  };

  const upload = async (input: UploadInput): Promise<UploadResult> => {
    assertOpen('Upload');
    return uploadToS3(
      {
        client,
        bucket,
        region: s3.region,
        partSizeBytes: resolved.partSizeBytes,
        queueSize: resolved.queueSize,
        sseKmsKeyId: s3.sseKmsKeyId,
      },
      input,
    );
  };

  const presign = async (key: string, ttlSeconds: number): Promise<PresignedUrl> => {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(
        `ttlSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}, got ${ttlSeconds}`,
      );
    }
    const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
    const url = await send(`presign GetObject of "${key}"`, () =>
      getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: ttlSeconds,
      }),
    );
    return { url, expiresAt };
  };

  return {
    storageType: 's3',
    bucket,
    check,
    upload,
    presign,
    delete: async (key: string): Promise<void> => {
      await send(`DeleteObject of "${key}"`, () =>
        client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
      );
    },
    uri: (key: string): string => `s3://${bucket}/${key}`,
    close: (): Promise<void> => {
      if (!closed) {
        closed = true;
        client.destroy();
      }
      return Promise.resolve();
    },
  };
}
