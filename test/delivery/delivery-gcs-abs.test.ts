/**
 * Delivery to Azure Blob (Azurite, Microsoft's emulator) and to Google Cloud Storage
 * through the service. No GCS emulator installs offline: a loopback double of the GCS JSON
 * API (test/helpers/gcs-double.ts, which verifies the service account's self-signed tokens
 * and V4 URL signatures) stands in for it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckApiError, TapedeckClient } from '../../packages/client/src/index.js';
import { startTestService, type TestService } from '../calls/support.js';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
  type AzuriteServer,
} from '../helpers/azurite-server.js';
import { GcsDouble } from '../helpers/gcs-double.js';
import { makeServiceAccount, type ServiceAccount } from '../storage/gcs-support.js';
import { recordShortCall } from './support.js';

let azurite: AzuriteServer;
let gcs: GcsDouble;
let account: ServiceAccount;
let svc: TestService;
let client: TapedeckClient;
const CONTAINER = `rec-${randomBytes(4).toString('hex')}`;
const GCS_BUCKET = 'tapedeck-gcs';

async function recordCall(callId: string, storage: string): Promise<string> {
  const id = await recordShortCall(client, callId, { storage, packets: 120 });
  expect((await client.getRecording(id)).recording.status).toBe('ready');
  return id;
}

beforeAll(async () => {
  azurite = await startAzurite();
  const admin = new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  );
  await admin.getContainerClient(CONTAINER).create();
  account = makeServiceAccount();
  gcs = await GcsDouble.start({
    auth: {
      serviceAccount: {
        clientEmail: account.credentials.client_email,
        publicKey: account.publicKey,
      },
    },
    buckets: [GCS_BUCKET],
    signingPublicKey: account.publicKey,
  });
  svc = await startTestService({}, { delivery: { initialDelayMs: 50, pollIntervalMs: 50 } });
  client = new TapedeckClient({ baseUrl: svc.service.url, apiSecret: svc.secret });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await gcs?.close();
  await azurite?.stop();
});

describe('delivery to Azure Blob and GCS', () => {
  it('Azure (Azurite): a wrong account key is refused on save; a recording lands as a block blob and its SAS URL downloads it', async () => {
    const body = {
      name: 'azure',
      storage_type: 'abs' as const,
      bucket: CONTAINER,
      path: 'raw',
      abs_account_name: AZURITE_ACCOUNT,
      abs_account_key: AZURITE_KEY,
      abs_custom_endpoint_url: azurite.blobEndpoint,
    };
    const wrong = await client
      .createExternalStorage({ ...body, abs_account_key: randomBytes(64).toString('base64') })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(wrong).toBeInstanceOf(TapedeckApiError);
    expect([(wrong as TapedeckApiError).status, (wrong as TapedeckApiError).code]).toEqual([
      400,
      'DESTINATION_AUTH_FAILED',
    ]);
    const saved = await client.createExternalStorage(body);
    expect(JSON.stringify(saved)).not.toContain(AZURITE_KEY);

    const id = await recordCall('az-1', 'azure');
    const { files } = await client.getRecordingFiles(id);
    const key = `raw/${id}_raw_default_az-1_part1.zip`;
    expect(files[0]).toMatchObject({ storage_provider: 'abs', storage_name: 'azure' });
    expect(files[0]?.storage_uri).toMatch(
      new RegExp(`/${CONTAINER}/${key.replace(/[.]/g, '\\.')}$`),
    );
    const response = await fetch(files[0]!.url!);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(files[0]?.sha256);
  });

  it('GCS (JSON-API double): a recording is uploaded with the service account, announced as gs://bucket/key, and its V4 signed URL downloads it', async () => {
    await client.createExternalStorage({
      name: 'gcs',
      storage_type: 'gcs',
      bucket: GCS_BUCKET,
      gcs_credentials: JSON.stringify({ type: 'service_account', ...account.credentials }),
      gcs_custom_endpoint_url: gcs.url,
    });
    const view = (await client.getExternalStorage('gcs')).external_storage;
    expect(JSON.stringify(view)).not.toContain('PRIVATE KEY');

    const id = await recordCall('gcs-1', 'gcs');
    const key = `${id}_raw_default_gcs-1_part1.zip`;
    const { files } = await client.getRecordingFiles(id);
    expect(files[0]).toMatchObject({
      storage_provider: 'gcs',
      storage_uri: `gs://${GCS_BUCKET}/${key}`,
    });
    expect(gcs.objects(GCS_BUCKET).has(key)).toBe(true);
    const response = await fetch(files[0]!.url!);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(files[0]?.sha256);
  });
});
