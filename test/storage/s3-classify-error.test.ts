/**
 * The provider-neutral status/code → DESTINATION_* table (classify-error.ts). The S3 cases
 * are also proved end to end against Swift and s3rver; this pins the cases no local server
 * produces (5xx, throttling, redirects, digests, TLS and DNS failures).
 */
import { describe, expect, it } from 'vitest';
import {
  classifyHttpFailure,
  networkFailureCode,
} from '../../src/storage/providers/classify-error.js';
import { classifyS3Error } from '../../src/storage/providers/s3-errors.js';

const WHAT = 's3 PutObject on bucket "b"';

describe('classifyHttpFailure()', () => {
  it.each([
    [403, 'InvalidAccessKeyId', 'DESTINATION_AUTH_FAILED', 'credentials rejected'],
    [403, 'SignatureDoesNotMatch', 'DESTINATION_AUTH_FAILED', 'credentials rejected'],
    [400, 'ExpiredToken', 'DESTINATION_AUTH_FAILED', 'credentials rejected'],
    [401, undefined, 'DESTINATION_AUTH_FAILED', 'credentials rejected'],
    [403, 'AccessDenied', 'DESTINATION_AUTH_FAILED', 'access denied'],
    [403, undefined, 'DESTINATION_AUTH_FAILED', 'access denied'],
    [400, 'KMS.NotFoundException', 'DESTINATION_AUTH_FAILED', 'access denied'],
    [404, 'NoSuchBucket', 'DESTINATION_NOT_FOUND', 'bucket not found'],
    [404, undefined, 'DESTINATION_NOT_FOUND', 'bucket not found'],
    [301, 'PermanentRedirect', 'DESTINATION_REGION_MISMATCH', 'another region'],
    [301, undefined, 'DESTINATION_REGION_MISMATCH', 'another region'],
    [400, 'AuthorizationHeaderMalformed', 'DESTINATION_REGION_MISMATCH', 'another region'],
    [400, 'BadDigest', 'DESTINATION_INTEGRITY_FAILED', 'does not match'],
    [412, 'PreconditionFailed', 'DESTINATION_KEY_CONFLICT', 'already holds'],
    [503, 'SlowDown', 'DESTINATION_UNAVAILABLE', 'throttled'],
    [429, undefined, 'DESTINATION_UNAVAILABLE', 'throttled'],
    [500, 'InternalError', 'DESTINATION_UNAVAILABLE', 'throttled or busy'],
    [502, undefined, 'DESTINATION_UNAVAILABLE', 'server error'],
    [0, 'ECONNREFUSED', 'DESTINATION_UNREACHABLE', 'unreachable'],
    [0, undefined, 'DESTINATION_UNREACHABLE', 'unreachable'],
  ] as const)('HTTP %s with code %s is %s (%s)', (status, code, expected, phrase) => {
    const cause = new Error('original');
    const error = classifyHttpFailure(status, code, WHAT, cause);
    expect(error.code).toBe(expected);
    expect(error.message.startsWith(`${WHAT}: `)).toBe(true);
    expect(error.message).toContain(phrase);
    if (code !== undefined) expect(error.message).toContain(code);
    expect(error.cause).toBe(cause);
  });

  it('keeps the message on one line', () => {
    expect(classifyHttpFailure(500, undefined, 'a\nb', null).message).toBe(
      'a b: destination server error (HTTP 500)',
    );
  });
});

describe('networkFailureCode()', () => {
  it('finds a socket code down the cause chain and inside an AggregateError', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(
      networkFailureCode(
        new Error('outer', { cause: new AggregateError([new Error('x'), refused]) }),
      ),
    ).toBe('ECONNREFUSED');
  });

  it('recognises DNS, TLS and timeout failures and ignores HTTP-level errors', () => {
    expect(networkFailureCode(Object.assign(new Error('dns'), { code: 'ENOTFOUND' }))).toBe(
      'ENOTFOUND',
    );
    expect(
      networkFailureCode(Object.assign(new Error('tls'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    ).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(networkFailureCode(Object.assign(new Error('slow'), { name: 'TimeoutError' }))).toBe(
      'TimeoutError',
    );
    expect(
      networkFailureCode(
        Object.assign(new Error('denied'), { name: 'AccessDenied', code: 'AccessDenied' }),
      ),
    ).toBeUndefined();
  });
});

describe('classifyS3Error() region answers AWS gives and no local server does', () => {
  it("names the region from PermanentRedirect's Endpoint", () => {
    const error = Object.assign(new Error('redirect'), {
      name: 'PermanentRedirect',
      Endpoint: 'b.s3.eu-central-1.amazonaws.com',
      $metadata: { httpStatusCode: 301 },
    });
    const classified = classifyS3Error(error, 'PutObject', 'b', 'us-east-1');
    expect(classified.code).toBe('DESTINATION_REGION_MISMATCH');
    expect(classified.message).toContain('bucket is in region "eu-central-1"');
  });

  it('treats a body-less HeadBucket 400 with another x-amz-bucket-region as a region mismatch', () => {
    const error = Object.assign(new Error('UnknownError'), {
      name: 'Unknown',
      $metadata: { httpStatusCode: 400 },
      $response: { statusCode: 400, headers: { 'x-amz-bucket-region': 'ap-southeast-2' } },
    });
    const classified = classifyS3Error(error, 'HeadBucket', 'b', 'us-east-1');
    expect(classified.code).toBe('DESTINATION_REGION_MISMATCH');
    expect(classified.message).toBe(
      's3 HeadBucket on bucket "b": bucket is in region "ap-southeast-2", configured "us-east-1" (HTTP 400)',
    );
    expect(classified.cause).toBe(error);
  });
});
