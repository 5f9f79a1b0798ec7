/**
 * The GCS JSON-API double itself (test/helpers/gcs-double.ts), checked with plain fetch
 * against the documented wire format, so the provider tests that lean on it stand on
 * something verified. No GCS emulator installs offline; this double stands in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64, md5Base64 } from '../helpers/gcs-double-support.js';
import { GcsDouble } from '../helpers/gcs-double.js';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const TOKEN = 'double-token';
let double: GcsDouble;

beforeAll(async () => {
  double = await GcsDouble.start({ auth: { token: TOKEN }, buckets: ['b1'] });
});

afterAll(async () => {
  await double.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('GcsDouble', () => {
  it('computes CRC32C as GCS reports it: "123456789" is 0xE3069283, base64 4waSgw==', () => {
    expect(crc32cBase64(Buffer.from('123456789'))).toBe('4waSgw==');
    expect(md5Base64(Buffer.from(''))).toBe('1B2M2Y8AsgTpgAmY7PhCfg==');
  });

  it('a simple (uploadType=media) upload returns the object resource and alt=media returns the bytes', async () => {
    const body = Buffer.from('123456789');
    const res = await fetch(
      `${double.url}/upload/storage/v1/b/b1/o?uploadType=media&name=dir%2Fa.txt`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain' },
        body,
      },
    );
    expect(res.status).toBe(200);
    const resource = (await res.json()) as Record<string, unknown>;
    expect(resource).toMatchObject({
      kind: 'storage#object',
      bucket: 'b1',
      name: 'dir/a.txt',
      size: '9',
      contentType: 'text/plain',
      crc32c: '4waSgw==',
    });
    const media = await fetch(`${double.url}/storage/v1/b/b1/o/dir%2Fa.txt?alt=media`, {
      headers: auth,
    });
    expect(Buffer.from(await media.arrayBuffer())).toEqual(body);
  });

  it('answers 401 without the expected bearer token, recording the request', async () => {
    const res = await fetch(`${double.url}/storage/v1/b/b1`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(401);
    expect(double.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/storage/v1/b/b1',
      status: 401,
    });
  });

  it('answers an unknown bucket with 404 in the JSON API error format', async () => {
    const res = await fetch(`${double.url}/storage/v1/b/nope`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        code: 404,
        message: 'The specified bucket does not exist.',
        errors: [
          { message: 'The specified bucket does not exist.', domain: 'global', reason: 'notFound' },
        ],
      },
    });
  });

  it('rejects a resumable final chunk whose X-Goog-Hash does not match the bytes', async () => {
    const start = await fetch(
      `${double.url}/upload/storage/v1/b/b1/o?uploadType=resumable&name=h.bin`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
      },
    );
    const session = start.headers.get('location')!;
    const res = await fetch(session, {
      method: 'PUT',
      headers: {
        'content-range': 'bytes 0-2/3',
        'x-goog-hash': `crc32c=${crc32cBase64(Buffer.from('xyz'))}`,
      },
      body: Buffer.from('abc'),
    });
    expect(res.status).toBe(400);
    expect(double.objects('b1').has('h.bin')).toBe(false);
  });
});
