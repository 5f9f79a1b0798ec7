/**
 * Bring-your-own storage end to end against OpenStack Swift's S3 API (a real object store
 * that verifies signatures): configurations validated live, recordings delivered under the
 * configured key layout, presigned fetch, write_only → 403 → read_write, copy failure and
 * retry, and no secret in any response body or log line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckApiError, TapedeckClient } from '../../packages/client/src/index.js';
import { createSecretBox } from '../../src/storage/secret-box.js';
import { startSwift, type RunningSwift } from '../helpers/swift-server.js';
import { startTestService, type TestService } from '../calls/support.js';
import { recordShortCall, settledRecording } from './support.js';
import { testSecret } from '../helpers/test-secrets.js';

let swift: RunningSwift;
let admin: S3Client;
let svc: TestService;
let client: TapedeckClient;
const logLines: string[] = [];
const bodies: string[] = [];
const BUCKET = `rec-${randomBytes(4).toString('hex')}`;

function s3Body(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    storage_type: 's3',
    bucket: BUCKET,
    aws_s3: {
      s3_region: 'us-east-1',
      s3_api_key: swift.accessKeyId,
      s3_secret: swift.secretAccessKey,
      s3_custom_endpoint_url: swift.endpoint,
      s3_force_path_style: true,
    },
    ...extra,
  };
}

async function apiError(promise: Promise<unknown>): Promise<TapedeckApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckApiError);
  return error as TapedeckApiError;
}

async function objectBytes(key: string): Promise<Buffer> {
  const out = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

beforeAll(async () => {
  swift = await startSwift();
  admin = new S3Client({
    region: 'us-east-1',
    endpoint: swift.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: swift.accessKeyId, secretAccessKey: swift.secretAccessKey },
  });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  svc = await startTestService(
    { TAPEDECK_LOG_LEVEL: 'info' },
    { logStream, delivery: { initialDelayMs: 50, pollIntervalMs: 50 } },
  );
  // Every response body the SDK sees is kept for the no-secrets check.
  const recordingFetch = async (input: string, init: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    bodies.push(text);
    return response;
  };
  client = new TapedeckClient({
    baseUrl: svc.service.url,
    apiSecret: svc.secret,
    fetch: recordingFetch,
  });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  admin?.destroy();
  await swift?.stop();
});

describe('external storage on Swift (S3 API)', () => {
  it('saving checks the bucket live: a wrong secret is 400 DESTINATION_AUTH_FAILED, a missing bucket 400 DESTINATION_NOT_FOUND, and nothing is saved', async () => {
    const wrongSecret = testSecret();
    const bad = s3Body({ name: 'bad-secret' });
    (bad['aws_s3'] as Record<string, unknown>)['s3_secret'] = wrongSecret;
    const auth = await apiError(client.createExternalStorage(bad));
    expect([auth.status, auth.code]).toEqual([400, 'DESTINATION_AUTH_FAILED']);
    expect(auth.message).not.toContain(wrongSecret);

    const missing = await apiError(
      client.createExternalStorage(s3Body({ name: 'no-bucket', bucket: 'does-not-exist-here' })),
    );
    expect([missing.status, missing.code]).toEqual([400, 'DESTINATION_NOT_FOUND']);

    const names = (await client.listExternalStorage()).external_storage.map((s) => s.name);
    expect(names).toEqual(['tapedeck-managed']);
  });

  it('a saved configuration never shows its credentials, and is encrypted at rest', async () => {
    const { external_storage: view } = await client.createExternalStorage(
      s3Body({ name: 'swift-rw', path: 'calls/raw' }),
    );
    expect(view).toMatchObject({
      name: 'swift-rw',
      storage_type: 's3',
      bucket: BUCKET,
      path: 'calls/raw',
      access_mode: 'read_write',
    });
    expect(JSON.stringify(view)).not.toContain(swift.secretAccessKey);
    const dbFile = await readFile(`${svc.dataDir}/tapedeck.db`);
    expect(dbFile.includes(Buffer.from(`"${swift.secretAccessKey}"`))).toBe(false);
    expect((await client.checkExternalStorage('swift-rw')).ok).toBe(true);
  });

  it('a recording is delivered to {path}/{recording_id}_{file}, announced with its storage_uri, fetched through a presigned URL, and its local copy removed', async () => {
    const id = await recordShortCall(client, 'deliver-1', { storage: 'swift-rw', noWait: true });
    const recording = await settledRecording(client, id);
    expect(recording.status).toBe('ready');
    const [file] = recording.files;
    const key = `calls/raw/${id}_raw_default_deliver-1_part1.zip`;
    expect(file).toMatchObject({
      storage_name: 'swift-rw',
      storage_provider: 's3',
      storage_uri: `s3://${BUCKET}/${key}`,
      category: 'audio',
    });
    const stored = await objectBytes(key);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(file?.sha256);
    const { files } = await client.getRecordingFiles(id);
    const fetched = Buffer.from(await (await fetch(files[0]!.url!)).arrayBuffer());
    expect(fetched.equals(stored)).toBe(true);
    const events = (await client.call('default', 'deliver-1').listEvents()).events;
    const ready = events.filter((e) => e.type === 'call.recording_ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]?.payload).toMatchObject({
      storage_name: 'swift-rw',
      storage_provider: 's3',
      part_number: 1,
    });
    expect((ready[0]?.payload['files'] as { storage_uri: string }[])[0]?.storage_uri).toBe(
      `s3://${BUCKET}/${key}`,
    );
    const local = await readFile(
      `${svc.dataDir}/recordings/${id}/raw_default_deliver-1_part1.zip`,
    ).catch(() => undefined);
    expect(local).toBeUndefined();
  });

  it('write_only storage proves write access with probe objects, answers 403 with the location, and read_write later makes it fetchable at once', async () => {
    await client.createExternalStorage(
      s3Body({
        name: 'swift-wo',
        access_mode: 'write_only',
        prefixes: { audio: 'wo-audio', video: 'wo-video' },
      }),
    );
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'wo-' }));
    expect((listed.Contents ?? []).length).toBe(0); // the probes were deleted after writing
    expect(swift.proxyLog.some((l) => /PUT \/[^ ]*wo-audio\/\.write_probe_/.test(l))).toBe(true);
    expect(swift.proxyLog.some((l) => /PUT \/[^ ]*wo-video\/\.write_probe_/.test(l))).toBe(true);

    const id = await recordShortCall(client, 'deliver-wo', { storage: 'swift-wo', noWait: true });
    const recording = await settledRecording(client, id);
    expect(recording.status).toBe('ready');
    expect(recording.files[0]?.url).toBeUndefined();
    const denied = await apiError(client.getRecordingFiles(id));
    expect([denied.status, denied.code, denied.details['access_mode']]).toEqual([
      403,
      'FORBIDDEN',
      'write_only',
    ]);
    const key = `wo-audio/${id}_raw_default_deliver-wo_part1.zip`;
    expect(denied.details['files']).toEqual([
      expect.objectContaining({ storage_uri: `s3://${BUCKET}/${key}` }),
    ]);

    await client.updateExternalStorage('swift-wo', { access_mode: 'read_write' });
    const { files } = await client.getRecordingFiles(id);
    const fetched = Buffer.from(await (await fetch(files[0]!.url!)).arrayBuffer());
    expect(fetched.equals(await objectBytes(key))).toBe(true);
  });

  it('key templates place files as configured; a bad template is refused with the reason', async () => {
    const bad = await apiError(
      client.createExternalStorage(
        s3Body({ name: 'bad-tpl', key_template: '{call_type}/../{file}' }),
      ),
    );
    expect([bad.status, bad.code]).toEqual([400, 'STORAGE_CONFIG_INVALID']);
    expect(bad.message).toMatch(/key_template/);
    await client.createExternalStorage(
      s3Body({
        name: 'swift-tpl',
        key_template: 'tpl/{call_type}/{call_id}/{recording_id}/{category}/{part}-{file}',
      }),
    );
    // The call type's storage is used when the start names none.
    await client.updateCallType('tpl', {
      settings: { raw_recording: { mode: 'available' } },
      external_storage: 'swift-tpl',
    });
    const startedId = await recordShortCall(client, 'c-1', { callType: 'tpl', packets: 100 });
    const recording = await settledRecording(client, startedId);
    expect(recording.files[0]?.storage_uri).toBe(
      `s3://${BUCKET}/tpl/tpl/c-1/${startedId}/audio/1-raw_tpl_c-1_part1.zip`,
    );
    const unknown = await apiError(
      client.call('tpl', 'c-1').startRecording('raw', { external_storage: 'nope' }),
    );
    expect([unknown.status, unknown.code]).toEqual([400, 'INVALID_ARGUMENT']);
  });

  it('credentials revoked after the start: delivery fails with DESTINATION_AUTH_FAILED (not retried), the archive is kept, and retry_delivery delivers it once they work again', async () => {
    // Revocation is simulated on the recording's pin, before the stop hands the archive to
    // delivery: its sealed credentials are replaced by a wrong secret (Swift's tempauth
    // users cannot be revoked while it runs).
    const box = createSecretBox(svc.secret);
    const { openDatabase } = await import('../../src/db/index.js');
    const store = openDatabase({ path: `${svc.dataDir}/tapedeck.db` });
    let good = '';
    const setSealed = async (
      recordingId: string,
      sealed: (name: string) => string,
    ): Promise<void> => {
      const row = await store.db
        .selectFrom('recordings')
        .select('storage_snapshot')
        .where('id', '=', recordingId)
        .executeTakeFirstOrThrow();
      const pin = JSON.parse(row.storage_snapshot!) as { name: string; secretsSealed: string };
      good ||= pin.secretsSealed;
      pin.secretsSealed = sealed(pin.name);
      await store.db
        .updateTable('recordings')
        .set({ storage_snapshot: JSON.stringify(pin) })
        .where('id', '=', recordingId)
        .execute();
    };
    const id = await recordShortCall(client, 'revoked', {
      storage: 'swift-rw',
      noWait: true,
      beforeStop: (recordingId) =>
        setSealed(recordingId, (name) =>
          box.seal(
            JSON.stringify({
              s3AccessKeyId: swift.accessKeyId,
              s3SecretAccessKey: 'revoked-secret',
            }),
            name,
          ),
        ),
    });
    const failed = await settledRecording(client, id);
    expect(failed.status).toBe('copy_failed');
    expect(failed.error?.code).toBe('DESTINATION_AUTH_FAILED');
    const events = (await client.call('default', 'revoked').listEvents()).events;
    const copyFailed = events.filter((e) => e.type === 'call.recording_copy_failed');
    expect(copyFailed).toHaveLength(1);
    expect(copyFailed[0]?.payload).toMatchObject({
      error_code: 'DESTINATION_AUTH_FAILED',
      storage_name: 'swift-rw',
    });
    expect(events.some((e) => e.type === 'call.recording_ready')).toBe(false);
    const kept = await readFile(`${svc.dataDir}/recordings/${id}/raw_default_revoked_part1.zip`);
    expect(kept.length).toBeGreaterThan(0);

    await setSealed(id, () => good);
    await store.close();
    await client.retryDelivery(id);
    const delivered = await settledRecording(client, id);
    expect(delivered.status).toBe('ready');
    expect(
      createHash('sha256')
        .update(await objectBytes(`calls/raw/${id}_raw_default_revoked_part1.zip`))
        .digest('hex'),
    ).toBe(createHash('sha256').update(kept).digest('hex'));
    const after = (await client.call('default', 'revoked').listEvents()).events;
    expect(after.filter((e) => e.type === 'call.recording_ready')).toHaveLength(1);
  });

  it('deleting a configuration forgets it but never the files: the recording stays fetchable through its pin', async () => {
    const id = await recordShortCall(client, 'forget', { storage: 'swift-rw', noWait: true });
    expect((await settledRecording(client, id)).status).toBe('ready');
    await client.deleteExternalStorage('swift-rw');
    const { files } = await client.getRecordingFiles(id);
    expect((await fetch(files[0]!.url!)).status).toBe(200);
    const missing = await apiError(client.getExternalStorage('swift-rw'));
    expect(missing.status).toBe(404);
  });

  it('a bucket removed after saving fails the delivery as DESTINATION_NOT_FOUND', async () => {
    const other = `gone-${randomBytes(4).toString('hex')}`;
    await admin.send(new CreateBucketCommand({ Bucket: other }));
    await client.createExternalStorage(s3Body({ name: 'swift-gone', bucket: other }));
    const id = await recordShortCall(client, 'gone', {
      storage: 'swift-gone',
      packets: 100,
      beforeStop: () =>
        admin.send(new DeleteBucketCommand({ Bucket: other })).then(() => undefined),
    });
    const failed = await settledRecording(client, id);
    expect([failed.status, failed.error?.code]).toEqual(['copy_failed', 'DESTINATION_NOT_FOUND']);
  });

  it('no response body and no log line of this file contains a configured secret', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const text of [...bodies, ...logLines]) {
      expect(text).not.toContain(swift.secretAccessKey);
      expect(text).not.toContain(svc.secret);
    }
    expect(logLines.some((l) => l.includes('recording delivered'))).toBe(true);
    expect(logLines.some((l) => l.includes('DESTINATION_AUTH_FAILED'))).toBe(true);
  });
});
