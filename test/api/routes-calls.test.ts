import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/api/auth/tokens.js';
import { OPUS_SDP, startTestService, type Json, type TestService } from '../calls/support.js';
import { sendSyntheticOpus } from '../helpers/synthetic-opus.js';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(async () => {
  await t.stop();
});

/** Waits until the service accepted `count` packets on the call's track. */
async function untilAccepted(type: string, id: string, count: number): Promise<void> {
  for (;;) {
    const tracks: Json[] = (await t.api('GET', `/v1/calls/${type}/${id}`)).json.call.tracks;
    if ((tracks[0]?.packets_accepted ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function pollReady(recordingId: string): Promise<Json> {
  await t.service.calls.idle();
  return (await t.api('GET', `/v1/recordings/${recordingId}`)).json.recording;
}

describe('/v1 call routes', () => {
  it('answer 401 without a token and 403 with a user token', async () => {
    expect((await t.api('GET', '/v1/call_types', undefined, null)).status).toBe(401);
    const user = await mintUserToken(t.secret, { userId: 'alice', ttlSeconds: 60 });
    const res = await t.api('PUT', '/v1/call_types/default', { settings: {} }, user);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('FORBIDDEN');
  });

  it('PUT then GET /v1/call_types/{name} round-trips settings and grants; unknown names are 404', async () => {
    const body = {
      settings: { raw_recording: { mode: 'auto-on', audio_only: true } },
      grants: { user: ['PublishMedia'] },
    };
    expect((await t.api('PUT', '/v1/call_types/roundtrip', body)).status).toBe(200);
    const got = await t.api('GET', '/v1/call_types/roundtrip');
    expect(got.json.call_type).toMatchObject({ name: 'roundtrip', ...body });
    const list = await t.api('GET', '/v1/call_types');
    expect(list.json.call_types.map((c: { name: string }) => c.name)).toContain('roundtrip');
    expect((await t.api('GET', '/v1/call_types/nope')).status).toBe(404);
  });

  it('POST /v1/calls/{type}/{id} on an unknown call type is 404 NOT_FOUND', async () => {
    const res = await t.api('POST', '/v1/calls/nope/c1', {});
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
  });

  it('starting a raw recording while the mode is disabled is 409 naming the mode; a call override enables it', async () => {
    await t.api('PUT', '/v1/call_types/off', { settings: { raw_recording: { mode: 'disabled' } } });
    expect((await t.api('POST', '/v1/calls/off/c1', {})).status).toBe(201);
    const res = await t.api('POST', '/v1/calls/off/c1/recordings/raw/start');
    expect(res.status).toBe(409);
    expect(res.json.error.message).toMatch(/disabled/);
    const patched = await t.api('PATCH', '/v1/calls/off/c1', {
      settings_override: { raw_recording: { mode: 'available' } },
    });
    expect(patched.json.call.settings.raw_recording.mode).toBe('available');
    const started = await t.api('POST', '/v1/calls/off/c1/recordings/raw/start');
    expect(started.status).toBe(201);
    await t.api('POST', '/v1/calls/off/c1/recordings/raw/stop');
  });

  it('a bad SDP on rtp_tracks is 400', async () => {
    await t.api('PUT', '/v1/call_types/sdp', { settings: {} });
    await t.api('POST', '/v1/calls/sdp/c1', {});
    const bad = await t.api('POST', '/v1/calls/sdp/c1/rtp_tracks', {
      user_id: 'alice',
      session_id: 's1',
      track_type: 'audio',
      sdp: 'v=0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/m=audio/);
  });

  it('auto-on starts a recording when the first track is published; ending the call makes it ready', async () => {
    await t.api('PUT', '/v1/call_types/auto', { settings: { raw_recording: { mode: 'auto-on' } } });
    await t.api('POST', '/v1/calls/auto/c1', {});
    const track = await t.api('POST', '/v1/calls/auto/c1/rtp_tracks', {
      user_id: 'alice',
      session_id: 's1',
      track_type: 'audio',
      sdp: OPUS_SDP,
    });
    expect(track.status).toBe(201);
    expect(track.json.rtp.host).toBe('127.0.0.1');
    await sendSyntheticOpus({ host: track.json.rtp.host, port: track.json.rtp.port, packets: 50 });
    await untilAccepted('auto', 'c1', 50);
    const call = (await t.api('GET', '/v1/calls/auto/c1')).json.call;
    expect(call).toMatchObject({ state: 'live', recording: { active: true, status: 'recording' } });
    expect(call.members).toEqual([{ user_id: 'alice', role: 'user' }]);
    expect(call.participants).toEqual([
      {
        user_id: 'alice',
        role: 'user',
        sessions: [{ session_id: 's1', track_ids: [track.json.track_id] }],
      },
    ]);
    const ended = await t.api('POST', '/v1/calls/auto/c1/end');
    expect(ended.json.call).toMatchObject({
      state: 'ended',
      tracks: [],
      recording: { active: false },
    });
    expect((await pollReady(call.recording.recording_id)).status).toBe('ready');
  });

  describe('an available-mode recording, started and stopped', () => {
    let recording: Json;
    beforeAll(async () => {
      await t.api('PUT', '/v1/call_types/avail', {
        settings: { raw_recording: { mode: 'available' } },
      });
      await t.api('POST', '/v1/calls/avail/c1', {});
      const track = await t.api('POST', '/v1/calls/avail/c1/rtp_tracks', {
        user_id: 'bob',
        session_id: 's1',
        track_type: 'audio',
        sdp: OPUS_SDP,
      });
      const started = await t.api('POST', '/v1/calls/avail/c1/recordings/raw/start');
      expect(started.status).toBe(201);
      await sendSyntheticOpus({
        host: track.json.rtp.host,
        port: track.json.rtp.port,
        packets: 50,
      });
      await untilAccepted('avail', 'c1', 50);
      const again = await t.api('POST', '/v1/calls/avail/c1/recordings/raw/start');
      expect(again.status).toBe(409);
      expect(again.json.error.message).toMatch(/already recording/);
      expect((await t.api('POST', '/v1/calls/avail/c1/recordings/raw/stop')).status).toBe(200);
      recording = await pollReady(started.json.recording.id);
    });

    it('is ready with one part and one file with size, sha256 and a signed URL', async () => {
      expect(recording).toMatchObject({
        status: 'ready',
        type: 'raw',
        parts: [{ part_number: 1, status: 'ready' }],
      });
      expect(recording.files).toHaveLength(1);
      expect(recording.files[0].size).toBeGreaterThan(0);
      expect(recording.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
      const listed = await t.api('GET', '/v1/calls/avail/c1/recordings');
      expect(listed.json.recordings.map((r: { id: string }) => r.id)).toEqual([recording.id]);
    });

    it('its signed URL downloads without a token; a tampered or expired signature is 403', async () => {
      const url = new URL(recording.files[0].url);
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect((await ok.arrayBuffer()).byteLength).toBe(recording.files[0].size);

      const tampered = new URL(url);
      const sig = tampered.searchParams.get('sig')!;
      tampered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
      expect((await fetch(tampered)).status).toBe(403);

      const longer = new URL(url);
      longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
      expect((await fetch(longer)).status).toBe(403);

      const expired = t.service.calls.signer.sign(recording.id, recording.files[0].name, {
        ttlSeconds: 1,
        nowSeconds: Math.floor(Date.now() / 1000) - 10,
      });
      const res = await fetch(`${t.service.url}${expired.path}`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as Json).error.code).toBe('FORBIDDEN');
    });

    it('lists call.recording_started, _stopped and _ready in order, ready carrying files and part number', async () => {
      const events = (await t.api('GET', '/v1/calls/avail/c1/events')).json.events;
      expect(events.map((e: { type: string }) => e.type)).toEqual([
        'call.recording_started',
        'call.recording_stopped',
        'call.recording_ready',
      ]);
      const ready = events[2].payload;
      expect(ready).toMatchObject({
        recording_id: recording.id,
        recording_type: 'raw',
        part_number: 1,
      });
      expect(ready.files[0]).toMatchObject({
        name: recording.files[0].name,
        size: recording.files[0].size,
      });
      expect(ready.files[0].url).toMatch(new RegExp(`^${t.service.url}/v1/files/`));
    });
  });

  it('/docs/json documents the call, recording, track, file, storage and OIDC routes', async () => {
    const doc = (await t.api('GET', '/docs/json', undefined, null)).json;
    for (const p of [
      '/v1/call_types/{name}',
      '/v1/calls/{type}/{id}',
      '/v1/calls/{type}/{id}/recordings/{recording_type}/start',
      '/v1/calls/{type}/{id}/rtp_tracks',
      '/v1/recordings/{recording_id}',
      '/v1/files/{recording_id}/{name}',
      '/v1/recordings/{recording_id}/files',
      '/v1/recordings/{recording_id}/retry_delivery',
      '/v1/external_storage',
      '/v1/external_storage/{name}',
      '/v1/external_storage/{name}/check',
      '/.well-known/openid-configuration',
      '/.well-known/jwks.json',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
