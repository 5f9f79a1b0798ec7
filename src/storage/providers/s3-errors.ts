/**
 * AWS SDK v3 errors → `DESTINATION_*` TapedeckErrors, naming the operation and the bucket
 * (and, for a region mismatch, the region the bucket is in when S3 says so). Never copies
 * the SDK's message, which for some S3-compatible servers echoes the access key id.
 */
import { TapedeckError } from '../../errors.js';
import { classifyHttpFailure, networkFailureCode } from './classify-error.js';

type SdkErrorShape = {
  name?: unknown;
  Code?: unknown;
  Region?: unknown;
  /** PermanentRedirect's body: `<bucket>.s3.<region>.amazonaws.com` (or `s3-<region>`). */
  Endpoint?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown; headers?: Record<string, unknown> };
};

/** HeadBucket and other body-less answers come back named after the status or "Unknown". */
const GENERIC_NAMES = new Set(['Unknown', 'UnknownError', 'Error', 'S3ServiceException']);

function statusOf(error: SdkErrorShape): number {
  const fromMetadata = error.$metadata?.httpStatusCode;
  if (typeof fromMetadata === 'number') return fromMetadata;
  const fromResponse = error.$response?.statusCode;
  return typeof fromResponse === 'number' ? fromResponse : 0;
}

function providerCodeOf(error: SdkErrorShape): string | undefined {
  for (const candidate of [error.Code, error.name]) {
    if (
      typeof candidate === 'string' &&
      candidate !== '' &&
      !GENERIC_NAMES.has(candidate) &&
      !/^\d+$/.test(candidate)
    )
      return candidate;
  }
  return undefined;
}

function regionOf(error: SdkErrorShape): string | undefined {
  const header = error.$response?.headers?.['x-amz-bucket-region'];
  if (typeof header === 'string' && header !== '') return header;
  if (typeof error.Region === 'string' && error.Region !== '') return error.Region;
  if (typeof error.Endpoint === 'string') {
    const match = /(?:^|\.)s3[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com/.exec(error.Endpoint);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/**
 * Whether the answer carried no error code of its own (HEAD answers have no body, so S3
 * and S3-compatibles report only a status): worth a diagnostic request that has a body.
 */
export function isBodylessS3Failure(error: unknown): boolean {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = statusOf(shape);
  return status >= 300 && status < 500 && status !== 404 && providerCodeOf(shape) === undefined;
}

/**
 * @param operation the S3 action (`HeadBucket`, `PutObject`, `Upload`, …).
 * @param bucket the configured bucket, named in the message.
 * @param configuredRegion when given, an `x-amz-bucket-region` answer naming another region
 *   on a 301/400/403 is reported as DESTINATION_REGION_MISMATCH (S3 signs it on HeadBucket).
 */
export function classifyS3Error(
  error: unknown,
  operation: string,
  bucket: string,
  configuredRegion?: string,
): TapedeckError {
  if (error instanceof TapedeckError) return error;
  const what = `s3 ${operation} on bucket "${bucket}"`;
  if (error instanceof Error && error.name === 'AbortError') {
    return new TapedeckError('ABORTED', `${what}: aborted`, { cause: error });
  }
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = statusOf(shape);
  if (status === 0) {
    const network = networkFailureCode(error);
    if (network !== undefined) return classifyHttpFailure(0, network, what, error);
    const name = error instanceof Error ? error.name : '';
    if (name === 'CredentialsProviderError') {
      return new TapedeckError(
        'DESTINATION_AUTH_FAILED',
        `${what}: no usable credentials (${name})`,
        { cause: error },
      );
    }
    // lib-storage's own check that the parts sent add up to the declared size.
    if (error instanceof Error && /^Expected \d+ part\(s\) but uploaded \d+/.test(error.message)) {
      return new TapedeckError(
        'DESTINATION_INTEGRITY_FAILED',
        `${what}: the parts sent do not add up to the declared size`,
        { cause: error },
      );
    }
    const first =
      error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error).split('\n')[0];
    return new TapedeckError('INTERNAL', `${what}: ${name === '' ? '' : `${name}: `}${first}`, {
      cause: error,
    });
  }
  const region = regionOf(shape);
  const providerCode = providerCodeOf(shape);
  const otherRegion =
    configuredRegion !== undefined && region !== undefined && region !== configuredRegion;
  if (otherRegion && (status === 301 || status === 400 || status === 403)) {
    const detail = [providerCode, `HTTP ${status}`].filter((p) => p !== undefined).join(', ');
    return new TapedeckError(
      'DESTINATION_REGION_MISMATCH',
      `${what}: bucket is in region "${region}", configured "${configuredRegion}" (${detail})`,
      { cause: error },
    );
  }
  const classified = classifyHttpFailure(status, providerCode, what, error);
  if (classified.code !== 'DESTINATION_REGION_MISMATCH') return classified;
  if (region === undefined) return classified;
  return new TapedeckError(
    classified.code,
    classified.message.replace('bucket is in another region', `bucket is in region "${region}"`),
    { cause: error },
  );
}
