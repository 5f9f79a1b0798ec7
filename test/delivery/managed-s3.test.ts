/**
 * The managed default on an operator's S3-compatible bucket (TAPEDECK_MANAGED_S3_*, here
 * s3rver): recordings that name no storage are delivered there and fetched through
 * presigned URLs; retention deletes them from that bucket. And a transient outage that
 * outlasts the delivery window (TAPEDECK_DELIVERY_WINDOW_SECONDS) ends in copy_failed.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckApiError, TapedeckClient } from '../../packages/client/src/index.js';
import { startTestService, type TestService } from '../calls/support.js';
import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import { recordShortCall } from './support.js';
import { testSecret } from '../helpers/test-secrets.js';
import { freeLoopbackPort } from '../helpers/free-port.js';

const credentials = {
  accessKeyId: `AK${randomBytes(6).toString('hex')}`,
  secretAccessKey: testSecret(),
};
let s3: RunningS3rver;
let svc: TestService;
let client: TapedeckClient;

beforeAll(async () => {
  s3 = await startS3rverWithLog(['managed'], credentials);
  svc = await startTestService(
    {
      TAPEDECK_MANAGED_S3_BUCKET: 'managed',
      TAPEDECK_MANAGED_S3_ENDPOINT: s3.endpoint,
      TAPEDECK_MANAGED_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      TAPEDECK_MANAGED_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      TAPEDECK_DELIVERY_WINDOW_SECONDS: '2',
      TAPEDECK_DELIVERY_MAX_BACKOFF_SECONDS: '1',
    },
    { delivery: { initialDelayMs: 100, pollIntervalMs: 50 } },
  );
  client = new TapedeckClient({ baseUrl: svc.service.url, apiSecret: svc.secret });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await s3?.stop();
});

describe('managed storage on an operator bucket', () => {
  it('recordings naming no storage land in the managed bucket, are fetched presigned, and retention deletes them there', async () => {
    const listed = (await client.listExternalStorage()).external_storage;
    expect(listed[0]).toMatchObject({
      name: 'tapedeck-managed',
      storage_type: 's3',
      bucket: 'managed',
      managed: true,
    });
    expect(JSON.stringify(listed)).not.toContain(credentials.secretAccessKey);

    const id = await recordShortCall(client, 'm-1', { packets: 80 });
    const { files } = await client.getRecordingFiles(id);
    const key = `${id}_raw_default_m-1_part1.zip`;
    expect(files[0]).toMatchObject({
      storage_name: 'tapedeck-managed',
      storage_provider: 's3',
      storage_uri: `s3://managed/${key}`,
    });
    expect((await fetch(files[0]!.url!)).status).toBe(200);

    const admin = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
    });
    try {
      await admin.send(new HeadObjectCommand({ Bucket: 'managed', Key: key }));
      expect((await svc.service.retention.sweep(Date.now() + 15 * 86_400_000)).filesDeleted).toBe(
        1,
      );
      await expect(
        admin.send(new HeadObjectCommand({ Bucket: 'managed', Key: key })),
      ).rejects.toMatchObject({
        name: 'NotFound',
      });
    } finally {
      admin.destroy();
    }
  });

  it('an outage longer than the delivery window ends in copy_failed with the transient cause, the archive kept', async () => {
    const port = await freeLoopbackPort(); // nothing listens there
    await expect(
      client.createExternalStorage({
        name: 'nowhere',
        storage_type: 's3',
        bucket: 'nowhere',
        aws_s3: {
          s3_region: 'us-east-1',
          s3_api_key: credentials.accessKeyId,
          s3_secret: credentials.secretAccessKey,
          s3_custom_endpoint_url: `http://127.0.0.1:${port}`,
          s3_force_path_style: true,
        },
      }),
    ).rejects.toMatchObject({ status: 400, code: 'DESTINATION_UNREACHABLE' });
    // Saved while reachable, then the server goes away for longer than the window.
    const brief = await startS3rverWithLog(['brief'], credentials);
    await client.createExternalStorage({
      name: 'brief',
      storage_type: 's3',
      bucket: 'brief',
      aws_s3: {
        s3_region: 'us-east-1',
        s3_api_key: credentials.accessKeyId,
        s3_secret: credentials.secretAccessKey,
        s3_custom_endpoint_url: brief.endpoint,
        s3_force_path_style: true,
      },
    });
    await brief.stop();
    const id = await recordShortCall(client, 'window', { storage: 'brief', packets: 80 });
    const { recording } = await client.getRecording(id);
    expect([recording.status, recording.error?.code]).toEqual([
      'copy_failed',
      'DESTINATION_UNREACHABLE',
    ]);
    const { events } = await client.call('default', 'window').listEvents();
    expect(events.filter((e) => e.type === 'call.recording_copy_failed')).toHaveLength(1);
    const files = await client.getRecordingFiles(id).then(
      () => undefined,
      (e: unknown) => e as TapedeckApiError,
    );
    expect(files?.status).toBe(404);
    const held = await stat(`${svc.dataDir}/recordings/${id}/raw_default_window_part1.zip`);
    expect(held.size).toBeGreaterThan(0);
  });
});
