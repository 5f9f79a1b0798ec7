/**
 * Call-type grants on recording: a user token may start and stop a raw recording only when
 * the call type grants StartRecording / StopRecording to the user's role and the token is
 * valid for the call; the server token can always.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/api/auth/tokens.js';
import { startTestService, type TestService } from '../calls/support.js';

let t: TestService;

const user = (userId: string, callCids?: string[]): Promise<string> =>
  mintUserToken(t.secret, {
    userId,
    ttlSeconds: 600,
    ...(callCids === undefined ? {} : { callCids }),
  });

beforeAll(async () => {
  t = await startTestService();
  for (const [name, grants] of [
    ['ungranted', undefined],
    ['recorders', { user: ['StartRecording', 'StopRecording'] }],
    ['starters', { user: ['StartRecording'] }],
  ] as const) {
    const res = await t.api('PUT', `/v1/call_types/${name}`, {
      settings: { raw_recording: { mode: 'available' } },
      ...(grants === undefined ? {} : { grants }),
    });
    expect(res.status).toBe(200);
    expect((await t.api('POST', `/v1/calls/${name}/c1`, {})).status).toBeLessThan(300);
  }
});

afterAll(async () => {
  await t.stop();
});

describe('recording grants', () => {
  it('a user whose role is granted StartRecording and StopRecording can start and stop', async () => {
    const token = await user('ann', ['recorders:c1']);
    const start = await t.api('POST', '/v1/calls/recorders/c1/recordings/raw/start', {}, token);
    expect(start.status).toBe(201);
    const stop = await t.api('POST', '/v1/calls/recorders/c1/recordings/raw/stop', {}, token);
    expect(stop.status).toBe(200);
  });

  it('without the grant (including the default grants) a user gets 403 FORBIDDEN naming the capability', async () => {
    const token = await user('ann');
    const res = await t.api('POST', '/v1/calls/ungranted/c1/recordings/raw/start', {}, token);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('FORBIDDEN');
    expect(res.json.error.message).toContain('StartRecording');
  });

  it('a user allowed to start but not to stop gets 403 on stop; the server token can stop', async () => {
    const token = await user('ann');
    expect(
      (await t.api('POST', '/v1/calls/starters/c1/recordings/raw/start', {}, token)).status,
    ).toBe(201);
    const stop = await t.api('POST', '/v1/calls/starters/c1/recordings/raw/stop', {}, token);
    expect(stop.status).toBe(403);
    expect(stop.json.error.message).toContain('StopRecording');
    expect((await t.api('POST', '/v1/calls/starters/c1/recordings/raw/stop', {})).status).toBe(200);
  });

  it('a token limited to other calls gets 403 even where the role is granted', async () => {
    const token = await user('ann', ['recorders:other']);
    const res = await t.api('POST', '/v1/calls/recorders/c1/recordings/raw/start', {}, token);
    expect(res.status).toBe(403);
    expect(res.json.error.message).toContain('not valid for call recorders:c1');
  });
});
