/**
 * Durable delivery through an outage: the S3 server (s3rver) is stopped while recordings
 * are delivered and started again later (backoff compressed to fit test time); tapedeck
 * itself is restarted mid-delivery. Nothing is lost, each part is announced ready once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckClient } from '../../packages/client/src/index.js';
import { startService, type RunningService } from '../../src/api/start-service.js';
import type { DeliveryAttemptReport } from '../../src/delivery/delivery-worker.js';

import { startS3rverWithLog, type RunningS3rver } from '../helpers/s3rver-server.js';
import { recordShortCall } from './support.js';
import { testSecret, registerSecret } from '../helpers/test-secrets.js';
import { freeLoopbackPort } from '../helpers/free-port.js';

const BUCKET = 'outage';
const credentials = {
  accessKeyId: `AK${randomBytes(8).toString('hex')}`,
  secretAccessKey: testSecret(),
};
let port: number;
let s3Dir: string;
let dataDir: string;
let s3: RunningS3rver | undefined;
const secret = registerSecret(randomBytes(32).toString('base64url'));
const attempts: DeliveryAttemptReport[] = [];

async function startS3(): Promise<void> {
  s3 = await startS3rverWithLog([BUCKET], credentials, { port, directory: s3Dir });
}

async function startTapedeck(): Promise<{ service: RunningService; client: TapedeckClient }> {
  const service = await startService({
    env: {
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_RTP_HOST: '127.0.0.1',
      TAPEDECK_LOG_LEVEL: 'silent',
      TAPEDECK_DELIVERY_MAX_BACKOFF_SECONDS: '1',
    },
    delivery: { initialDelayMs: 100, pollIntervalMs: 50, onAttempt: (r) => attempts.push(r) },
  });
  return { service, client: new TapedeckClient({ baseUrl: service.url, apiSecret: secret }) };
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(client: TapedeckClient, id: string): Promise<string> {
  return (await client.getRecording(id)).recording.status;
}

async function objectExists(key: string): Promise<boolean> {
  const admin = new S3Client({
    region: 'us-east-1',
    endpoint: s3!.endpoint,
    forcePathStyle: true,
    credentials,
  });
  try {
    const out = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return (await out.Body!.transformToByteArray()).length > 0;
  } finally {
    admin.destroy();
  }
}

beforeAll(async () => {
  port = await freeLoopbackPort();
  s3Dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  await startS3();
});

afterAll(async () => {
  await s3?.stop();
  await rm(s3Dir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('delivery through an outage', () => {
  it('the S3 server goes away before delivery and comes back: the recording is retried with backoff, then delivered and announced once', async () => {
    const { service, client } = await startTapedeck();
    try {
      await client.updateCallType('default', {
        settings: { raw_recording: { mode: 'available' } },
      });
      await client.createExternalStorage({
        name: 'outage-s3',
        storage_type: 's3',
        bucket: BUCKET,
        aws_s3: {
          s3_region: 'us-east-1',
          s3_api_key: credentials.accessKeyId,
          s3_secret: credentials.secretAccessKey,
          s3_custom_endpoint_url: `http://127.0.0.1:${port}`,
          s3_force_path_style: true,
        },
      });
      await s3!.stop();
      s3 = undefined;
      const id = await recordShortCall(client, 'outage-1', { storage: 'outage-s3', noWait: true });
      await until(
        'three failed attempts',
        () => attempts.filter((a) => a.recordingId === id && a.outcome === 'retry').length >= 3,
      );
      expect(attempts.find((a) => a.recordingId === id)?.detail).toMatch(
        /^DESTINATION_UNREACHABLE: /,
      );
      expect(await status(client, id)).toBe('delivering');

      await startS3();
      await until('delivery', async () => (await status(client, id)) === 'ready');
      expect(await objectExists(`${id}_raw_default_outage-1_part1.zip`)).toBe(true);
      const ready = (await client.call('default', 'outage-1').listEvents()).events.filter(
        (e) => e.type === 'call.recording_ready',
      );
      expect(ready).toHaveLength(1);
    } finally {
      await service.server.close();
    }
  }, 90_000);

  it('tapedeck restarts while a delivery is pending: the new process resumes it from the durable queue', async () => {
    const first = await startTapedeck();
    await s3!.stop();
    s3 = undefined;
    let id: string;
    try {
      id = await recordShortCall(first.client, 'outage-2', { storage: 'outage-s3', noWait: true });
      await until('a failed attempt', () =>
        attempts.some((a) => a.recordingId === id && a.outcome === 'retry'),
      );
    } finally {
      await first.service.server.close();
    }
    await startS3();
    const second = await startTapedeck();
    try {
      await until(
        'delivery after restart',
        async () => (await status(second.client, id)) === 'ready',
      );
      expect(await objectExists(`${id}_raw_default_outage-2_part1.zip`)).toBe(true);
      const ready = (await second.client.call('default', 'outage-2').listEvents()).events.filter(
        (e) => e.type === 'call.recording_ready',
      );
      expect(ready).toHaveLength(1);
      expect(
        attempts.filter((a) => a.recordingId === id && a.outcome === 'delivered'),
      ).toHaveLength(1);
    } finally {
      await second.service.server.close();
    }
  }, 90_000);
});
