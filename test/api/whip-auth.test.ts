/**
 * WHIP publishing permissions and request errors on a real service (startService): who
 * may POST /whip/{type}/{id}, with which body, and the errors' status and shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/api/auth/tokens.js';
import { startTestService, type TestService } from '../calls/support.js';

let t: TestService;

/** A syntactically SDP-looking body that no WHIP session can use (no media). */
const NO_MEDIA_OFFER = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', ''].join('\r\n');

async function whipPost(
  url: string,
  token: string | null,
  body = NO_MEDIA_OFFER,
  contentType = 'application/sdp',
): Promise<{ status: number; json: { error?: { code: string; message: string } } }> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(`${t.service.url}${url}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as object) };
}

const user = (userId: string, callCids?: string[]): Promise<string> =>
  mintUserToken(t.secret, {
    userId,
    ttlSeconds: 600,
    ...(callCids === undefined ? {} : { callCids }),
  });

beforeAll(async () => {
  t = await startTestService();
  for (const [name, grants] of [
    ['open', undefined],
    ['granted', { user: ['PublishMedia'] }],
    ['admins', { admin: ['PublishMedia'], user: ['StartRecording'] }],
  ] as const) {
    const res = await t.api('PUT', `/v1/call_types/${name}`, {
      settings: { raw_recording: { mode: 'available' } },
      ...(grants === undefined ? {} : { grants }),
    });
    expect(res.status).toBe(200);
    expect((await t.api('POST', `/v1/calls/${name}/c1`, {})).status).toBe(201);
  }
});

afterAll(async () => {
  await t?.stop();
});

describe('POST /whip/{type}/{id} authentication and permissions', () => {
  it('answers 401 UNAUTHENTICATED without a token, and with a token signed by another secret', async () => {
    const none = await whipPost('/whip/open/c1', null);
    expect(none.status).toBe(401);
    expect(none.json.error?.code).toBe('UNAUTHENTICATED');
    const forged = await mintUserToken('another-secret', { userId: 'alice', ttlSeconds: 600 });
    expect((await whipPost('/whip/open/c1', forged)).status).toBe(401);
  });

  it('answers 403 FORBIDDEN when a user publishes as another user_id', async () => {
    const res = await whipPost('/whip/open/c1?user_id=bob', await user('alice'));
    expect(res.status).toBe(403);
    expect(res.json.error?.code).toBe('FORBIDDEN');
  });

  it('answers 403 FORBIDDEN for a call outside the token call_cids', async () => {
    const res = await whipPost('/whip/open/c1', await user('alice', ['open:other']));
    expect(res.status).toBe(403);
    expect(res.json.error?.code).toBe('FORBIDDEN');
  });

  it('answers 403 FORBIDDEN when the call type grants PublishMedia to another role only', async () => {
    const res = await whipPost('/whip/admins/c1', await user('alice'));
    expect(res.status).toBe(403);
    expect(res.json.error?.message).toMatch(/PublishMedia/);
  });

  it('lets a permitted user through to the offer: no grants configured, or PublishMedia granted, or own user_id and call_cids', async () => {
    // The offer has no media, so passing every check ends in 400 (not 401/403).
    for (const [url, token] of [
      ['/whip/open/c1', await user('alice')],
      ['/whip/granted/c1?user_id=alice', await user('alice', ['granted:c1'])],
      ['/whip/granted/c1?user_id=carol', t.serverToken],
    ] as const) {
      const res = await whipPost(url, token);
      expect(res.status, url).toBe(400);
      expect(res.json.error?.code, url).toBe('INVALID_ARGUMENT');
    }
  });

  it('answers 400 when the server token names no user_id, 404 for an unknown call', async () => {
    expect((await whipPost('/whip/open/c1', t.serverToken)).status).toBe(400);
    expect((await whipPost('/whip/open/nope', await user('alice'))).status).toBe(404);
  });
});

describe('POST /whip/{type}/{id} request errors', () => {
  it('answers 415 for a body that is not application/sdp (text/plain, JSON, none)', async () => {
    const token = await user('alice');
    for (const contentType of ['text/plain', 'application/json', 'application/octet-stream']) {
      const res = await whipPost('/whip/open/c1', token, NO_MEDIA_OFFER, contentType);
      expect(res.status, contentType).toBe(415);
      expect(res.json.error?.message, contentType).toMatch(/application\/sdp/);
    }
  });

  it('answers 400 for an offer that is not SDP, and for an unknown track_type', async () => {
    const token = await user('alice');
    const garbage = await whipPost('/whip/open/c1', token, 'hello');
    expect(garbage.status).toBe(400);
    expect(garbage.json.error?.code).toBe('INVALID_ARGUMENT');
    expect((await whipPost('/whip/open/c1?track_type=webcam', token)).status).toBe(400);
  });

  it('answers 404 to DELETE of an unknown WHIP session', async () => {
    const res = await fetch(`${t.service.url}/whip/open/c1/no-such-session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await user('alice')}` },
    });
    expect(res.status).toBe(404);
  });
});
