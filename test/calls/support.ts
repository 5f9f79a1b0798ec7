/** A real service (startService) on a temp data dir and a per-run secret, plus a JSON client. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mintServerToken } from '../../src/api/auth/tokens.js';
import { startService, type RunningService } from '../../src/api/start-service.js';

/** A response body, read by path in assertions (the route schemas are checked by fastify). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Json = any;

export type TestService = {
  readonly service: RunningService;
  readonly secret: string;
  readonly dataDir: string;
  readonly serverToken: string;
  /** JSON request with the server token unless `token` is given (`null` = none). */
  api(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; json: Json }>;
  stop(): Promise<void>;
};

/** `env` adds to (or overrides) the test environment, e.g. `TAPEDECK_PART_SECONDS`. */
export async function startTestService(
  env: Readonly<Record<string, string>> = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tapedeck-'));
  const secret = randomBytes(32).toString('base64url');
  const service = await startService({
    env: {
      TAPEDECK_HOST: '127.0.0.1',
      TAPEDECK_PORT: '0',
      TAPEDECK_DATA_DIR: dataDir,
      TAPEDECK_API_SECRET: secret,
      TAPEDECK_RTP_HOST: '127.0.0.1',
      TAPEDECK_LOG_LEVEL: 'silent',
      ...env,
    },
  });
  const serverToken = await mintServerToken(secret);
  return {
    service,
    secret,
    dataDir,
    serverToken,
    async api(method, url, body, token = serverToken) {
      const headers: Record<string, string> = {};
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${service.url}${url}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
    },
    async stop() {
      await service.server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The SDP ffmpeg's RTP muxer writes for an Opus stream (payload type 111). */
export const OPUS_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 59.27.100',
  'm=audio 5004 RTP/AVP 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 sprop-stereo=1',
  '',
].join('\r\n');

/** The SDP ffmpeg's RTP muxer writes for a VP8 stream (payload type 96). */
export const VP8_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 59.27.100',
  'm=video 5006 RTP/AVP 96',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');
