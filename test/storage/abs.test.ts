/**
 * The Azure Blob destination against Azurite, Microsoft's own emulator (started per file
 * on a free loopback port, in memory). An admin client of the same SDK is the judge of
 * what was stored.
 */
import fs from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckError } from '../../src/errors.js';
import { createAbsDestination } from '../../src/storage/providers/abs.js';
import type { StorageConfig } from '../../src/storage/types.js';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
  type AzuriteServer,
} from '../helpers/azurite-server.js';
import { makeTempDir, sha256Hex, writeRandomFile } from './gcs-support.js';
import { freeLoopbackPort } from '../helpers/free-port.js';

/** A key of the right shape that is not the account's. */
const WRONG_KEY = Buffer.alloc(64, 7).toString('base64');

let azurite: AzuriteServer;
let admin: ContainerClient;
let dir: string;

function absConfig(container: string, endpointUrl: string): StorageConfig {
  return {
    name: 'abs-test',
    storageType: 'abs',
    bucket: container,
    path: '',
    accessMode: 'read_write',
    prefixes: {},
    abs: { accountName: AZURITE_ACCOUNT, endpointUrl },
  };
}

type Refusal = { readonly status: number; readonly code: string };

/**
 * A loopback proxy in front of Azurite that answers some requests itself with an Azure
 * error (`refuse` decides) and forwards the rest. Shared Key signatures do not cover the
 * host, so forwarded requests still verify. Counts the requests it refused.
 */
async function startFaultProxy(
  target: URL,
  refuse: (method: string) => Refusal | undefined,
): Promise<{ url: string; refused: () => number; close: () => Promise<void> }> {
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const refusal = refuse(req.method ?? 'GET');
    if (refusal) {
      refused++;
      req.resume();
      res.writeHead(refusal.status, {
        'x-ms-error-code': refusal.code,
        'content-type': 'application/xml',
      });
      res.end(
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${refusal.code}</Code><Message>Refused by the test proxy.</Message></Error>`,
      );
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
    refused: () => refused,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

beforeAll(async () => {
  azurite = await startAzurite();
  const service = new BlobServiceClient(
    azurite.blobEndpoint,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  );
  admin = service.getContainerClient('recordings');
  await admin.create();
  dir = await makeTempDir();
});

afterAll(async () => {
  await azurite?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<TapedeckError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckError);
  return error as TapedeckError;
}

async function blobNames(prefix?: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of admin.listBlobsFlat(prefix === undefined ? {} : { prefix }))
    names.push(blob.name);
  return names;
}

describe('createAbsDestination() check', () => {
  it('read_write check reads the container properties', async () => {
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
    });
    await expect(dest.check({ accessMode: 'read_write', prefixes: [] })).resolves.toBeUndefined();
  });

  it('a wrong account key fails with DESTINATION_AUTH_FAILED naming the container, and no key in the message', async () => {
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: WRONG_KEY,
    });
    for (const accessMode of ['read_write', 'write_only'] as const) {
      const error = await rejection(dest.check({ accessMode, prefixes: ['a'] }));
      expect(error.code).toBe('DESTINATION_AUTH_FAILED');
      expect(error.message).toContain('"recordings"');
      expect(error.message).not.toContain(WRONG_KEY);
      expect(error.message).not.toContain(WRONG_KEY.slice(0, 16));
      expect(error.message).not.toContain('\n');
    }
  });

  it('a container that does not exist fails with DESTINATION_NOT_FOUND', async () => {
    const dest = createAbsDestination(absConfig('no-such-container', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
    });
    for (const accessMode of ['read_write', 'write_only'] as const) {
      const error = await rejection(dest.check({ accessMode, prefixes: [''] }));
      expect(error.code).toBe('DESTINATION_NOT_FOUND');
      expect(error.message).toContain('"no-such-container"');
    }
  });

  it('write_only check writes a probe under each prefix and deletes it', async () => {
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
    });
    await dest.check({ accessMode: 'write_only', prefixes: ['wo/audio', 'wo/video/'] });
    expect(await blobNames('wo/')).toEqual([]);
  });

  it('write_only check with credentials that cannot delete leaves one probe per prefix and still passes', async () => {
    // As a role that may write but not delete would answer.
    const proxy = await startFaultProxy(new URL(azurite.blobEndpoint), (method) =>
      method === 'DELETE' ? { status: 403, code: 'AuthorizationPermissionMismatch' } : undefined,
    );
    try {
      const dest = createAbsDestination(absConfig('recordings', proxy.url), {
        accountKey: AZURITE_KEY,
      });
      await dest.check({ accessMode: 'write_only', prefixes: ['probe/audio', 'probe/video/'] });
      const names = await blobNames('probe/');
      expect(names).toHaveLength(2);
      expect(names.some((n) => /^probe\/audio\/\.write_probe_[0-9a-f]{16}$/.test(n))).toBe(true);
      expect(names.some((n) => /^probe\/video\/\.write_probe_[0-9a-f]{16}$/.test(n))).toBe(true);
      expect(proxy.refused()).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('a service that keeps answering 503 ServerBusy fails with DESTINATION_UNAVAILABLE after 3 tries', async () => {
    const proxy = await startFaultProxy(new URL(azurite.blobEndpoint), () => ({
      status: 503,
      code: 'ServerBusy',
    }));
    try {
      const dest = createAbsDestination(absConfig('recordings', proxy.url), {
        accountKey: AZURITE_KEY,
      });
      const error = await rejection(dest.check({ accessMode: 'read_write', prefixes: [] }));
      expect(error.code).toBe('DESTINATION_UNAVAILABLE');
      expect(error.message).toContain('ServerBusy');
      expect(proxy.refused()).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  it('a closed loopback port fails with DESTINATION_UNREACHABLE', async () => {
    const port = await freeLoopbackPort();
    const dest = createAbsDestination(
      absConfig('recordings', `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`),
      { accountKey: AZURITE_KEY },
    );
    const error = await rejection(dest.check({ accessMode: 'read_write', prefixes: [] }));
    expect(error.code).toBe('DESTINATION_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('refuses a config without explicit credentials or with a bad block size', () => {
    const config = absConfig('recordings', azurite.blobEndpoint);
    expect(() => createAbsDestination(config, {})).toThrow(/account key or a token credential/);
    expect(() =>
      createAbsDestination(config, { accountKey: AZURITE_KEY, blockSizeBytes: 0 }),
    ).toThrow(/options\.blockSizeBytes/);
  });
});

describe('createAbsDestination() upload, presign, delete', () => {
  it('uploads a 30 MB file in blocks; the blob reads back equal with its content type and sha256 metadata', async () => {
    const file = path.join(dir, 'call.webm');
    const size = 30 * 1024 * 1024 + 4321;
    const sha256 = await writeRandomFile(file, size);
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
      blockSizeBytes: 4 * 1024 * 1024,
      concurrency: 3,
    });
    const progress: number[] = [];
    const result = await dest.upload({
      key: 'calls/c1/video.webm',
      file,
      sizeBytes: size,
      contentType: 'video/webm',
      sha256,
      onProgress: (n) => progress.push(n),
    });
    expect(result.uri).toBe(`${azurite.blobEndpoint}/recordings/calls/c1/video.webm`);
    expect(result.etag).toBeTruthy();
    const blob = admin.getBlockBlobClient('calls/c1/video.webm');
    const blocks = await blob.getBlockList('committed');
    expect(blocks.committedBlocks?.length).toBe(8);
    const properties = await blob.getProperties();
    expect(properties.contentType).toBe('video/webm');
    expect(properties.metadata?.['sha256']).toBe(sha256);
    expect(sha256Hex(await blob.downloadToBuffer())).toBe(sha256);
    expect(progress.at(-1)).toBe(size);
  });

  it('an upload aborted through its signal fails with ABORTED and commits no blob', async () => {
    const file = path.join(dir, 'abort.bin');
    await writeRandomFile(file, 6 * 1024 * 1024);
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
      blockSizeBytes: 1024 * 1024,
      concurrency: 1,
    });
    const controller = new AbortController();
    const error = await rejection(
      dest.upload({
        key: 'aborted/x.bin',
        file,
        sizeBytes: 6 * 1024 * 1024,
        contentType: 'application/octet-stream',
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(await blobNames('aborted/')).toEqual([]);
  });

  it('upload() of a local file that does not exist fails with INPUT_NOT_FOUND, not a destination code', async () => {
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
    });
    const error = await rejection(
      dest.upload({
        key: 'k',
        file: path.join(dir, 'missing.bin'),
        sizeBytes: 1,
        contentType: 'a/b',
      }),
    );
    expect(error.code).toBe('INPUT_NOT_FOUND');
  });

  it('presign() makes a read SAS URL that plain fetch downloads; a tampered signature is refused', async () => {
    await admin.getBlockBlobClient('share/a b.txt').upload('hello sas', 9);
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
    });
    const before = Math.floor(Date.now() / 1000);
    const signed = await dest.presign('share/a b.txt', 300);
    expect(signed.expiresAt).toBeGreaterThanOrEqual(before + 300);
    const url = new URL(signed.url);
    expect(url.searchParams.get('sp')).toBe('r');
    expect(url.searchParams.get('sr')).toBe('b');
    expect(signed.url).not.toContain(AZURITE_KEY);
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello sas');
    url.searchParams.set('sp', 'rw');
    const tampered = await fetch(url);
    expect(tampered.status).toBe(403);
    await tampered.body?.cancel();
  });

  it('delete() removes the blob and is quiet when it is already gone', async () => {
    await admin.getBlockBlobClient('old/x.bin').upload('x', 1);
    const dest = createAbsDestination(absConfig('recordings', azurite.blobEndpoint), {
      accountKey: AZURITE_KEY,
    });
    await dest.delete('old/x.bin');
    expect(await blobNames('old/')).toEqual([]);
    await dest.delete('old/x.bin');
    await dest.close();
  });

  it('uri() is https://<account>.blob.core.windows.net/<container>/<key> without an endpoint override', () => {
    const config: StorageConfig = { ...absConfig('media', 'unused'), abs: { accountName: 'acme' } };
    const dest = createAbsDestination(config, { accountKey: AZURITE_KEY });
    expect(dest.uri('calls/c1/a.mka')).toBe(
      'https://acme.blob.core.windows.net/media/calls/c1/a.mka',
    );
  });
});
