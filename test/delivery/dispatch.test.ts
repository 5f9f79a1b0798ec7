import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/api/auth/tokens.js';
import type { WebhookAttemptReport } from '../../src/delivery/webhook-dispatcher.js';
import {
  apiSecret,
  freePort,
  startReceiver,
  startSvc,
  waitFor,
  type EventBody,
  type Receiver,
  type Svc,
} from './dispatch-support.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function expectStandardHeaders(d: {
  headers: Record<string, unknown>;
  id: string;
  event: EventBody;
}): void {
  expect(d.headers['webhook-id']).toBe(d.event.id);
  expect(d.headers['webhook-timestamp']).toMatch(/^\d+$/);
  expect(d.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
}

async function listEvents(svc: Svc, cid: string): Promise<EventBody[]> {
  const [type = '', id = ''] = cid.split(':');
  return (await svc.api('GET', `/v1/calls/${type}/${id}/events`)).json.events as EventBody[];
}

async function recordOnce(svc: Svc, type: string, id: string): Promise<EventBody[]> {
  expect(
    (
      await svc.api('PUT', `/v1/call_types/${type}`, {
        settings: { raw_recording: { mode: 'available' } },
      })
    ).status,
  ).toBe(200);
  expect((await svc.api('POST', `/v1/calls/${type}/${id}`, {})).status).toBe(201);
  expect((await svc.api('POST', `/v1/calls/${type}/${id}/recordings/raw/start`)).status).toBe(201);
  expect((await svc.api('POST', `/v1/calls/${type}/${id}/recordings/raw/stop`)).status).toBe(200);
  await svc.service.calls.idle();
  return listEvents(svc, `${type}:${id}`);
}

describe('webhook dispatch', () => {
  let svc: Svc;
  let receiver: Receiver;
  const secret = apiSecret();
  beforeAll(async () => {
    svc = await startSvc(await tempDir(), secret);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await svc.close();
    await receiver.close();
  });

  it('PUT /v1/app/webhook generates a whsec_ secret and returns it once; GET shows only that one is set', async () => {
    const before = await svc.api('GET', '/v1/app/webhook');
    expect(before.json.webhook).toEqual({ url: null, secret_set: false, updated_at: null });
    const put = await svc.api('PUT', '/v1/app/webhook', { url: receiver.url });
    expect(put.status).toBe(200);
    expect(put.json.webhook.url).toBe(receiver.url);
    expect(put.json.webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    receiver.secret = put.json.webhook.secret;
    const got = await svc.api('GET', '/v1/app/webhook');
    expect(got.json.webhook).toMatchObject({ url: receiver.url, secret_set: true });
    expect(got.json.webhook).not.toHaveProperty('secret');
    expect(JSON.stringify(got.json)).not.toContain(receiver.secret);
  });

  it('PUT /v1/app/webhook refuses a non-http URL or a malformed secret with 400 and a user token with 403', async () => {
    expect(
      (await svc.api('PUT', '/v1/app/webhook', { url: 'ftp://example.test/' })).json.error.code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      (await svc.api('PUT', '/v1/app/webhook', { url: receiver.url, secret: 'whsec_short' }))
        .status,
    ).toBe(400);
    const user = await mintUserToken(secret, { userId: 'alice', ttlSeconds: 60 });
    const res = await fetch(`${svc.service.url}/v1/app/webhook`, {
      headers: { authorization: `Bearer ${user}` },
    });
    expect(res.status).toBe(403);
    // The endpoint set by the first test is unchanged.
    expect((await svc.api('GET', '/v1/app/webhook')).json.webhook.url).toBe(receiver.url);
  });

  it('a start/stop recording without media is delivered as recording_started, _stopped, then _failed (NO_TRACKS), each signed with Standard Webhooks headers', async () => {
    const events = await recordOnce(svc, 'avail', 'c1');
    const types = events.map((e) => e.type);
    const got = await waitFor('three verified deliveries for avail:c1', () => {
      const mine = receiver.deliveries.filter((d) => d.event.call_cid === 'avail:c1');
      return mine.length >= events.length && mine;
    });
    expect(receiver.rejected).toEqual([]);
    expect(types).toEqual([
      'call.recording_started',
      'call.recording_stopped',
      expect.stringMatching(/^call\.recording_(ready|failed)$/),
    ]);
    expect(got.map((d) => d.event.type)).toEqual(types);
    expect(got.map((d) => d.id)).toEqual(events.map((e) => e.id));
    for (const d of got) {
      expectStandardHeaders(d);
      expect(d.event.recording_type).toBe('raw');
      expect(d.event.recording_id).toBe(events[0]?.recording_id);
    }
    expect(types[2]).toBe('call.recording_failed');
    expect(String((got[2]?.event as Record<string, unknown> | undefined)?.['reason'])).toMatch(
      /^NO_TRACKS: /,
    );
  });

  it('an endpoint that answers 503 twice then 200 gets the same webhook-id three times, and the attempts are counted', async () => {
    const flaky = await startReceiver({ respond: (_id, n) => (n <= 2 ? 503 : 200) });
    try {
      const hookSecret = (await svc.api('PUT', '/v1/app/webhook', { url: receiver.url })).json
        .webhook.secret as string;
      flaky.secret = hookSecret;
      const put = await svc.api('PUT', '/v1/app/webhook', { url: flaky.url, secret: hookSecret });
      expect(put.json.webhook.secret).toBe(hookSecret);
      await svc.api('PUT', '/v1/call_types/flaky', {
        settings: { raw_recording: { mode: 'available' } },
      });
      await svc.api('POST', '/v1/calls/flaky/c1', {});
      expect((await svc.api('POST', '/v1/calls/flaky/c1/recordings/raw/start')).status).toBe(201);
      const [started] = await listEvents(svc, 'flaky:c1');
      if (started === undefined) throw new Error('no started event');
      expect(started.type).toBe('call.recording_started');
      const attempts = await waitFor('a 200 for the started event', () => {
        const mine = flaky.deliveries.filter((d) => d.id === started.id);
        return mine.some((d) => d.status === 200) && mine;
      });
      expect(flaky.rejected).toEqual([]);
      expect(attempts.map((d) => d.status)).toEqual([503, 503, 200]);
      for (const d of attempts) {
        expect(d.id).toBe(started.id);
        expectStandardHeaders(d);
      }
      const metrics = await (await fetch(`${svc.service.url}/metrics`)).text();
      const retries = /tapedeck_webhook_attempts_total\{outcome="retry"\} (\d+)/.exec(metrics);
      expect(Number(retries?.[1])).toBeGreaterThanOrEqual(2);
      expect(metrics).toMatch(/tapedeck_webhook_attempts_total\{outcome="delivered"\} [1-9]/);
      await svc.api('POST', '/v1/calls/flaky/c1/recordings/raw/stop');
      await svc.service.calls.idle();
    } finally {
      await flaky.close();
    }
  });
});

describe('webhook dispatch across a restart', () => {
  it('an event whose endpoint was down is delivered after the service restarts on the same data dir (at least once)', async () => {
    const dataDir = await tempDir();
    const secret = apiSecret();
    const port = await freePort();
    const attempts: WebhookAttemptReport[] = [];
    // A long first backoff so the job is still waiting when the service closes.
    const first = await startSvc(dataDir, secret, {
      initialDelayMs: 500,
      maxDelayMs: 500,
      onAttempt: (a) => attempts.push(a),
    });
    let receiver: Receiver | undefined;
    let second: Svc | undefined;
    try {
      const put = await first.api('PUT', '/v1/app/webhook', {
        url: `http://127.0.0.1:${port}/hooks`,
      });
      const hookSecret = put.json.webhook.secret as string;
      await first.api('PUT', '/v1/call_types/down', {
        settings: { raw_recording: { mode: 'available' } },
      });
      await first.api('POST', '/v1/calls/down/c1', {});
      expect((await first.api('POST', '/v1/calls/down/c1/recordings/raw/start')).status).toBe(201);
      const [started] = await listEvents(first, 'down:c1');
      if (started === undefined) throw new Error('no started event');
      await waitFor('a failed attempt while the endpoint is down', () =>
        attempts.some((a) => a.eventId === started.id && a.outcome === 'retry'),
      );
      await first.close();
      expect(attempts.every((a) => a.outcome === 'retry')).toBe(true);

      receiver = await startReceiver({ port });
      receiver.secret = hookSecret;
      second = await startSvc(dataDir, secret);
      const events = await listEvents(second, 'down:c1');
      const r = receiver;
      await waitFor('every event of down:c1 delivered after the restart', () =>
        events.every((e) => r.deliveries.some((d) => d.id === e.id && d.status === 200)),
      );
      expect(r.rejected).toEqual([]);
      expect(r.deliveries.find((d) => d.id === started.id)?.event.type).toBe(
        'call.recording_started',
      );
      expect(events.map((e) => e.type).slice(0, 2)).toEqual([
        'call.recording_started',
        'call.recording_stopped',
      ]);
      for (const d of r.deliveries) expectStandardHeaders(d);
    } finally {
      await second?.close();
      await receiver?.close();
    }
  });
});
