import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openArchiveInput, type OpenArchiveOptions } from '../../src/archive/reader/open-input.js';
import { expectTapedeckError, readTree, sandbox, tarGzBuffer, zipBuffer, type Sandbox } from './reader-helpers.js';

type Served = { body: Buffer; etag?: boolean; lastModified?: string; status?: number; truncate?: boolean; chunked?: boolean };

/** A loopback HTTP server standing in for a presigned-URL endpoint, with ETag support. */
const objects = new Map<string, Served>();
const log: string[] = [];
let server: Server;
let origin: string;
let box: Sandbox;
let cacheDir: string;

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const served = objects.get(url.pathname);
    const reply = (status: number): void => {
      log.push(`${status} ${url.pathname}`);
      response.statusCode = status;
    };
    if (served === undefined) {
      reply(404);
      response.end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    if (served.status !== undefined) {
      reply(served.status);
      response.end('boom');
      return;
    }
    const etag = served.etag === false ? undefined : etagOf(served.body);
    if (etag !== undefined) response.setHeader('ETag', etag);
    if (served.lastModified !== undefined) response.setHeader('Last-Modified', served.lastModified);
    if ((etag !== undefined && request.headers['if-none-match'] === etag) || (etag === undefined && served.lastModified !== undefined && request.headers['if-modified-since'] === served.lastModified)) {
      reply(304);
      response.end();
      return;
    }
    reply(200);
    if (served.truncate === true) {
      response.setHeader('Content-Length', served.body.byteLength);
      response.write(served.body.subarray(0, served.body.byteLength >> 1), () => response.destroy());
      return;
    }
    if (served.chunked !== true) response.setHeader('Content-Length', served.body.byteLength);
    response.end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  box = await sandbox();
  cacheDir = path.join(box.base, 'cache');
  objects.clear();
  log.length = 0;
  return () => box.remove();
});

const CONTENT = [{ name: 'u1/s1/audio_1.sdp', data: 'v=0\r\n' }];
const CHANGED = [{ name: 'u1/s1/audio_1.sdp', data: 'v=0\r\ns=changed\r\n' }];

function options(extra: Partial<OpenArchiveOptions> = {}): OpenArchiveOptions {
  return { workDir: box.work, cacheDir, ...extra };
}

async function open(url: string, extra: Partial<OpenArchiveOptions> = {}): Promise<Map<string, Buffer>> {
  const opened = await openArchiveInput({ remote: url }, options(extra));
  try {
    return await readTree(opened.root);
  } finally {
    await opened.cleanup();
  }
}

function tree(specs: readonly { name: string; data: string }[]): Map<string, Buffer> {
  return new Map(specs.map((s) => [s.name, Buffer.from(s.data)]));
}

describe('openArchiveInput({ remote: "http(s)://…" })', () => {
  it('downloads once; a later open with another signature revalidates with If-None-Match (304) and uses the cache', async () => {
    objects.set('/bucket/call.zip', { body: await zipBuffer(CONTENT) });
    expect(await open(`${origin}/bucket/call.zip?X-Amz-Signature=aaaa&X-Amz-Expires=60`)).toEqual(tree(CONTENT));
    expect(await open(`${origin}/bucket/call.zip?X-Amz-Signature=bbbb&X-Amz-Expires=60`)).toEqual(tree(CONTENT));
    expect(log).toEqual(['200 /bucket/call.zip', '304 /bucket/call.zip']);
    expect((await readdir(cacheDir)).length).toBe(2);
  });

  it('downloads again when the ETag changed', async () => {
    objects.set('/call.tgz', { body: await tarGzBuffer(CONTENT) });
    expect(await open(`${origin}/call.tgz`)).toEqual(tree(CONTENT));
    objects.set('/call.tgz', { body: await tarGzBuffer(CHANGED) });
    expect(await open(`${origin}/call.tgz`)).toEqual(tree(CHANGED));
    expect(log).toEqual(['200 /call.tgz', '200 /call.tgz']);
  });

  it('revalidates with If-Modified-Since when the server sends no ETag', async () => {
    objects.set('/call.zip', { body: await zipBuffer(CONTENT), etag: false, lastModified: 'Tue, 01 Jul 2025 10:00:00 GMT' });
    await open(`${origin}/call.zip`);
    await open(`${origin}/call.zip`);
    expect(log).toEqual(['200 /call.zip', '304 /call.zip']);
  });

  it('a 404 is INPUT_NOT_FOUND, and the message leaves the query string (the signature) out', async () => {
    const e = await expectTapedeckError(
      openArchiveInput({ remote: `${origin}/missing.zip?X-Amz-Signature=secret` }, options()),
      'INPUT_NOT_FOUND',
      `${origin}/missing.zip: not found (HTTP 404)`,
    );
    expect(e.message).not.toContain('secret');
  });

  it('a 500 is REMOTE_FETCH_FAILED', async () => {
    objects.set('/call.zip', { body: Buffer.alloc(0), status: 500 });
    await expectTapedeckError(
      openArchiveInput({ remote: `${origin}/call.zip` }, options()),
      'REMOTE_FETCH_FAILED',
      `${origin}/call.zip: download failed (HTTP 500 Internal Server Error)`,
    );
  });

  it('a body cut short is REMOTE_FETCH_FAILED and leaves nothing in the cache or workDir', async () => {
    objects.set('/call.zip', { body: Buffer.alloc(256 * 1024, 1), truncate: true });
    await expectTapedeckError(openArchiveInput({ remote: `${origin}/call.zip` }, options()), 'REMOTE_FETCH_FAILED', /^http:\/\/127\.0\.0\.1:\d+\/call\.zip: download failed \(/);
    expect(await readdir(cacheDir)).toEqual([]);
    expect(await readdir(box.work)).toEqual([]);
  });

  it('a refused connection is REMOTE_FETCH_FAILED', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expectTapedeckError(
      openArchiveInput({ remote: `http://127.0.0.1:${port}/a.zip` }, options()),
      'REMOTE_FETCH_FAILED',
      `http://127.0.0.1:${port}/a.zip: download failed (ECONNREFUSED connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  it('a download larger than any archive within the limits could be is ARCHIVE_LIMIT, with or without Content-Length', async () => {
    const limits = { maxTotalBytes: 0, maxEntries: 1 }; // cap: 0 + 1 × 4 KiB + 1 MiB
    const cap = 4096 + 1024 * 1024;
    objects.set('/sized.zip', { body: Buffer.alloc(2 * 1024 * 1024) });
    objects.set('/chunked.zip', { body: Buffer.alloc(2 * 1024 * 1024), chunked: true });
    for (const name of ['sized.zip', 'chunked.zip']) {
      await expectTapedeckError(
        openArchiveInput({ remote: `${origin}/${name}` }, options({ limits })),
        'ARCHIVE_LIMIT',
        `${origin}/${name}: download is larger than the limit of ${cap} bytes`,
      );
    }
    expect(await readdir(cacheDir).catch(() => [])).toEqual([]);
  });
});
