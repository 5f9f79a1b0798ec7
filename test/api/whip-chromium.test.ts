/**
 * WHIP publishing into a call of the running service, end to end with real parts: the
 * service (startService, SQLite on a temp data dir, per-run secret), a raw recording
 * started over the API, Debian's Chromium (playwright-core, fake camera and microphone)
 * publishing for about 4 s to POST /whip/{type}/{id} with a user token, DELETE on the
 * Location, stop, the archive downloaded through its signed URL, processed by processAll
 * and judged by ffprobe and a full ffmpeg decode.
 *
 * The page is served by a node:http server on 127.0.0.1 that also forwards /whip/* to
 * the service, so the browser talks to one origin (the service sends no CORS headers).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/api/auth/tokens.js';
import { processAll } from '../../src/raw/operations.js';
import type { RawReport } from '../../src/raw/report.js';
import { startTestService, type Json, type TestService } from '../calls/support.js';
import {
  publishFromChromium,
  readBody,
  servePublisherPage,
  type PublisherPageServer,
  type PublishResult,
} from '../helpers/chromium-whip-publisher.js';
import {
  ffmpegDecodeErrors,
  ffprobe,
  makeTempDir,
  removeDir,
  type Probe,
} from '../media/mux-helpers.js';

const PUBLISH_MS = 4000;

/** A track as GET /v1/calls/{type}/{id} lists it. */
type CallTrackJson = { readonly track_id: string; readonly kind: string } & Record<string, unknown>;

let t: TestService;
let profiles = 0;
let work: string;
let pageServer: PublisherPageServer;

beforeAll(async () => {
  t = await startTestService();
  work = await makeTempDir();
  // Forwards /whip/* to the service: the browser talks to one origin (no CORS needed).
  pageServer = await servePublisherPage(async (request, response) => {
    if (request.url?.startsWith('/whip/') !== true) {
      response.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const payload = await readBody(request);
    const upstream = await fetch(`${t.service.url}${request.url}`, {
      method: request.method ?? 'GET',
      headers,
      ...(payload.byteLength > 0 ? { body: payload } : {}),
    });
    const out: Record<string, string> = {};
    for (const name of ['content-type', 'location']) {
      const value = upstream.headers.get(name);
      if (value !== null) out[name] = value;
    }
    response.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
  });
});

afterAll(async () => {
  await pageServer?.close();
  await t?.stop();
  if (work !== undefined) await removeDir(work);
});

/** Chromium publishes to `path` (on the page server) with `token` for `ms`, then DELETEs. */
function publishFor<T = undefined>(
  endpointPath: string,
  token: string,
  ms: number,
  whilePublishing?: () => Promise<T>,
): Promise<PublishResult<T>> {
  return publishFromChromium({
    origin: pageServer.origin,
    endpoint: `${pageServer.origin}${endpointPath}`,
    token,
    ms,
    profileDir: path.join(work, `chromium-profile-${++profiles}`),
    ...(whilePublishing !== undefined ? { whilePublishing } : {}),
  });
}

/** Polls GET /v1/recordings/{id} until it is ready or failed. */
async function settled(recordingId: string): Promise<Json> {
  for (;;) {
    const recording: Json = (await t.api('GET', `/v1/recordings/${recordingId}`)).json.recording;
    if (recording.status === 'ready' || recording.status === 'failed') return recording;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Downloads the recording's archive through its signed URL and processes it. */
async function processDownload(recording: Json, name: string): Promise<RawReport> {
  const download = await fetch(recording.files[0].url);
  expect(download.status).toBe(200);
  const zip = path.join(work, `${name}.zip`);
  await writeFile(zip, new Uint8Array(await download.arrayBuffer()));
  return processAll({ input: { file: zip }, output: path.join(work, name) });
}

async function singleStreamOutputs(
  report: RawReport,
): Promise<{ audio: { file: string; probe: Probe }; video: { file: string; probe: Probe } }> {
  const probes = await Promise.all(
    report.outputs.map(async (o) => ({ file: o.file, probe: await ffprobe(o.file) })),
  );
  const only = (codecs: string[]) =>
    probes.find(
      ({ probe }) => probe.streams.length === 1 && codecs.includes(probe.streams[0]!.codec_name),
    );
  const audio = only(['opus']);
  const video = only(['vp8', 'h264']);
  const names = report.outputs.map((o) => o.file).join(', ');
  expect(audio, names).toBeDefined();
  expect(video, names).toBeDefined();
  return { audio: audio!, video: video! };
}

describe('WHIP publishing from Chromium into a recorded call', () => {
  it('a 4 s publish is recorded as Opus audio and VP8/H264 video of about 4 s that decode cleanly', async () => {
    expect(
      (
        await t.api('PUT', '/v1/call_types/whip', {
          settings: { raw_recording: { mode: 'available' } },
        })
      ).status,
    ).toBe(200);
    expect((await t.api('POST', '/v1/calls/whip/e2e', {})).status).toBe(201);
    const started = await t.api('POST', '/v1/calls/whip/e2e/recordings/raw/start');
    expect(started.status).toBe(201);
    const token = await mintUserToken(t.secret, {
      userId: 'alice',
      ttlSeconds: 600,
      callCids: ['whip:e2e'],
    });

    const { answer, deleteStatus, publishedMs, during } = await publishFor(
      '/whip/whip/e2e?session_id=s1',
      token,
      PUBLISH_MS,
      async (): Promise<{ tracks: CallTrackJson[] }> =>
        (await t.api('GET', '/v1/calls/whip/e2e')).json.call as { tracks: CallTrackJson[] },
    );
    expect(answer.status).toBe(201);
    expect(answer.contentType).toBe('application/sdp');
    expect(answer.location).toMatch(/\/whip\/whip\/e2e\/[0-9a-f-]{36}$/);
    expect(deleteStatus).toBe(200);
    // The session is gone: a second DELETE finds nothing.
    const again = await fetch(`${t.service.url}${new URL(answer.location).pathname}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.status).toBe(404);
    // While publishing, the call listed the session's two WHIP tracks, being recorded.
    const whipTracks = during!.tracks;
    expect(
      whipTracks
        .map((track) => ({ ...track, track_id: typeof track.track_id }))
        .sort((a, b) => a.kind.localeCompare(b.kind)),
    ).toEqual([
      {
        track_id: 'string',
        user_id: 'alice',
        session_id: 's1',
        track_type: 'audio',
        kind: 'audio',
        codec: 'audio/opus',
        ingest: 'whip',
        publishing: true,
        capturing: true,
      },
      {
        track_id: 'string',
        user_id: 'alice',
        session_id: 's1',
        track_type: 'video',
        kind: 'video',
        codec: expect.stringMatching(/^video\/(VP8|H264)$/),
        ingest: 'whip',
        publishing: true,
        capturing: true,
      },
    ]);
    expect(new Set(whipTracks.map((track) => track.track_id)).size).toBe(2);
    // The publisher became a member of the call; after the DELETE its tracks left the call.
    const after: Json = (await t.api('GET', '/v1/calls/whip/e2e')).json.call;
    expect(after.members).toContainEqual({ user_id: 'alice', role: 'user' });
    expect(after.tracks).toEqual([]);

    expect((await t.api('POST', '/v1/calls/whip/e2e/recordings/raw/stop')).status).toBe(200);
    const recording = await settled(started.json.recording.id);
    expect(recording.status).toBe('ready');
    const report = await processDownload(recording, 'available');
    expect(report.failures).toEqual([]);
    const { audio, video } = await singleStreamOutputs(report);
    for (const { probe } of [audio, video]) {
      expect(Math.abs(Number(probe.format.duration) * 1000 - publishedMs)).toBeLessThanOrEqual(
        1500,
      );
    }
    expect(await ffmpegDecodeErrors(audio.file), audio.file).toBe('');
    expect(await ffmpegDecodeErrors(video.file), video.file).toBe('');
  }, 90_000);

  it('in auto-on mode, a WHIP publish starts the recording (with a PLI to the publisher), whose archive holds decodable audio and video', async () => {
    expect(
      (
        await t.api('PUT', '/v1/call_types/whipauto', {
          settings: { raw_recording: { mode: 'auto-on' } },
        })
      ).status,
    ).toBe(200);
    expect((await t.api('POST', '/v1/calls/whipauto/a1', {})).status).toBe(201);
    const token = await mintUserToken(t.secret, { userId: 'bob', ttlSeconds: 600 });
    const { answer, deleteStatus, pliCount } = await publishFor('/whip/whipauto/a1', token, 3000);
    expect(answer.status).toBe(201);
    expect(deleteStatus).toBe(200);
    // The recording began with the publish: the server asked the camera for a keyframe.
    expect(pliCount).toBeGreaterThanOrEqual(1);

    // Nobody called start: the first WHIP track did.
    const listed: Json = (await t.api('GET', '/v1/calls/whipauto/a1/recordings')).json;
    expect(listed.recordings.map((r: { status: string }) => r.status)).toEqual(['recording']);
    expect((await t.api('POST', '/v1/calls/whipauto/a1/recordings/raw/stop')).status).toBe(200);
    const recording = await settled(listed.recordings[0].id);
    expect(recording.status).toBe('ready');
    const report = await processDownload(recording, 'auto-on');
    expect(report.failures).toEqual([]);
    const { audio, video } = await singleStreamOutputs(report);
    expect(await ffmpegDecodeErrors(audio.file), audio.file).toBe('');
    expect(await ffmpegDecodeErrors(video.file), video.file).toBe('');
  }, 90_000);
});
