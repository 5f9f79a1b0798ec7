import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TapedeckApiError,
  TapedeckClient,
  type Recording,
  type TapedeckCall,
} from '../../packages/client/src/index.js';
import { OPUS_SDP, startTestService, type TestService } from '../calls/support.js';
import { sendSyntheticOpus } from '../helpers/synthetic-opus.js';
import { untilAccepted } from '../delivery/support.js';

const ROOT = new URL('../..', import.meta.url);

let t: TestService;
let client: TapedeckClient;
beforeAll(async () => {
  t = await startTestService();
  client = new TapedeckClient({ baseUrl: t.service.url, apiSecret: t.secret });
});
afterAll(async () => {
  await t.stop();
});

const SETTLED = new Set(['ready', 'failed', 'interrupted']);

/** Polls `listRecordings` until the recording leaves its in-progress states. */
async function pollSettled(call: TapedeckCall, recordingId: string): Promise<Recording> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const { recordings } = await call.listRecordings();
    const recording = recordings.find((r) => r.id === recordingId);
    if (recording !== undefined && SETTLED.has(recording.status)) return recording;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`recording ${recordingId} never settled`);
}

async function rejection(promise: Promise<unknown>): Promise<TapedeckApiError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TapedeckApiError);
  return error as TapedeckApiError;
}

describe('TapedeckClient against a running service', () => {
  describe('a full flow: call type, call, raw recording, events', () => {
    const call = () => client.call('sdk', 'c1');
    let recordingId: string;
    let settled: Recording;

    beforeAll(async () => {
      await client.updateCallType('sdk', {
        settings: { raw_recording: { mode: 'disabled' } },
        grants: { user: ['PublishMedia'] },
      });
    });

    it('updateCallType() creates then replaces a call type; getCallType() and listCallTypes() see it', async () => {
      const { call_type } = await client.updateCallType('sdk', {
        settings: { raw_recording: { mode: 'available', audio_only: true } },
        grants: { user: ['PublishMedia', 'StartRecording'] },
      });
      expect(call_type).toMatchObject({
        name: 'sdk',
        settings: { raw_recording: { mode: 'available', audio_only: true } },
        grants: { user: ['PublishMedia', 'StartRecording'] },
      });
      expect((await client.getCallType('sdk')).call_type).toEqual(call_type);
      const { call_types } = await client.listCallTypes();
      expect(call_types.map((c) => c.name)).toContain('sdk');
    });

    it('call().getOrCreate() creates the call (created: true) then returns it (created: false)', async () => {
      const first = await call().getOrCreate({
        settings_override: { raw_recording: { audio_only: false } },
      });
      expect(first.created).toBe(true);
      expect(first.call).toMatchObject({
        type: 'sdk',
        id: 'c1',
        cid: 'sdk:c1',
        state: 'idle',
        settings: { raw_recording: { mode: 'available', audio_only: false } },
        recording: { active: false },
      });
      const second = await call().getOrCreate();
      expect(second.created).toBe(false);
      expect(second.call.cid).toBe('sdk:c1');
      expect(second.call.settings_override).toEqual({ raw_recording: { audio_only: false } });
    });

    it('call().update() replaces settings_override and get() reflects the effective settings', async () => {
      const { call: updated } = await call().update({
        settings_override: { raw_recording: { audio_only: true } },
      });
      expect(updated.settings_override).toEqual({ raw_recording: { audio_only: true } });
      expect((await call().get()).call.settings.raw_recording).toEqual({
        mode: 'available',
        audio_only: true,
      });
    });

    it('startRecording(raw), media on an RTP track, then stopRecording(raw) settles as ready with one part and one file', async () => {
      const track = await call().addRtpTrack({
        user_id: 'sdk-user',
        session_id: 's1',
        track_type: 'audio',
        sdp: OPUS_SDP,
      });
      const started = await call().startRecording('raw');
      await sendSyntheticOpus({ host: track.rtp.host, port: track.rtp.port, packets: 50 });
      await untilAccepted(call(), track.track_id, 50);
      recordingId = started.recording.id;
      expect(started.recording).toMatchObject({ type: 'raw', call_type: 'sdk', call_id: 'c1' });
      expect((await call().get()).call.recording).toMatchObject({
        active: true,
        recording_id: recordingId,
      });
      const again = await rejection(call().startRecording('raw'));
      expect(again).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(again.message).toMatch(/already recording/);

      const stopped = await call().stopRecording('raw');
      await call().removeRtpTrack(track.track_id);
      expect(stopped.recording.id).toBe(recordingId);
      settled = await pollSettled(call(), recordingId);
      expect(settled).toMatchObject({
        status: 'ready',
        parts: [{ part_number: 1, status: 'ready', interrupted: false }],
      });
      expect(settled.files).toHaveLength(1);
      expect(settled.files[0]?.size).toBeGreaterThan(0);
      expect((await client.getRecording(recordingId)).recording).toEqual(settled);
    });

    it('listEvents() lists recording_started, _stopped and _ready in order; afterSeq skips earlier ones', async () => {
      const { events } = await call().listEvents();
      expect(events.map((e) => e.type)).toEqual([
        'call.recording_started',
        'call.recording_stopped',
        'call.recording_ready',
      ]);
      expect(events.every((e) => e.call_cid === 'sdk:c1' && e.recording_id === recordingId)).toBe(
        true,
      );
      expect(events[2]?.payload).toMatchObject({ recording_type: 'raw', part_number: 1 });
      const later = await call().listEvents({ afterSeq: events[0]!.seq });
      expect(later.events.map((e) => e.type)).toEqual([
        'call.recording_stopped',
        'call.recording_ready',
      ]);
    });

    it('addRtpTrack() returns RTP/RTCP endpoints on 127.0.0.1, removeRtpTrack() removes it, end() ends the call', async () => {
      const track = await call().addRtpTrack({
        user_id: 'alice',
        session_id: 's1',
        track_type: 'audio',
        sdp: OPUS_SDP_FOR_CLIENT,
      });
      expect(track).toMatchObject({ user_id: 'alice', track_type: 'audio', codec: 'audio/opus' });
      expect(track.rtp.host).toBe('127.0.0.1');
      expect((await call().get()).call.tracks.map((x) => x.track_id)).toEqual([track.track_id]);
      await expect(call().removeRtpTrack(track.track_id)).resolves.toBeUndefined();
      expect((await call().get()).call.tracks).toEqual([]);
      const { call: ended } = await call().end();
      expect(ended.state).toBe('ended');
    });
  });

  describe('createToken()', () => {
    async function whoami(token: string): Promise<{ status: number; body: unknown }> {
      const res = await fetch(`${t.service.url}/v1/whoami`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: await res.json() };
    }

    it('mints a user token the server accepts as that user, limited to callCids when given', async () => {
      expect(await whoami(await client.createToken('alice'))).toEqual({
        status: 200,
        body: { principal: { kind: 'user', user_id: 'alice' } },
      });
      const limited = await client.createToken('bob', { ttlSeconds: 60, callCids: ['sdk:c1'] });
      expect(await whoami(limited)).toEqual({
        status: 200,
        body: { principal: { kind: 'user', user_id: 'bob', call_cids: ['sdk:c1'] } },
      });
    });

    it('puts exp = iat + ttlSeconds (default 3600) in the claims', async () => {
      const claimsOf = (token: string): Record<string, unknown> =>
        JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
      const byDefault = claimsOf(await client.createToken('alice'));
      expect(Number(byDefault['exp']) - Number(byDefault['iat'])).toBe(3600);
      const short = claimsOf(await client.createToken('alice', { ttlSeconds: 5 }));
      expect(Number(short['exp']) - Number(short['iat'])).toBe(5);
    });

    it('rejects a bad ttlSeconds with RangeError and a malformed call cid with TypeError', async () => {
      await expect(client.createToken('alice', { ttlSeconds: 0 })).rejects.toThrow(RangeError);
      await expect(client.createToken('alice', { callCids: ['nocolon'] })).rejects.toThrow(
        TypeError,
      );
      await expect(client.createToken('')).rejects.toThrow(TypeError);
    });
  });

  describe('errors are TapedeckApiError with the status and the server code', () => {
    it('an unknown call type is 404 NOT_FOUND', async () => {
      const error = await rejection(client.call('no_such_type', 'c1').getOrCreate());
      expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', name: 'TapedeckApiError' });
      expect(error.request).toBe('POST /v1/calls/no_such_type/c1');
      expect((await rejection(client.getCallType('no_such_type'))).status).toBe(404);
    });

    it('starting a raw recording while the mode is disabled is 409 CONFLICT naming the mode', async () => {
      await client.updateCallType('sdk_off', { settings: { raw_recording: { mode: 'disabled' } } });
      const call = client.call('sdk_off', 'c1');
      await call.getOrCreate();
      const error = await rejection(call.startRecording('raw'));
      expect(error).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(error.message).toMatch(/disabled/);
    });

    it('a client with the wrong secret gets 401 UNAUTHENTICATED', async () => {
      const wrong = new TapedeckClient({ baseUrl: t.service.url, apiSecret: `${t.secret}x` });
      const error = await rejection(wrong.listCallTypes());
      expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('no server listening is status 0 NETWORK_ERROR', async () => {
      const refused = new TapedeckClient({ baseUrl: 'http://127.0.0.1:1', apiSecret: t.secret });
      expect(await rejection(refused.listCallTypes())).toMatchObject({
        status: 0,
        code: 'NETWORK_ERROR',
      });
    });

    it('a response that never comes is status 0 TIMEOUT after timeoutMs', async () => {
      const hanging = new TapedeckClient({
        baseUrl: t.service.url,
        apiSecret: t.secret,
        timeoutMs: 20,
        fetch: (_url, init) =>
          new Promise((_resolve, reject) => {
            init.signal?.addEventListener(
              'abort',
              () => reject(new Error('aborted', { cause: init.signal?.reason })),
              {
                once: true,
              },
            );
          }),
      });
      expect(await rejection(hanging.listCallTypes())).toMatchObject({
        status: 0,
        code: 'TIMEOUT',
      });
    });

    it('a non-JSON error body keeps the status with code HTTP_<status>', async () => {
      const proxy = new TapedeckClient({
        baseUrl: t.service.url,
        apiSecret: t.secret,
        fetch: () => Promise.resolve(new Response('bad gateway', { status: 502 })),
      });
      expect(await rejection(proxy.listCallTypes())).toMatchObject({
        status: 502,
        code: 'HTTP_502',
      });
    });

    it('bad constructor options throw TypeError/RangeError naming the option', () => {
      expect(() => new TapedeckClient({ baseUrl: 'localhost', apiSecret: 's' })).toThrow(
        /options\.baseUrl/,
      );
      expect(() => new TapedeckClient({ baseUrl: t.service.url, apiSecret: '' })).toThrow(
        /options\.apiSecret/,
      );
      expect(
        () => new TapedeckClient({ baseUrl: t.service.url, apiSecret: 's', timeoutMs: 0 }),
      ).toThrow(RangeError);
    });
  });
});

describe('packages/client as a package', () => {
  it('declares no runtime dependencies', async () => {
    const pkg = JSON.parse(
      await readFile(new URL('packages/client/package.json', ROOT), 'utf8'),
    ) as Record<string, unknown>;
    expect(pkg['name']).toBe('@tapedeck/client');
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      expect(pkg[field] ?? {}).toEqual({});
    }
  });

  it('imports nothing but its own files (no node:* or package imports)', async () => {
    const dir = new URL('packages/client/src/', ROOT);
    for (const name of await readdir(dir)) {
      const source = await readFile(new URL(name, dir), 'utf8');
      for (const match of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        expect(match[1], `${name} imports ${match[1]}`).toMatch(/^\.\/[a-z0-9-]+\.js$/);
      }
    }
  });

  it('type-checks with its own tsconfig (DOM lib, no @types/node)', async () => {
    const tsc = new URL('node_modules/typescript/bin/tsc', ROOT);
    const tsconfig = new URL('packages/client/tsconfig.json', ROOT);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [
      fileURLToPath(tsc),
      '--noEmit',
      '-p',
      fileURLToPath(tsconfig),
    ]);
    expect(stdout).toBe('');
  });
});

/** The SDP ffmpeg's RTP muxer writes for an Opus stream (payload type 111). */
const OPUS_SDP_FOR_CLIENT = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 5004 RTP/AVP 111',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');
