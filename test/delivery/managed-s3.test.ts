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
import { OPUS_SDP, startTestService, type TestService } from '../calls/support.js';
import { freeLoopbackPort } from '../helpers/azurite-server.js';
import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import { sendSyntheticOpus } from '../helpers/synthetic-opus.js';

const credentials = {
  accessKeyId: `AK${randomBytes(6).toString('hex')}`,
  secretAccessKey: randomBytes(20).toString('hex'),
};
let s3: RunningS3rver;
let svc: TestService;
let client: TapedeckClient;

async function record(callId: string, storage?: string): Promise<string> {
  const call = client.call('default', callId);
  await call.getOrCreate();
  const track = await call.addRtpTrack({
    user_id: 'u',
    session_id: 's',
    track_type: 'audio',
    sdp: OPUS_SDP,
  });
  const { recording } = await call.startRecording(
    'raw',
    storage === undefined ? {} : { external_storage: storage },
  );
  await sendSyntheticOpus({ host: track.rtp.host, port: track.rtp.port, packets: 80 });
  await new Promise((r) => setTimeout(r, 300));
  await call.stopRecording('raw');
  for (;;) {
    const { status } = (await client.getRecording(recording.id)).recording;
    if (['ready', 'failed', 'copy_failed'].includes(status)) return recording.id;
    await new Promise((r) => setTimeout(r, 50));
  }
}

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

    const id = await record('m-1');
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
    const id = await record('window', 'brief');
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
