/**
 * A long call's parts (TAPEDECK_PART_SECONDS=1 here) are each delivered to the customer's
 * bucket (s3rver) under their own key, in part order, each announced once with its
 * part_number and storage_uri, while the recording goes on.
 */
import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckClient } from '../../packages/client/src/index.js';
import { OPUS_SDP, startTestService, type TestService } from '../calls/support.js';
import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import { syntheticOpusSender } from '../helpers/synthetic-opus.js';
import { testSecret } from '../helpers/test-secrets.js';
import { settledRecording } from './support.js';

// The access key id is not a secret (it is in every presigned URL); the secret key is.
const credentials = {
  accessKeyId: `AK${randomBytes(6).toString('hex')}`,
  secretAccessKey: testSecret(),
};
let s3: RunningS3rver;
let svc: TestService;
let client: TapedeckClient;

beforeAll(async () => {
  s3 = await startS3rverWithLog(['parts'], credentials);
  svc = await startTestService(
    { TAPEDECK_PART_SECONDS: '1' },
    { delivery: { initialDelayMs: 50, pollIntervalMs: 50 } },
  );
  client = new TapedeckClient({ baseUrl: svc.service.url, apiSecret: svc.secret });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
  await client.createExternalStorage({
    name: 'parts',
    storage_type: 's3',
    bucket: 'parts',
    aws_s3: {
      s3_region: 'us-east-1',
      s3_api_key: credentials.accessKeyId,
      s3_secret: credentials.secretAccessKey,
      s3_custom_endpoint_url: s3.endpoint,
      s3_force_path_style: true,
    },
  });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await s3?.stop();
});

describe('a call in several parts, delivered to a bucket', () => {
  it('delivers and announces every part once, in order, each under its own key', async () => {
    const call = client.call('default', 'long');
    await call.getOrCreate();
    const track = await call.addRtpTrack({
      user_id: 'u',
      session_id: 's',
      track_type: 'audio',
      sdp: OPUS_SDP,
    });
    const { recording } = await call.startRecording('raw', { external_storage: 'parts' });
    const sender = syntheticOpusSender({ host: track.rtp.host, port: track.rtp.port });
    try {
      // Media in every part: keep sending until the third part has begun.
      while ((await client.getRecording(recording.id)).recording.parts.length < 3) {
        await sender.send(10);
        await new Promise((r) => setTimeout(r, 100));
      }
      await sender.send(10);
      await new Promise((r) => setTimeout(r, 100));
      await call.stopRecording('raw');
    } finally {
      sender.close();
    }
    const done = await settledRecording(client, recording.id);
    expect(done.status).toBe('ready');
    const parts = done.parts.map((p) => p.part_number);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(done.parts.every((p) => p.status === 'ready')).toBe(true);

    const { events } = await call.listEvents();
    const ready = events.filter((e) => e.type === 'call.recording_ready');
    expect(ready.map((e) => e.payload['part_number'])).toEqual(parts);
    const uris = ready.map(
      (e) => (e.payload['files'] as { storage_uri: string }[])[0]?.storage_uri,
    );
    expect(uris).toEqual(
      parts.map((n) => `s3://parts/${recording.id}_raw_default_long_part${n}.zip`),
    );

    const admin = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials,
    });
    try {
      for (const n of parts)
        await admin.send(
          new HeadObjectCommand({
            Bucket: 'parts',
            Key: `${recording.id}_raw_default_long_part${n}.zip`,
          }),
        );
    } finally {
      admin.destroy();
    }
  });
});
