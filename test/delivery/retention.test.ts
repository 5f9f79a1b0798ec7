/**
 * Retention: managed storage deletes recordings after the retention period (14 days by
 * default); a customer's bucket is never touched; an archive that could not be delivered
 * is kept for the recovery window, then dropped and the recording failed.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckApiError, TapedeckClient } from '../../packages/client/src/index.js';
import { startTestService, type TestService } from '../calls/support.js';
import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import { recordShortCall } from './support.js';
import { testSecret } from '../helpers/test-secrets.js';

const DAY = 86_400_000;
const credentials = {
  accessKeyId: `AK${randomBytes(6).toString('hex')}`,
  secretAccessKey: testSecret(),
};
let s3: RunningS3rver;
let admin: S3Client;
let svc: TestService;
let client: TapedeckClient;

async function s3Storage(name: string, bucket: string): Promise<void> {
  await client.createExternalStorage({
    name,
    storage_type: 's3',
    bucket,
    aws_s3: {
      s3_region: 'us-east-1',
      s3_api_key: credentials.accessKeyId,
      s3_secret: credentials.secretAccessKey,
      s3_custom_endpoint_url: s3.endpoint,
      s3_force_path_style: true,
    },
  });
}

beforeAll(async () => {
  s3 = await startS3rverWithLog(['customer'], credentials);
  admin = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials,
  });
  svc = await startTestService({}, { delivery: { initialDelayMs: 50, pollIntervalMs: 50 } });
  client = new TapedeckClient({ baseUrl: svc.service.url, apiSecret: svc.secret });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  admin?.destroy();
  await s3?.stop();
});

describe('retention', () => {
  it('managed recordings are deleted after 14 days, customer buckets never, and undeliverable archives after the recovery window', async () => {
    const managed = await recordShortCall(client, 'managed', { packets: 100 });
    await s3Storage('customer', 'customer');
    const customer = await recordShortCall(client, 'customer', {
      storage: 'customer',
      packets: 100,
    });
    await admin.send(new CreateBucketCommand({ Bucket: 'vanishing' }));
    await s3Storage('vanishing', 'vanishing');
    await admin.send(new DeleteBucketCommand({ Bucket: 'vanishing' }));
    const stuck = await recordShortCall(client, 'stuck', { storage: 'vanishing', packets: 100 });
    expect((await client.getRecording(stuck)).recording.status).toBe('copy_failed');
    const managedFile = `${svc.dataDir}/recordings/${managed}/raw_default_managed_part1.zip`;
    const heldFile = `${svc.dataDir}/recordings/${stuck}/raw_default_stuck_part1.zip`;

    // Thirteen days on: nothing is due yet.
    expect(await svc.service.retention.sweep(Date.now() + 13 * DAY)).toEqual({
      filesDeleted: 0,
      recoveriesExpired: 0,
    });
    expect((await stat(managedFile)).size).toBeGreaterThan(0);

    // Fifteen days on: the managed file goes; the customer's object stays.
    expect(await svc.service.retention.sweep(Date.now() + 15 * DAY)).toEqual({
      filesDeleted: 1,
      recoveriesExpired: 0,
    });
    await expect(stat(managedFile)).rejects.toMatchObject({ code: 'ENOENT' });
    const gone = await client.getRecordingFiles(managed).then(
      () => undefined,
      (e: unknown) => e as TapedeckApiError,
    );
    expect([gone?.status, gone?.message]).toEqual([404, expect.stringContaining('retention')]);
    await admin.send(
      new HeadObjectCommand({
        Bucket: 'customer',
        Key: `${customer}_raw_default_customer_part1.zip`,
      }),
    );
    expect((await client.getRecordingFiles(customer)).files).toHaveLength(1);
    expect((await stat(heldFile)).size).toBeGreaterThan(0);

    // Thirty-one days on: the held archive of the undeliverable recording is dropped.
    expect((await svc.service.retention.sweep(Date.now() + 31 * DAY)).recoveriesExpired).toBe(1);
    await expect(stat(heldFile)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await client.getRecording(stuck)).recording).toMatchObject({
      status: 'failed',
      error: { code: 'DESTINATION_NOT_FOUND' },
    });
    const retry = await client.retryDelivery(stuck).then(
      () => undefined,
      (e: unknown) => e as TapedeckApiError,
    );
    expect(retry?.status).toBe(409);
  });
});
