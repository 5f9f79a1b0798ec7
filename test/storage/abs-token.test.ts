/**
 * The Azure Blob destination with a TokenCredential (the client-secret and federated
 * paths), against Azurite over HTTPS with `--oauth basic`: Azurite checks the bearer
 * token's issuer, audience and lifetime (not its signature), and issues user delegation
 * keys, so presign() makes a user delegation SAS that Azurite then verifies.
 *
 * The certificate is self-signed and made per run with openssl; the Azure SDK takes no CA
 * option through this API, so certificate verification is switched off for this file's
 * process only, while it talks to 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAbsDestination } from '../../src/storage/providers/abs.js';
import type { StorageConfig } from '../../src/storage/types.js';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
  type AzuriteServer,
} from '../helpers/azurite-server.js';
import { makeTempDir, rejection, writeRandomFile } from './gcs-support.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** An Entra-shaped access token for Azure Storage (unsigned: Azurite's basic OAuth does not check signatures). */
function entraToken(audience: string, issuer = `https://sts.windows.net/${TENANT}/`): AccessToken {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
    aud: audience,
    iss: issuer,
    nbf: now - 60,
    iat: now - 60,
    exp: now + 3600,
    oid: '00000000-0000-0000-0000-000000000001',
    tid: TENANT,
  })}.c2ln`;
  return { token, expiresOnTimestamp: (now + 3600) * 1000 };
}

function staticCredential(token: AccessToken): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken: (requested: string | string[]) => {
      scopes.push(...(Array.isArray(requested) ? requested : [requested]));
      return Promise.resolve(token);
    },
  };
}

let azurite: AzuriteServer;
let dir: string;
let previousTlsSetting: string | undefined;

function absConfig(container: string): StorageConfig {
  return {
    name: 'abs-token-test',
    storageType: 'abs',
    bucket: container,
    path: '',
    accessMode: 'read_write',
    prefixes: {},
    abs: { accountName: AZURITE_ACCOUNT, endpointUrl: azurite.blobEndpoint },
  };
}

beforeAll(async () => {
  dir = await makeTempDir();
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  previousTlsSetting = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  azurite = await startAzurite({ tls: { certFile, keyFile }, oauth: true });
  const admin = new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  ).getContainerClient('tokens');
  await admin.create();
  await admin.getBlockBlobClient('shared/hello.txt').upload('hello delegation', 16);
});

afterAll(async () => {
  await azurite?.stop();
  if (previousTlsSetting === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previousTlsSetting;
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('createAbsDestination() with a TokenCredential', () => {
  it('check() and upload() authenticate with the bearer token for the storage scope', async () => {
    const credential = staticCredential(entraToken('https://storage.azure.com'));
    const dest = createAbsDestination(absConfig('tokens'), {
      credential,
      blockSizeBytes: 1024 * 1024,
    });
    await dest.check({ accessMode: 'read_write', prefixes: [] });
    await dest.check({ accessMode: 'write_only', prefixes: ['p'] });
    const file = path.join(dir, 'tok.bin');
    const sha256 = await writeRandomFile(file, 3 * 1024 * 1024 + 1);
    await dest.upload({
      key: 'tok/one.bin',
      file,
      sizeBytes: 3 * 1024 * 1024 + 1,
      contentType: 'audio/ogg',
      sha256,
    });
    expect(credential.scopes.every((s) => s === 'https://storage.azure.com/.default')).toBe(true);
    expect(credential.scopes.length).toBeGreaterThan(0);
  });

  it('presign() makes a user delegation SAS (skoid, sktid) that fetch downloads', async () => {
    const credential = staticCredential(entraToken('https://storage.azure.com'));
    const dest = createAbsDestination(absConfig('tokens'), { credential });
    const signed = await dest.presign('shared/hello.txt', 600);
    const url = new URL(signed.url);
    expect(url.searchParams.get('skoid')).toBe('00000000-0000-0000-0000-000000000001');
    expect(url.searchParams.get('sktid')).toBe(TENANT);
    expect(url.searchParams.get('sp')).toBe('r');
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello delegation');
    url.searchParams.set('skoid', '00000000-0000-0000-0000-000000000002');
    const tampered = await fetch(url);
    expect(tampered.status).toBe(403);
    await tampered.body?.cancel();
  });

  it('a token from an issuer Azure does not trust fails with DESTINATION_AUTH_FAILED', async () => {
    const credential = staticCredential(
      entraToken('https://storage.azure.com', 'https://evil.example/'),
    );
    const dest = createAbsDestination(absConfig('tokens'), { credential });
    const error = await rejection(dest.check({ accessMode: 'read_write', prefixes: [] }));
    expect(error.code).toBe('DESTINATION_AUTH_FAILED');
    expect(error.message).toContain('"tokens"');
  });
});
